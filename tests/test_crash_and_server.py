"""SIGKILL mid-ingest then rerun; Chroma in client/server mode on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from citeqa.settings import Settings
from ingest.store import open_store
from tests.helpers import BIN, REPO, citeqa, free_port, last_json, prose, write_md

N_FILES = 40
FLUSH = {"CITEQA_INGEST__FLUSH_CHUNKS": "24"}  # an embedding batch every ~8 files


def _corpus(root: Path, seed: int) -> None:
    # with small embedding batches (FLUSH env below) files are committed all through the run
    for i in range(N_FILES):
        write_md(root / f"f{i:03d}.md", f"f{i:03d}", prose(seed * 1000 + i, 25))


def _kill_midway(docs: Path, index: Path) -> None:
    """Start an ingest and SIGKILL it as soon as its first batch is embedded: that is while it
    commits files one by one, with more files still to come."""
    proc = subprocess.Popen(
        [str(BIN / "citeqa"), "ingest", str(docs), "--index", str(index), "--progress"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "100", **FLUSH},
    )
    assert proc.stderr is not None
    buf = b""
    while b"chunks=" not in buf:
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf = (buf + ch)[-300:]
    still_running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert still_running and b"chunks=" in buf, "the kill must land mid-run"
    done = re.findall(rb"(\d+)/%d" % N_FILES, buf)
    assert done and int(done[-1]) < N_FILES, "files were still left to ingest"


def _state(index: Path) -> tuple[list[str], int]:
    store = open_store(Settings(index_dir=index))
    ids = [c.chunk_id for c in store.iter_chunks()]
    return ids, len(store.manifest())


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_is_consistent(tmp_path: Path) -> None:
    docs, index, fresh = tmp_path / "docs", tmp_path / "ix", tmp_path / "fresh"
    _corpus(docs, seed=1)
    _kill_midway(docs, index)
    res = citeqa("ingest", str(docs), "--index", str(index), "--json")
    assert res.returncode == 0, res.stderr
    # second crash, this time while files are being replaced by new versions
    _corpus(docs, seed=2)
    _kill_midway(docs, index)
    res = citeqa("ingest", str(docs), "--index", str(index), "--json")
    assert res.returncode == 0, res.stderr
    assert (
        last_json(citeqa("ingest", str(docs), "--index", str(index), "--json").stdout)["new_chunks"]
        == 0
    )
    ref = citeqa("ingest", str(docs), "--index", str(fresh), "--json")
    assert ref.returncode == 0
    ids, entries = _state(index)
    ref_ids, ref_entries = _state(fresh)
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    assert sorted(ids) == sorted(ref_ids), "index differs from a clean ingest"
    assert entries == ref_entries == N_FILES


@pytest.mark.slow
def test_chroma_server_mode(tmp_path: Path, chroma_server: str) -> None:
    docs = tmp_path / "docs"
    for i in range(3):
        write_md(docs / f"s{i}.md", f"s{i}", prose(i, 10))
    env = {"CITEQA_CHROMA_URL": chroma_server}
    r1 = citeqa("ingest", str(docs), "--json", env=env)
    assert r1.returncode == 0, r1.stderr
    out1 = last_json(r1.stdout)
    assert out1["new_chunks"] > 0 and out1["failed"] == []
    r2 = last_json(citeqa("ingest", str(docs), "--json", env=env).stdout)
    assert r2["new_chunks"] == 0 and r2["skipped"] == 3
    # nothing was written to the embedded index dir: the server holds it all
    assert not (Path(os.environ["CITEQA_INDEX_DIR"]) / "chroma.sqlite3").exists()
    store = open_store(Settings(chroma_url=chroma_server))
    assert store.count() == out1["chunks_total"]
    from rag.pipeline import shared_embedder

    embedder = shared_embedder(Settings().embedder)
    hits = store.query(embedder.embed_query("blinatumomab relapse"), k=3)
    assert len(hits) == 3 and all(h.chunk.doc_id.startswith("s") for h in hits)


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    port = free_port()
    res = citeqa("ingest", str(tmp_path), env={"CITEQA_CHROMA_URL": f"http://127.0.0.1:{port}"})
    assert res.returncode == 2
    assert "cannot reach the Chroma server" in res.stderr
    assert "Traceback" not in res.stderr


def _host_snapshot_cmd(index: Path) -> list[str]:
    code = (
        "from pathlib import Path; from citeqa.settings import get_settings; "
        "from rag.pipeline import build_pipeline; "
        f"build_pipeline(get_settings(index_dir=Path({str(index)!r}))).retriever.snapshot()"
    )
    return [str(BIN / "python"), "-c", code]


@pytest.mark.slow
def test_sigkill_while_the_host_index_is_built_then_restart_is_consistent(tmp_path: Path) -> None:
    """A process killed at any point of building its host index (rag/host_index.py) leaves
    nothing that a restart would trust: the next process loads or builds an index equal to a
    fresh one."""
    import shutil
    import time

    from rag.host_index import HostIndex, host_dir
    from rag.snapshot import Snapshot

    docs, index = tmp_path / "docs", tmp_path / "ix"
    _corpus(docs, seed=3)
    assert citeqa("ingest", str(docs), "--index", str(index)).returncode == 0
    settings = Settings(index_dir=index)
    root = host_dir(settings)
    shutil.rmtree(root)
    t0 = time.perf_counter()
    subprocess.run(_host_snapshot_cmd(index), check=True, cwd=REPO)
    took = time.perf_counter() - t0
    for share in (0.5, 0.8, 0.95):  # the build runs after imports and the store is opened
        shutil.rmtree(root, ignore_errors=True)
        proc = subprocess.Popen(_host_snapshot_cmd(index), cwd=REPO)
        time.sleep(took * share)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    subprocess.run(_host_snapshot_cmd(index), check=True, cwd=REPO)  # the restart
    store = open_store(settings)
    saved = HostIndex(store, root)
    again, fresh = saved.state(store.version()), HostIndex(store, None)
    a, b = Snapshot(saved, again), Snapshot(fresh, fresh.state(store.version()))
    for q in ("alpha beta", "the results of the trial", "patients"):
        assert [(h.chunk.chunk_id, h.score) for h in a.search(q, 10)] == [
            (h.chunk.chunk_id, h.score) for h in b.search(q, 10)
        ]
    assert a.lexicon().df == b.lexicon().df and dict(a.documents()) == dict(b.documents())
