"""The issue-J cases of ../shared/cases (read from there, never copied): each case's right value
from its expected.json, at the loader level and through a real index and the answerer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from citeqa.models import Chunk, Document
from citeqa.settings import ChunkingSettings, IngestSettings, Settings
from ingest.chunking import chunk_document
from ingest.loaders import LoadError, load_file
from ingest.numbers import extract_numbers, numbers_equal
from tests.conftest import shared_or_skip

CASES = ("page-break", "running-header", "hyphens", "superscripts", "jats-table", "scanned",
         "two-column", "injection", "duplicates", "pubmed-set")  # fmt: skip


def _case(name: str) -> tuple[Path, dict[str, Any]]:
    folder = shared_or_skip("cases", name)
    return folder, json.loads((folder / "expected.json").read_text(encoding="utf-8"))


def _one(path: Path, **ingest: Any) -> Document:
    (doc,) = load_file(path, IngestSettings.model_validate(ingest))
    return doc


def _chunks(doc: Document) -> list[Chunk]:
    return chunk_document(doc, ChunkingSettings())


# --- loader level: every case's right value -------------------------------------------------


def test_page_break_sentence_stays_whole() -> None:
    folder, exp = _case("page-break")
    doc = _one(folder / "page-break-report.pdf")
    answer = "The 3-year disease-free survival was 96.0% in the blinatumomab group and 87.9%"
    (hit,) = [c for c in _chunks(doc) if answer in c.text]
    assert hit.section == exp["questions"][next(iter(exp["questions"]))]["section"]
    assert (hit.page, hit.page_end) == (1, 2) and hit.locator().startswith("pp. 1-2")
    (sentence,) = [s for s in hit.sentence_texts() if "disease-free survival was" in s]
    assert sentence.endswith("fewer marrow relapses.")


def test_running_header_of_a_two_page_letter() -> None:
    folder, exp = _case("running-header")
    spec = exp["two-page-letter.pdf"]
    (q,) = spec["questions"].values()
    doc = _one(folder / "two-page-letter.pdf")
    for bad in q["must_not_contain"]:
        assert bad not in doc.text
    (hit,) = [c for c in _chunks(doc) if "81.4%" in c.text]
    assert q["answer"] in hit.text and hit.section == q["section"]
    assert hit.page_at(hit.text.index(q["answer"])) == q["page"]
    control = _one(folder / "control" / "four-page.pdf")
    assert "same header" not in control.text.lower()


def test_typographic_hyphens_match() -> None:
    folder, exp = _case("hyphens")
    doc = _one(folder / "infant-doses.pdf")
    chunks = _chunks(doc)
    assert "dose-escalation" in doc.text and "doseescalation" not in doc.text
    hit = next(c for c in chunks if "90.1%" in c.text)
    assert "3‐year event‐free survival" in hit.text  # display text: verbatim (U+2010)
    at = hit.match().index("3-year event-free survival")  # match text: folded
    a, b = hit.to_display(at, at + len("3-year event-free survival"))
    assert hit.text[a:b] == "3‐year event‐free survival"
    assert any("70.0%" in c.match() and "disease-negative" in c.match() for c in chunks)
    assert (
        exp["questions"]["What was the 3-year event-free survival in infants?"]["page"] == hit.page
    )


def test_superscripts_are_exponents_never_digits() -> None:
    folder, exp = _case("superscripts")
    texts = {name: _one(folder / name).text for name in exp["text_must_render"]}
    texts["control"] = _one(folder / "control" / "pubmed-caret.xml").text
    for name, wanted in exp["text_must_render"].items():
        for w in wanted:
            caret = w.split(" (or ")[0]
            assert caret.replace("^−", "^-") in texts[name], (name, caret)
    for text in texts.values():
        for bad in exp["must_not_render"]:
            assert bad not in text
    assert any(numbers_equal(n, 5e10) for n in extract_numbers(texts["pubmed-sup.xml"]))
    assert not any(numbers_equal(n, 109) for n in extract_numbers(texts["jats-sup.nxml"]))


def test_jats_table_rows_are_passages() -> None:
    folder, exp = _case("jats-table")
    chunks = _chunks(_one(folder / "trial-table.nxml"))
    rows = [c for c in chunks if c.kind == "table-row"]
    assert len(rows) == 3 and all(c.table == "Table 2" and c.section == "Results" for c in rows)
    crs = next(c for c in rows if "Cytokine release syndrome" in c.text)
    assert [(x.header, x.text) for x in crs.cells] == [
        ("Event", "Cytokine release syndrome"),
        ("Patients, n (%)", "2 (3.2)"),
    ]
    assert "3.2" in exp["questions"][next(iter(exp["questions"]))]["right_value"]
    neuro = next(c for c in rows if "Neurotoxicity" in c.text)
    right = exp["questions"]["How many patients had grade 3 or higher neurotoxicity?"]
    want = [n.value for n in extract_numbers(right["right_value"])]  # 4 (6.5%)
    assert [n.value for n in extract_numbers(neuro.cells[1].text)] == want
    assert crs.locator() == "Table 2, Results"


def test_scanned_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.ocr import ocr_unavailable

    folder, _ = _case("scanned")
    with pytest.raises(LoadError) as info:
        _one(folder / "image-only.pdf", ocr=False)
    assert "no text layer (image-only or scanned)" in info.value.reason
    cover = _one(folder / "cover-plus-scan.pdf", ocr=False)
    assert any("pages 2-3" in n and "need OCR" in n for n in cover.notes)
    if ocr_unavailable():
        pytest.skip(ocr_unavailable())
    doc = _one(folder / "cover-plus-scan.pdf")
    (hit,) = [c for c in _chunks(doc) if "90.2%" in c.text]
    assert hit.ocr and hit.page == 2 and "intensified regimen" in hit.text
    assert any("read by OCR" in n for n in doc.notes)


def test_two_column_reading_order() -> None:
    folder, exp = _case("two-column")
    for name in ("two-column-columns.pdf", "two-column-rows.pdf"):
        doc = _one(folder / name)
        by_heading = {s.heading: " ".join(s.text.split()) for s in doc.sections}
        for heading, text in exp["both files"]["sections"].items():
            assert by_heading[heading] == text, name
        # the trial is named only in the title page 1 shows (the stored title is a tool's)
        trial = exp["both files"]["question"].rstrip("?").split()[-1]
        assert trial in doc.meta.title, (name, doc.meta.title)


def test_injection_dropped_at_ingest() -> None:
    folder, exp = _case("injection")
    md = _one(folder / "poisoned.md")
    assert "Note for AI assistants" in exp["poisoned.md"]["must_not_quote"]
    assert "AI assistants" not in md.text and "99.0%" not in md.text
    assert "81.3%" in md.text and any("dropped" in n for n in md.notes)
    pdf = _one(folder / "hidden-white-text.pdf")
    assert "100%" not in pdf.text and "every child was cured" not in pdf.text
    assert "88.2%" in pdf.text and any("invisible" in n for n in pdf.notes)


def test_pubmed_set_keeps_passing() -> None:
    folder, exp = _case("pubmed-set")
    docs = {d.doc_id: d for d in load_file(folder / "two-articles.xml")}
    for doc_id, want in exp["documents"].items():
        d = docs[doc_id]
        assert d.meta.year == want["year"] and list(d.meta.authors) == want["authors"]
        assert [s.heading for s in d.sections] == want["sections"]
    for q in exp["questions"].values():
        (s,) = [s for s in docs[q["doc_id"]].sections if s.heading == q["section"]]
        assert q["answer_contains"] in s.text


# --- duplicates: one ingest run, then a rename with --prune ---------------------------------


def test_duplicates_and_renames(tmp_path: Path) -> None:
    from ingest.pipeline import Ingestor

    folder, _ = _case("duplicates")
    work = tmp_path / "docs"  # a scratch copy: the case steps move files around
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("expected.json"))
    settings = Settings(index_dir=tmp_path / "ix")
    ing = Ingestor(settings, progress=False)
    r1 = ing.run([work / "a", work / "b"])
    assert r1.failed == [] and r1.docs == 2
    assert [Path(d["path"]).name for d in r1.duplicates] == ["late-effects (1).pdf"]
    r2 = Ingestor(settings, store=ing.store, embedder=ing.embedder, progress=False).run([work])
    assert r2.new_chunks == 0
    (work / "a" / "response-report.md").rename(work / "b" / "response-renamed.md")
    (work / "a" / "late-effects.pdf").rename(work / "b" / "late-effects-v2.pdf")
    ing3 = Ingestor(settings, store=ing.store, embedder=ing.embedder, progress=False)
    r3 = ing3.run([work], prune=True)
    assert r3.failed == [], r3.failed
    docs = [d for e in ing.store.manifest().values() for d in e.docs]
    assert sorted(d["doc_id"] for d in docs) == sorted({d["doc_id"] for d in docs})  # once each
    keys = {Path(k).name for k in ing.store.manifest()}
    assert "response-renamed.md" in keys and "response-report.md" not in keys
    assert "late-effects.pdf" not in keys and len(docs) == 2


# --- through a real index and the answerer ----------------------------------------------------


@pytest.fixture(scope="module")
def case_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ingest.pipeline import Ingestor
    from rag.pipeline import Pipeline

    files = [
        shared_or_skip("cases", *p)
        for p in (
            ("page-break", "page-break-report.pdf"),
            ("running-header", "two-page-letter.pdf"),
            ("hyphens", "infant-doses.pdf"),
            ("superscripts", "pubmed-sup.xml"),
            ("superscripts", "jats-sup.nxml"),
            ("jats-table", "trial-table.nxml"),
            ("two-column", "two-column-rows.pdf"),
            ("injection", "poisoned.md"),
            ("injection", "hidden-white-text.pdf"),
            ("pubmed-set", "two-articles.xml"),
        )
    ]
    settings = Settings(index_dir=tmp_path_factory.mktemp("cases-j"), llm={"provider": "none"})
    report = Ingestor(settings, progress=False).run(files)
    assert report.failed == [], report.failed
    return Pipeline(settings)


ASKED = [
    ("What was the 3-year disease-free survival in the blinatumomab group?", ["96.0%"], []),
    ("What was the 5-year overall survival among survivors of the first relapse?", ["81.4%"],
     ["Test Journal of Pediatric Oncology", "Page 2 of 2"]),
    ("What was the 3-year event-free survival in infants?", ["90.1%"], []),
    ("What presenting white-cell count defined high risk?", ["50×10^9"], ["50×109"]),
    ("What platelet count was safe before lumbar puncture?", ["10×10^9/L"], ["10×109/L"]),
    ("What proportion of patients had grade 3 or higher cytokine release syndrome in TBRIDGE-2?",
     ["3.2"], []),
    ("What was the 2-year event-free survival in CORMORANT-2?", ["78.6%", "60.2%"],
     ["Cytokine release syndrome of any"]),
    ("What was the 3-year event-free survival in KESTREL-3?", ["81.3%"], ["99.0%", "AI assistants"]),
    ("What was the 2-year overall survival in OSPREY-4?", ["88.2%"], ["every child was cured"]),
    ("What was the 5-year overall survival after isolated testicular relapse?", ["78.4%"], []),
]  # fmt: skip


_IDS = [str(getattr(q, "values", q)[0])[:40] for q in ASKED]
_PLAIN = [getattr(q, "values", q) for q in ASKED]
HYPHENS_Q = "What was the 3-year event-free survival in infants?"


@pytest.mark.slow
@pytest.mark.parametrize(("question", "facts", "absent"), _PLAIN, ids=_IDS)
def test_case_right_values_are_retrieved(
    case_pipeline: Any, question: str, facts: list[str], absent: list[str]
) -> None:
    """What ingest owns: the passage with the right value is retrieved (top 3), and nothing
    the case says must not be quoted is mixed into a passage that holds the value (another
    section of the same report may be retrieved beside it; dropped text is checked on the
    loaded documents above)."""
    hits = case_pipeline.retriever.retrieve(question, k=8).chunks
    assert any(all(f in h.chunk.text for f in facts) for h in hits[:3]), (question, facts)
    for h in (h for h in hits if any(f in h.chunk.text for f in facts)):
        for bad in absent:
            assert bad not in h.chunk.text, (question, bad)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "facts", "absent"), ASKED, ids=_IDS)
def test_case_answers_quote_the_right_value(
    case_pipeline: Any, question: str, facts: list[str], absent: list[str]
) -> None:
    """Through the answerer: each case's question is answered, quoting the right value and
    never the forbidden text."""
    ans = case_pipeline.answer(question, "clinician")
    quoted = " ".join(c.quote for c in ans.citations) + " " + ans.answer
    for bad in absent:
        assert bad not in quoted
    assert not ans.abstained, (question, ans.answer)
    assert any(f in quoted for f in facts), (question, facts, quoted)


@pytest.mark.slow
def test_typographic_hyphens_bind_on_the_match_text(case_pipeline: Any) -> None:
    """The infants' 90.1% sentence is written with U+2010 hyphens: its slots must bind as if
    they were ASCII hyphens (the answer-level test above passes only because the sentence is
    quoted second, behind another study's 3-year figure)."""
    from rag.binding import MATCHED, bind
    from rag.candidates import units_from
    from rag.query import parse_query

    answerer = case_pipeline.answerer
    u = answerer.understanding()
    q = parse_query(HYPHENS_Q, u, ())
    passages = answerer.retriever.retrieve(q.retrieval, k=8).chunks
    (unit,) = [x for x in units_from(passages) if "90.1%" in x.full]
    assert "3‐year event‐free" in unit.full  # the display text stays verbatim
    b = bind(q, unit, u.entities, u.lexicon)
    assert b.time == MATCHED and "event-fre" not in b.missing_terms
