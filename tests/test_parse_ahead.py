"""Parsing ahead of embedding (``ingest.worker.ParseAhead``) and the ingest's store-writer
thread (``ingest.pipeline.Ingestor``): results come back in input order whatever each file's
parse costs or whether it fails, the parse window bounds how far the input is read ahead, and a
StoreError raised by a write in the writer thread reaches the caller of ``Ingestor.run``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from citeqa.errors import StoreError
from citeqa.protocols import SourceWrite
from citeqa.settings import Settings
from ingest.loaders.base import LoadError
from ingest.memory_store import MemoryStore
from ingest.pipeline import Ingestor
from ingest.worker import Job, ParseAhead, Parsed, parse_file
from tests.helpers import write_md
from tests.test_store_contract import BagOfWords

# seconds each file's parse is held back: the real parser is fast on every file, so the delay
# (added around the real parse_file) is what makes a file slow
DELAYS = {"a": 0.25, "b": 0.0, "c": 0.15, "bad": 0.1, "d": 0.0, "e": 0.2, "f": 0.0}


def corpus(root: Path) -> list[Job]:
    """Markdown files a..f and one broken PDF ('bad', which the real parser refuses)."""
    jobs: list[Job] = []
    for name in DELAYS:
        if name == "bad":
            path = root / "bad.pdf"
            path.write_bytes(b"this is not a PDF at all")
        else:
            path = write_md(root / f"{name}.md", name, f"## Results\n\nFile {name} was parsed.")
        jobs.append((path, str(path), name))
    return jobs


def delayed_parse(settings: Settings, calls: list[str]) -> object:
    def parse(job: Job) -> Parsed:
        calls.append(job[2])
        time.sleep(DELAYS[job[2]])
        return parse_file(job[0], settings)

    return parse


@pytest.mark.parametrize("window", [1, 3, 256])
def test_results_come_in_input_order_with_slow_fast_and_failing_files(
    tmp_path: Path, window: int
) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    jobs = corpus(tmp_path / "docs")
    calls: list[str] = []
    ahead = ParseAhead(settings, window=window, parse=delayed_parse(settings, calls))  # type: ignore[arg-type]
    got: list[tuple[str, str]] = []
    try:
        for job, parsed in ahead.run(jobs):
            try:
                docs = parsed()
                got.append((job[2], docs[0][0].doc_id))
            except LoadError as exc:
                got.append((job[2], f"LoadError: {Path(exc.path).name}"))
    finally:
        ahead.close()
    expected = [(n, n if n != "bad" else "LoadError: bad.pdf") for n in DELAYS]
    assert got == expected
    assert calls == list(DELAYS)  # one parse per file, one at a time, in order


def test_the_input_is_read_at_most_window_files_ahead(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    pulled: list[int] = []

    def jobs() -> Iterator[Job]:
        for i in range(10):
            pulled.append(i)
            yield (tmp_path / f"{i}.md", str(i), str(i))

    ahead = ParseAhead(settings, window=3, parse=lambda job: [])
    try:
        for k, (job, parsed) in enumerate(ahead.run(jobs())):
            assert job[2] == str(k) and parsed() == []
            # when file k is handed out, files k .. k+2 have been read, never more
            assert len(pulled) == min(k + 3, 10), k
    finally:
        ahead.close()


def test_close_drops_the_files_not_yet_started(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    started: list[int] = []

    def parse(job: Job) -> Parsed:
        started.append(int(job[2]))
        time.sleep(0.3)
        return []

    ahead = ParseAhead(settings, window=8, parse=parse)
    gen = ahead.run((tmp_path / f"{i}.md", str(i), str(i)) for i in range(8))
    _job, parsed = next(gen)
    parsed()  # file 0 done; file 1 is now being parsed, files 2..7 wait
    ahead.close()
    gen.close()
    time.sleep(0.5)  # file 1's parse ends; nothing else may start
    assert started == [0, 1]


class FailingWrites(MemoryStore):
    """The real memory store whose writes fail with StoreError from the ``fail_at``-th call
    on (a Chroma server that goes down mid-ingest, without a server to stop)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.threads: list[str] = []

    def replace_sources(self, writes: Sequence[SourceWrite]) -> None:
        self.threads.append(threading.current_thread().name)
        if len(self.threads) >= self.fail_at:
            raise StoreError(f"write {len(self.threads)} failed: the store went away")
        super().replace_sources(writes)


@pytest.mark.parametrize(("files", "fail_at"), [(1, 1), (4, 1), (4, 2), (4, 4)])
def test_a_store_error_in_the_writer_thread_reaches_the_caller(
    tmp_path: Path, files: int, fail_at: int
) -> None:
    """One write per file (flush_chunks=1). The failing write runs in the writer thread; the
    ingest raises its StoreError at the next flush (before handing over another write) or
    at the end, and the writes before it stay in the store."""
    settings = Settings(store="memory", index_dir=tmp_path / "ix")
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"flush_chunks": 1})}
    )
    docs = tmp_path / "docs"
    for i in range(files):
        write_md(docs / f"f{i}.md", f"f{i}", f"## Results\n\nFile number {i} was written.")
    store = FailingWrites(fail_at)
    ingest = Ingestor(settings, store=store, embedder=BagOfWords(), progress=False)
    with pytest.raises(StoreError, match=f"write {fail_at} failed"):
        ingest.run([docs])
    assert len(store.threads) == fail_at  # no write was handed over after the failing one
    assert all(name.startswith("store-writer") for name in store.threads)
    assert store.count() == fail_at - 1
