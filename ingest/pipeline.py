"""Incremental, idempotent ingestion: files -> Documents -> Chunks -> vectors -> Chroma.

- Unchanged files (same sha256 in the manifest) are skipped; changed files have their chunks
  replaced; ``prune`` drops sources whose files are gone.
- A broken file fails alone with a reason; the others are still indexed.
- Each file is parsed and chunked in a worker process that is killed at the per-file time limit
  (``ingest.file_timeout_s``), so a hostile file can neither hang nor crash the run.
- Chunks of several files are embedded together (the embedder sorts by length, so batches carry
  little padding); each file is then committed on its own (see ingest.store for crash safety).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import dataclasses
import hashlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import Any, Protocol

from citeqa.models import Chunk, Document, Metadata
from citeqa.protocols import Embedder, SourceWrite, VectorStore
from citeqa.settings import ChunkingSettings, IngestSettings, Settings
from ingest.chunking import chunk_document, embedding_text
from ingest.loaders.base import LoadError

EMBED_SLICE = 1024  # chunks per embedding call (progress granularity)


@dataclass
class IngestReport:
    files: int = 0
    new_chunks: int = 0
    skipped: int = 0
    chunks_total: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    docs: int = 0
    pruned: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "new_chunks": self.new_chunks,
            "skipped": self.skipped,
            "chunks_total": self.chunks_total,
            "failed": self.failed,
            "docs": self.docs,
            "pruned": self.pruned,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }


@dataclass
class _Pending:
    key: str
    sha256: str
    chunks: list[Chunk]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[dict[str, str]]]:
    """Supported files under ``paths`` (sorted, hidden entries skipped) and missing paths."""
    from ingest.loaders import SUPPORTED_SUFFIXES

    found: list[Path] = []
    missing: list[dict[str, str]] = []
    for p in paths:
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel) or not f.is_file():
                    continue
                if f.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(f)
        else:
            missing.append({"path": str(p), "error": "no such file or directory"})
    uniq = sorted({f.resolve(): f for f in found}.values(), key=lambda f: str(f))
    return uniq, missing


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


Parsed = list[tuple[Document, list[Chunk]]]


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


def _recv(fd: int, deadline: float | None, size: int = -1) -> bytes:
    """One frame (or ``size`` raw bytes); TimeoutError at ``deadline``, EOFError at EOF."""
    n = _HEADER.unpack(_recv(fd, deadline, _HEADER.size))[0] if size < 0 else size
    buf = bytearray()
    while len(buf) < n:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and (left <= 0 or not select.select([fd], [], [], left)[0]):
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
            reply: tuple[str, Any] = ("ok", _parse_and_chunk(Path(path), *cfg))
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
        code = "from ingest.pipeline import worker_main; worker_main()"
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
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["out"] = _parse_and_chunk(path, settings.ingest, settings.chunking)
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True, name=f"load:{path.name}")
    t.start()
    t.join(settings.ingest.file_timeout_s)
    err = box.get("error")
    if t.is_alive():
        raise LoadError(path, f"parsing took longer than {settings.ingest.file_timeout_s:g} s")
    if err is not None:
        raise err if isinstance(err, LoadError) else LoadError(path, f"{type(err).__name__}: {err}")
    out: Parsed = box["out"]
    return out


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


def load_with_timeout(path: Path, settings: Settings) -> list[Document]:
    """Parse ``path``; give up (LoadError) after the per-file limit."""
    return [doc for doc, _ in parse_file(path, settings)]


class MetadataOverrides(Protocol):
    """Corrections a user made to documents' metadata (the chat's Library page), applied at
    ingest: ``apply(file key, metadata)`` returns the metadata to index."""

    def apply(self, key: str, meta: Metadata) -> Metadata: ...


class Ingestor:
    """One ingest run. Construct, then ``run(paths)``."""

    def __init__(
        self,
        settings: Settings,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
        progress: bool | None = None,
        overrides: MetadataOverrides | None = None,
    ) -> None:
        from ingest.embedders import make_embedder
        from ingest.store import open_store

        self.settings = settings
        self.store: VectorStore = store if store is not None else open_store(settings)
        e = settings.embedder
        self.embedder = embedder or make_embedder(e.name, e.batch_size, e.threads)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.overrides = overrides
        self.report = IngestReport()
        self._pending: list[_Pending] = []
        self._seen_docs: dict[str, str] = {}
        self._bar: Any = None

    def run(self, paths: Iterable[Path], prune: bool = False) -> IngestReport:
        t0 = time.perf_counter()
        files, missing = discover(paths)
        self.report.failed.extend(missing)
        manifest = self.store.manifest()
        self._bar = self._make_bar(len(files))
        for path in files:
            self._one_file(path, manifest)
            if self._bar is not None:
                self._bar.update(1)
        self._flush()
        if self._bar is not None:
            self._bar.close()
        if prune:
            self.report.pruned = self._prune(manifest)
        self.report.files = len(files)
        self.report.chunks_total = self.store.count()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def _make_bar(self, total: int) -> Any:
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def _one_file(self, path: Path, manifest: dict[str, Any]) -> None:
        key = str(path.resolve())
        try:
            sha = file_sha256(path)
            entry = manifest.get(key)
            if entry is not None and entry.sha256 == sha:
                self.report.skipped += 1
                return
            parsed = parse_file(path, self.settings)
            chunks = self._chunk(path, key, parsed)
        except LoadError as exc:
            self.report.failed.append({"path": str(path), "error": exc.reason})
            return
        except OSError as exc:
            self.report.failed.append({"path": str(path), "error": f"cannot read file: {exc}"})
            return
        self.report.docs += len(parsed)
        # the hash of the bytes actually parsed, in case the file changed since it was hashed
        sha = parsed[0][0].source_sha256 or sha
        self._pending.append(_Pending(key, sha, chunks))
        if sum(len(p.chunks) for p in self._pending) >= self.settings.ingest.flush_chunks:
            self._flush()

    def _chunk(self, path: Path, key: str, parsed: Parsed) -> list[Chunk]:
        chunks: list[Chunk] = []
        check_store = len(parsed) <= 20  # per-doc lookups are for ordinary files, not corpora
        for doc, doc_chunks in parsed:
            owner = self._seen_docs.get(doc.doc_id)
            if owner is None and check_store:
                stored = self.store.doc_owner(doc.doc_id)
                owner = stored if stored != key else None
            if owner is not None and owner != key:
                raise LoadError(path, f"doc_id {doc.doc_id!r} is already indexed from {owner}")
            self._seen_docs[doc.doc_id] = key
            if self.overrides is not None:
                meta = self.overrides.apply(key, doc.meta)
                if meta != doc.meta:
                    doc_chunks = [dataclasses.replace(c, meta=meta) for c in doc_chunks]
            chunks.extend(doc_chunks)
        if not chunks:
            raise LoadError(path, "no text to index")
        return chunks

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        texts = [embedding_text(c) for p in pending for c in p.chunks]
        t0 = time.perf_counter()
        vectors = self._embed(texts)
        self.report.embed_seconds += time.perf_counter() - t0
        writes, i = [], 0
        for p in pending:
            n = len(p.chunks)
            writes.append(SourceWrite(p.key, p.sha256, p.chunks, vectors[i : i + n]))
            i += n
        self.store.replace_sources(writes)
        self.report.new_chunks += i

    def _embed(self, texts: list[str]) -> Any:
        import numpy as np

        parts = []
        for i in range(0, len(texts), EMBED_SLICE):
            parts.append(self.embedder.embed_documents(texts[i : i + EMBED_SLICE]))
            if self._bar is not None:
                self._bar.set_postfix(chunks=self.report.new_chunks + i + len(parts[-1]))
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), "float32")

    def _prune(self, manifest: dict[str, Any]) -> int:
        gone = [k for k in manifest if not Path(k).exists()]
        for key in gone:
            self.store.delete_source(key)
        return len(gone)


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
    on_store: Callable[[Any], None] | None = None,
) -> IngestReport:
    """Convenience wrapper: one ``Ingestor`` run."""
    ing = Ingestor(settings, progress=progress)
    if on_store is not None:
        on_store(ing.store)
    return ing.run(list(paths), prune=prune)
