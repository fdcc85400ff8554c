"""The parse worker: files are parsed and chunked in a child process that is killed (and
restarted for the next file) at the per-file time limit (``ingest.file_timeout_s``) or when a
file crashes it, so a hostile file can neither hang nor kill an ingest. Without a worker
process, parsing falls back to a daemon thread with a join timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import math
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from subprocess import PIPE

from citeqa.models import Chunk, Document
from citeqa.settings import ChunkingSettings, IngestSettings, Settings
from ingest.chunking import chunk_document
from ingest.loaders.base import LoadError

Parsed = list[tuple[Document, list[Chunk]]]
Job = tuple[Path, str, str]  # a file to parse: path, source key, sha256


def _parse_and_chunk(path: Path, ingest: IngestSettings, chunking: ChunkingSettings) -> Parsed:
    from ingest.loaders import load_file

    return [(d, chunk_document(d, chunking)) for d in load_file(path, ingest)]


# --- the parse worker: a child process that can be killed at the time limit -----------------

_HEADER = struct.Struct("!Q")


class WorkerUnavailable(RuntimeError):
    """No worker process can be started (parsing then falls back to a thread)."""


def _send(fd: int, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _readable(fd: int, seconds: float) -> bool:
    """Whether ``fd`` has data (or EOF) within ``seconds``. poll(), not select(): select()
    fails on a descriptor numbered 1024 or more, which a long-lived process can reach."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(1, math.ceil(seconds * 1000))))


def _recv(fd: int, deadline: float | None, size: int = -1) -> bytes:
    """One frame (or ``size`` raw bytes); TimeoutError at ``deadline``, EOFError at EOF."""
    n = _HEADER.unpack(_recv(fd, deadline, _HEADER.size))[0] if size < 0 else size
    buf = bytearray()
    while len(buf) < n:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and (left <= 0 or not _readable(fd, left)):
            raise TimeoutError
        block = os.read(fd, min(n - len(buf), 1 << 20))
        if not block:
            raise EOFError
        buf += block
    return bytes(buf)


def worker_main() -> None:
    """Child side: (path, ingest, chunking) requests on stdin, replies on the original stdout."""
    if os.environ.get("_CITEQA_WORKER_PDEATHSIG") == "1":
        with contextlib.suppress(Exception):  # Linux: die with the parent (no orphan parsing on)
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    out = os.dup(1)
    os.dup2(2, 1)  # stray prints of libraries must not corrupt the protocol
    _send(out, b"ready")
    while True:
        try:
            path, ingest, chunking = pickle.loads(_recv(0, None))
        except EOFError:
            return
        try:
            cfg = (IngestSettings.model_validate(ingest), ChunkingSettings.model_validate(chunking))
            reply: tuple[str, Parsed | str] = ("ok", _parse_and_chunk(Path(path), *cfg))
        except LoadError as exc:
            reply = ("error", exc.reason)
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        _send(out, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


class ParseWorker:
    """Parses files in a child process, killed (and restarted for the next file) when a file
    overruns the time limit or crashes it: a hostile file can neither hang nor kill the ingest."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.unavailable = ""
        self.restarts = 0

    def _start(self) -> subprocess.Popen[bytes]:
        root = str(Path(__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        }
        env["_CITEQA_WORKER_PDEATHSIG"] = str(
            int(threading.current_thread() is threading.main_thread())
        )
        code = "from ingest.worker import worker_main; worker_main()"
        try:
            proc = subprocess.Popen([sys.executable, "-c", code], stdin=PIPE, stdout=PIPE, env=env)
            assert proc.stdout is not None
            if _recv(proc.stdout.fileno(), time.monotonic() + 120) != b"ready":
                raise EOFError
        except (OSError, EOFError, TimeoutError, struct.error) as exc:
            self.unavailable = f"cannot start the parse worker: {exc!r}"
            raise WorkerUnavailable(self.unavailable) from exc
        return proc

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout):
                if f is not None:
                    f.close()

    def run(self, path: Path, settings: Settings) -> Parsed:
        limit = settings.ingest.file_timeout_s
        request = (str(path), settings.ingest.model_dump(), settings.chunking.model_dump())
        with self._lock:
            if self.unavailable:
                raise WorkerUnavailable(self.unavailable)
            if self._proc is None or self._proc.poll() is not None:
                self.stop()
                self._proc = self._start()
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                _send(proc.stdin.fileno(), pickle.dumps(request))
                kind, value = pickle.loads(_recv(proc.stdout.fileno(), time.monotonic() + limit))
            except TimeoutError:
                self.restarts += 1
                self.stop()
                raise LoadError(path, f"parsing took longer than {limit:g} s") from None
            except (EOFError, OSError, pickle.UnpicklingError, struct.error):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)  # reap it, for the exit code
                code, self.restarts = proc.poll(), self.restarts + 1
                self.stop()
                raise LoadError(
                    path, f"the parser crashed on this file (exit code {code})"
                ) from None
        if kind != "ok":
            raise LoadError(path, str(value))
        out: Parsed = value
        return out


_WORKER = ParseWorker()
atexit.register(_WORKER.stop)


def _in_thread(path: Path, settings: Settings) -> Parsed:
    """Fallback when no worker process can be started: a daemon thread with a join timeout
    (it cannot interrupt code that holds the GIL, such as a catastrophic regex)."""
    done: list[Parsed] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(_parse_and_chunk(path, settings.ingest, settings.chunking))
        except BaseException as exc:
            failed.append(exc)

    t = threading.Thread(target=work, daemon=True, name=f"load:{path.name}")
    t.start()
    t.join(settings.ingest.file_timeout_s)
    if t.is_alive():
        raise LoadError(path, f"parsing took longer than {settings.ingest.file_timeout_s:g} s")
    if failed:
        err = failed[0]
        raise err if isinstance(err, LoadError) else LoadError(path, f"{type(err).__name__}: {err}")
    return done[0]


def parse_file(path: Path, settings: Settings) -> Parsed:
    """Parse and chunk ``path`` within ``settings.ingest.file_timeout_s``, else LoadError.

    The work runs in a worker process that is killed at the limit (a thread could not be
    stopped, and a parser stuck in C code would even block the waiting thread); if no worker
    can be started, in a daemon thread.
    """
    try:
        return _WORKER.run(path, settings)
    except WorkerUnavailable:
        return _in_thread(path, settings)


class ParseAhead:
    """Parses files in a background thread, up to ``window`` files ahead of their consumer:
    while the ingest embeds one batch of chunks (on every core, in onnxruntime, which releases
    the GIL), the worker process parses the next files instead of waiting for its turn.
    Files are parsed one at a time, in order, each as :func:`parse_file` parses it (or by
    ``parse``, which may do more for the file in the background thread)."""

    def __init__(
        self,
        settings: Settings,
        window: int = 256,
        parse: Callable[[Job], Parsed] | None = None,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.settings = settings
        self.window = window
        self.parse = parse or (lambda job: parse_file(job[0], settings))
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="parse-ahead")

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Callable[[], Parsed]]]:
        """For each job (whose first item is the path), in order: the job and a function
        that returns its parse (waiting for it) or raises its LoadError."""
        from collections import deque

        queue: deque[tuple[Job, Future[Parsed]]] = deque()
        for job in jobs:
            queue.append((job, self._pool.submit(self.parse, job)))
            if len(queue) >= self.window:
                got, fut = queue.popleft()
                yield got, fut.result
        while queue:
            got, fut = queue.popleft()
            yield got, fut.result

    def close(self) -> None:
        """Stop parsing (files not yet started are dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def load_with_timeout(path: Path, settings: Settings) -> list[Document]:
    """Parse ``path``; give up (LoadError) after the per-file limit."""
    return [doc for doc, _ in parse_file(path, settings)]
