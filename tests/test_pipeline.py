"""Ingestion end to end on the real embedder and a real embedded Chroma."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from citeqa.settings import Settings
from ingest.pipeline import Ingestor
from ingest.store import open_store
from tests.helpers import citeqa, last_json, prose, write_md


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def _ids(settings: Settings) -> list[str]:
    store = open_store(settings)
    return [c.chunk_id for c in store.iter_chunks()]


def test_ingest_is_idempotent(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    for i in range(3):
        write_md(docs / f"d{i}.md", f"d{i}", prose(i, 12), year=2024, doc_type="journal-article")
    r1 = Ingestor(settings, progress=False).run([docs])
    assert r1.failed == [] and r1.files == 3 and r1.new_chunks > 3
    assert r1.chunks_total == r1.new_chunks
    r2 = Ingestor(settings, progress=False).run([docs])
    assert (r2.new_chunks, r2.skipped, r2.chunks_total) == (0, 3, r1.chunks_total)
    ids = _ids(settings)
    assert len(ids) == len(set(ids)) == r1.chunks_total


def test_changed_file_replaces_its_chunks(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    write_md(docs / "a.md", "a", prose(1, 30))
    write_md(docs / "b.md", "b", prose(2, 5))
    Ingestor(settings, progress=False).run([docs])
    write_md(docs / "a.md", "a", prose(3, 6))
    r = Ingestor(settings, progress=False).run([docs])
    assert r.skipped == 1 and r.new_chunks > 0
    store = open_store(settings)
    texts = " ".join(c.text for c in store.iter_chunks() if c.doc_id == "a")
    assert "Item 3-0" in texts and "Item 1-0" not in texts
    fresh = Settings(index_dir=tmp_path / "fresh")
    Ingestor(fresh, progress=False).run([docs])
    assert sorted(_ids(settings)) == sorted(_ids(fresh))


def test_prune_removes_deleted_files(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    write_md(docs / "a.md", "a", prose(1, 5))
    write_md(docs / "b.md", "b", prose(2, 5))
    Ingestor(settings, progress=False).run([docs])
    (docs / "b.md").unlink()
    r = Ingestor(settings, progress=False).run([docs], prune=False)
    assert r.pruned == 0 and any(c.doc_id == "b" for c in open_store(settings).iter_chunks())
    r = Ingestor(settings, progress=False).run([docs], prune=True)
    assert r.pruned == 1
    assert {c.doc_id for c in open_store(settings).iter_chunks()} == {"a"}
    assert len(open_store(settings).manifest()) == 1


def test_duplicate_doc_id_fails_alone(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    write_md(docs / "a.md", "same", prose(1, 5))
    write_md(docs / "b.md", "same", prose(2, 5))
    r = Ingestor(settings, progress=False).run([docs])
    assert len(r.failed) == 1 and "already indexed" in r.failed[0]["error"]
    assert r.new_chunks > 0


def test_bad_files_fail_alone_via_cli(tmp_path: Path) -> None:
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "good.txt").write_text("Blinatumomab is a bispecific antibody. It is infused.\n")
    (d / "random.pdf").write_bytes(os.urandom(4096))
    (d / "empty.pdf").write_bytes(b"")
    pdf = (Path(__file__).parent / "data" / "tiny.pdf").read_bytes()
    (d / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (d / "random.xml").write_bytes(os.urandom(2048))
    res = citeqa("ingest", str(d), "--json", "--index", str(tmp_path / "ix"))
    assert res.returncode == 1, res.stderr
    out = last_json(res.stdout)
    assert out["files"] == 5 and out["new_chunks"] >= 1 and out["chunks_total"] >= 1
    failed = {Path(f["path"]).name: f["error"] for f in out["failed"]}
    assert set(failed) == {"random.pdf", "empty.pdf", "truncated.pdf", "random.xml"}
    assert "empty" in failed["empty.pdf"]
    assert "truncated" in failed["truncated.pdf"]
    assert "XML" in failed["random.xml"] or "xml" in failed["random.xml"]
    for name, err in failed.items():
        assert err and "Traceback" not in err, name


def test_missing_path_is_reported(tmp_path: Path, settings: Settings) -> None:
    r = Ingestor(settings, progress=False).run([tmp_path / "nope"])
    assert r.failed == [{"path": str(tmp_path / "nope"), "error": "no such file or directory"}]


def test_collection_name_follows_chunking(tmp_path: Path) -> None:
    a = Settings(index_dir=tmp_path)
    b = Settings(index_dir=tmp_path, chunking={"size": 500})  # type: ignore[arg-type]
    assert a.collection_name() != b.collection_name()
    assert a.collection_name() == Settings(index_dir=tmp_path / "x").collection_name()
