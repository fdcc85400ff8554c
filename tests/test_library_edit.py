"""Library changes keep the index, BM25 and the manifest consistent: corrections of type, year and
trial (kept across re-ingest and rebuild), replacing and deleting files. Real store and embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from citeqa.errors import UploadError
from citeqa.models import Filters
from citeqa.settings import get_settings
from rag.library import MetadataChange, Overrides
from rag.pipeline import Pipeline
from tests.helpers import write_md

pytestmark = pytest.mark.slow

ZEBRA = "Zebrafish fin regeneration doubled with the quartz lamp in the aquarium study."
OTTER = "Sea otters used granite anvils to open clams in the kelp survey."
HERON = "Grey herons nested on willow platforms along the canal in the spring census."


def note(folder: Path, doc_id: str, sentence: str, **meta: object) -> Path:
    body = f"## Results\n\n{sentence} {sentence.replace('.', ' again.')}"
    return write_md(folder / f"{doc_id}.md", doc_id, body, **meta)


@pytest.fixture
def pipe(tmp_path: Path) -> Pipeline:
    settings = get_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    p = Pipeline(settings)
    src = tmp_path / "src"
    note(src, "zebra-note", ZEBRA, year=2019, doc_type="journal-article")
    note(src, "otter-note", OTTER, year=2021, doc_type="journal-article")
    report = p.ingest([src], progress=False)
    assert not report.failed
    return p


def bm25_docs(p: Pipeline, query: str, filters: Filters | None = None) -> set[str]:
    return {h.chunk.doc_id for h in p.retriever.bm25(query, 10, filters)}


def dense_docs(p: Pipeline, query: str, filters: Filters | None = None) -> set[str]:
    vec = p.embedder.embed_query(query)
    return {h.chunk.doc_id for h in p.store.query(vec, 10, filters)}


def doc(p: Pipeline, doc_id: str) -> dict[str, object] | None:
    return next((d for d in p.documents() if d["doc_id"] == doc_id), None)


def test_correction_reaches_manifest_bm25_and_dense_and_survives_rebuild(pipe: Pipeline) -> None:
    before = pipe.store.count()
    report = pipe.set_metadata(
        "zebra-note", MetadataChange(doc_type="trial-registry", year=2024, trial="ZF-01")
    )
    assert not report["failed"]
    d = doc(pipe, "zebra-note")
    assert d is not None and (d["doc_type"], d["year"], d["trial"]) == (
        "trial-registry",
        2024,
        "ZF-01",
    )
    assert pipe.store.count() == before  # re-indexed in place, nothing doubled
    only = Filters(doc_types=("trial-registry",), year_min=2024, trial="ZF-01")
    assert bm25_docs(pipe, "zebrafish quartz lamp", only) == {"zebra-note"}
    assert dense_docs(pipe, "zebrafish quartz lamp", only) == {"zebra-note"}
    assert bm25_docs(pipe, "sea otters granite", only) == set()
    # kept in the data dir and applied at every ingest, also after a rebuild
    assert Overrides.for_settings(pipe.settings).documents["zebra-note"]["year"] == 2024
    src = Path(str(doc(pipe, "zebra-note")["path"])).parent  # type: ignore[index]
    pipe.reset_index()
    pipe.ingest([src], progress=False)
    d = doc(pipe, "zebra-note")
    assert d is not None and d["doc_type"] == "trial-registry" and d["year"] == 2024


def test_bad_corrections_are_refused(pipe: Pipeline) -> None:
    with pytest.raises(UploadError, match="unknown document type"):
        pipe.set_metadata("zebra-note", MetadataChange(doc_type="blog"))
    with pytest.raises(UploadError, match="year"):
        pipe.set_metadata("zebra-note", MetadataChange(year=1066))
    with pytest.raises(UploadError, match="no indexed document"):
        pipe.set_metadata("no-such-doc", MetadataChange(year=2020))
    d = doc(pipe, "zebra-note")
    assert d is not None and d["year"] == 2019  # nothing changed


def test_upload_with_metadata_then_replace_then_delete(pipe: Pipeline, tmp_path: Path) -> None:
    base = pipe.store.count()  # the two notes
    first = note(tmp_path / "up", "heron-note", HERON, year=2010).read_bytes()
    report = pipe.add_document(
        "heron.md", first, MetadataChange(doc_type="plain-language", year=2022, trial="")
    )
    assert not report["failed"]
    d = doc(pipe, "heron-note")
    assert d is not None and (d["doc_type"], d["year"]) == ("plain-language", 2022)
    assert pipe.store.count() > base
    assert bm25_docs(pipe, "grey herons willow") >= {"heron-note"}

    second = note(tmp_path / "up2", "heron-note-v2", OTTER.replace("Sea otters", "Herons"))
    report = pipe.replace_document(str(d["path"]), "heron-v2.md", second.read_bytes())
    assert not report["failed"]
    assert doc(pipe, "heron-note") is None and doc(pipe, "heron-note-v2") is not None
    assert "heron-note" not in bm25_docs(pipe, "grey herons willow canal")
    assert "heron-note" not in dense_docs(pipe, "grey herons willow canal")
    assert not (pipe.settings.data_dir / "uploads" / "heron.md").exists()
    assert sum(e.n_chunks for e in pipe.store.manifest().values()) == pipe.store.count()

    assert pipe.remove_document("heron-v2.md")
    assert doc(pipe, "heron-note-v2") is None
    assert pipe.store.count() == base
    assert "heron-note-v2" not in bm25_docs(pipe, "herons granite anvils clams")
    assert not (pipe.settings.data_dir / "uploads" / "heron-v2.md").exists()
    assert sum(e.n_chunks for e in pipe.store.manifest().values()) == pipe.store.count()
    assert not pipe.remove_document("heron-v2.md")  # already gone


def test_a_refused_replacement_keeps_the_old_file(pipe: Pipeline) -> None:
    d = doc(pipe, "otter-note")
    assert d is not None
    with pytest.raises(UploadError):
        pipe.replace_document(str(d["path"]), "new.pdf", b"not a pdf at all")
    assert doc(pipe, "otter-note") is not None
    assert bm25_docs(pipe, "sea otters granite anvils") == {"otter-note"}
