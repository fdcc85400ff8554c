"""Faults around the index: an unusable index path, the disk filling up mid-run, a corrupted
manifest entry, the Chroma server going down and coming back. Each gives a clear message, and
whatever was indexed before stays intact and queryable."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citeqa.settings import Settings, get_settings
from cli.main import app
from ingest.pipeline import Ingestor
from ingest.store import ChromaStore, StoreError, open_store
from rag.pipeline import shared_embedder
from tests.helpers import BIN, citeqa, free_port, prose, wait_http, write_md
from tests.robust_support import assert_whole_documents

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _docs(root: Path, names: dict[str, int]) -> Path:
    for name, seed in names.items():
        write_md(root / f"{name}.md", name, prose(seed, 30))
    return root


def _snapshot(settings: Settings) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(chunk ids per source, sha256 per source)."""
    store = open_store(settings)
    got = store.col.get(include=["metadatas"])
    ids: dict[str, list[str]] = {}
    for cid, md in zip(got["ids"], got["metadatas"] or [], strict=True):
        ids.setdefault(str(md["source"]), []).append(cid)
    return {k: sorted(v) for k, v in ids.items()}, {
        k: e.sha256 for k, e in store.manifest().items()
    }


# --- an index path that cannot be created --------------------------------------------------


def test_index_under_a_regular_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    index = blocker / "index"
    docs = _docs(tmp_path / "docs", {"a": 1})
    res = run_cli("ingest", str(docs), "--index", str(index))
    assert res.exit_code == 2
    assert f"cannot open the index at {index}" in res.stderr and "Not a directory" in res.stderr
    res = citeqa("ask", "What is blinatumomab?", env={"CITEQA_INDEX_DIR": str(index)}, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "cannot open the index" in res.stderr and "Traceback" not in res.stderr
    assert blocker.read_text() == "a file where a directory should be"


# --- the disk fills up in the middle of a run ------------------------------------------------


@pytest.fixture
def first_ingest(tmp_path: Path) -> tuple[Settings, Path]:
    settings = get_settings(index_dir=tmp_path / "ix")
    docs = _docs(tmp_path / "docs", {"a": 1, "b": 2, "c": 3})
    report = Ingestor(settings, progress=False).run([docs])
    assert report.failed == [] and report.files == 3
    return settings, docs


def _fail_on(monkeypatch: pytest.MonkeyPatch, name: str, nth: int) -> list[str]:
    """Patch the store so that the ``nth`` chunk batch holding file ``name`` fails with ENOSPC.

    Returns the file names of the chunks written, one entry per chunk batch and file."""
    real = ChromaStore._upsert
    calls: list[str] = []

    def upsert(self: ChromaStore, rows: Any, vectors: Any) -> None:
        names = list(dict.fromkeys(Path(key).name for key, _ in rows))
        calls.extend(names)
        if f"{name}.md" in names and calls.count(f"{name}.md") == nth:
            raise ENOSPC
        real(self, rows, vectors)

    monkeypatch.setattr(ChromaStore, "_upsert", upsert)
    return calls


def test_disk_full_mid_file_keeps_the_previous_index(
    first_ingest: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, docs = first_ingest
    before_ids, before_sha = _snapshot(settings)
    write_md(docs / "b.md", "b", prose(20, 30))  # changed: written in the same batch as d
    _docs(docs, {"d": 4, "e": 5})  # new: d fails in its second batch, e is never reached
    calls = _fail_on(monkeypatch, "d", 2)
    store = open_store(settings)
    store.max_batch = 2  # several batches per file, so the failure lands mid-file
    with pytest.raises(StoreError) as info:
        Ingestor(settings, store=store, progress=False).run([docs])
    msg = str(info.value)
    assert "d.md" in msg and "No space left on device" in msg and "`citeqa ingest`" in msg
    assert calls.count("d.md") == 2  # failed in its second chunk batch
    ids, sha = _snapshot(settings)
    key = {n: str((docs / f"{n}.md").resolve()) for n in "abcde"}
    assert key["d"] not in ids and key["d"] not in sha, "partial file left in the index"
    assert key["e"] not in ids
    for n in "ac":  # untouched files: same chunks, same manifest entry
        assert ids[key[n]] == before_ids[key[n]] and sha[key[n]] == before_sha[key[n]]
    # b was written in the same batch as d: rolled back with it, its previous version intact
    assert ids[key["b"]] == before_ids[key["b"]] and sha[key["b"]] == before_sha[key["b"]]
    assert "2 other files written with it" in msg
    assert_whole_documents(open_store(settings))
    hits = open_store(settings).query(
        shared_embedder(settings.embedder).embed_query("marrow infusion"), k=50
    )
    assert {h.chunk.doc_id for h in hits} == {"a", "b", "c"}
    monkeypatch.undo()  # space is back: the next run finishes the job
    report = Ingestor(settings, progress=False).run([docs])
    assert report.failed == [] and report.skipped == 2 and report.new_chunks > 0
    assert set(assert_whole_documents(open_store(settings))) == set(key.values())


def test_disk_full_is_a_clear_cli_error(
    first_ingest: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, docs = first_ingest
    before = _snapshot(settings)
    _docs(docs, {"d": 4})
    _fail_on(monkeypatch, "d", 1)
    res = run_cli("ingest", str(docs), "--index", str(settings.index_dir))
    assert res.exit_code == 2
    assert res.stderr.startswith("citeqa: could not write ") and "No space left" in res.stderr
    assert "Traceback" not in res.stderr
    assert _snapshot(settings) == before


# --- a corrupted manifest entry ---------------------------------------------------------------

BAD_ENTRIES = [
    {"sha256": "0" * 64, "docs": "{not json"},
    {"docs": "[]", "n_chunks": 3},  # no sha256
    {"sha256": "0" * 64, "docs": '"a string"'},
    {"sha256": "0" * 64, "docs": "[]", "n_chunks": "many"},
]


def test_corrupted_manifest_entry_says_rebuild_and_rebuild_recovers(
    first_ingest: tuple[Settings, Path],
) -> None:
    from rag.pipeline import Pipeline

    settings, docs = first_ingest
    good_ids, good_sha = _snapshot(settings)
    key = str((docs / "b.md").resolve())
    for bad in BAD_ENTRIES:
        man = open_store(settings).man  # replace the entry whole (upsert merges metadata)
        man.delete(ids=[key])
        man.add(ids=[key], embeddings=[[1.0]], documents=[key], metadatas=[bad])
        with pytest.raises(StoreError) as info:
            open_store(settings).manifest()
        assert "corrupt" in str(info.value) and "`citeqa ingest --rebuild`" in str(info.value)
        with pytest.raises(StoreError):
            Pipeline(settings).documents()
        res = run_cli("ingest", str(docs), "--index", str(settings.index_dir))
        assert res.exit_code == 2 and "citeqa ingest --rebuild" in res.stderr, res.stderr
    res = run_cli("ingest", str(docs), "--index", str(settings.index_dir), "--rebuild")
    assert res.exit_code == 0, res.stderr
    assert _snapshot(settings) == (good_ids, good_sha)
    assert_whole_documents(open_store(settings))


# --- the Chroma server goes down and comes back --------------------------------------------


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        wait_http(f"{self.url}/api/v2/heartbeat", timeout=120)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "srv")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_chroma_server_down_then_back(tmp_path: Path, chroma: ChromaServer) -> None:
    from rag.pipeline import Pipeline

    settings = get_settings(chroma_url=chroma.url)
    report = Ingestor(settings, progress=False).run([_docs(tmp_path / "docs", {"a": 1, "b": 2})])
    assert report.failed == [] and report.new_chunks > 0
    question = "How is blinatumomab given as an infusion?"
    pipe = Pipeline(settings)  # a long-lived process (chat, API) opened while the server is up
    first = pipe.answer(question)
    chroma.stop()
    t0 = time.monotonic()
    res = citeqa("ask", question, env={"CITEQA_CHROMA_URL": chroma.url}, timeout=120)
    assert time.monotonic() - t0 < 120  # fails fast rather than hanging (generous bound)
    assert res.returncode == 2 and "cannot reach the Chroma server" in res.stderr
    assert "Traceback" not in res.stderr
    with pytest.raises(StoreError, match="Is `chroma run` up"):
        pipe.answer(question)
    chroma.start()  # same port, same data directory
    again = pipe.answer(question)
    assert again.answer == first.answer and [c.chunk_id for c in again.citations] == [
        c.chunk_id for c in first.citations
    ]
    fresh = Pipeline(settings).answer(question)
    assert fresh.answer == first.answer
    assert open_store(settings).count() == report.chunks_total
