"""Evidence in context on the shipped corpus (issue N), with the real models: the draft is
built the way rag/answer.py builds it, then annotated (rag/evidence.py) and composed."""

from __future__ import annotations

from typing import Any

import pytest

from citeqa.answer import Answer, Audience
from rag.compose import Context, compose_answer, retrieved_of
from rag.evidence import Sources, annotate
from rag.pipeline import build_pipeline
from rag.query import parse_query


def answer_with_evidence(settings: Any, question: str, audience: Audience) -> Answer:
    """Answerer.answer's steps (parse, retrieve, draft), then annotate and compose."""
    parts = build_pipeline(settings)
    a = parts.answerer
    u = a.understanding()
    q = parse_query(question, u, ())
    got = a.retriever.retrieve(q.retrieval, k=a.settings.answer.passages, mode="hybrid")
    draft = a._draft(q, audience, got.chunks, u, None)
    src = Sources.of(a.retriever.snapshot().chunks, u.entities, parts.profile.evidence)
    draft = annotate(q, draft, audience, src)
    ctx = Context(
        question=question,
        audience=audience,
        abstain_text=a.decline_text(q, audience, draft.reason),
        notices=a._notices(q, audience),
        retrieved=retrieved_of(got.chunks, draft.citations),
    )
    return compose_answer(draft, ctx, parts.glossary)


def test_pediatric_question_citing_tower_has_the_population_notice(corpus_settings: Any) -> None:
    q = "What was the complete remission rate in TOWER for my child?"
    ans = answer_with_evidence(corpus_settings, q, Audience.CLINICIAN)
    tower = [c for c in ans.citations if c.doc_id == "nejm2017-tower"]
    assert tower, ans.answer
    notes = [n for n in ans.notices if n.kind == "population"]
    assert [n.text for n in notes] == [
        "TOWER enrolled adults; its results may not apply to children."
    ]
    assert set(notes[0].citations) == {c.n for c in tower}
    assert tower[0].population is not None and tower[0].population.age_group == "adults"
    assert notes[0].text in ans.notice


def test_aall1731_dfs_cites_the_ash_update_as_latest(corpus_settings: Any) -> None:
    ans = answer_with_evidence(corpus_settings, "What was the DFS in AALL1731?", Audience.CLINICIAN)
    assert not ans.abstained
    first = ans.citations[0]
    assert first.doc_id == "ash2025-758-aall1731" and first.report is not None
    assert first.report.status == "latest"
    assert ans.sentences[0].citations == (1,)
    earlier = [c for c in ans.citations if c.doc_id == "nejm2025-aall1731"]
    assert earlier, "the NEJM figures are quoted too"
    assert earlier[0].report is not None
    assert (earlier[0].report.status, earlier[0].report.later_doc_id) == (
        "earlier",
        "ash2025-758-aall1731",
    )
    (cut,) = [n for n in ans.notices if n.kind == "data-cut"]
    assert "3-year" in cut.text and "N Engl J Med" in cut.text and "latest report" in cut.text
    assert "(conference abstract, not yet peer-reviewed)" in ans.answer
    assert ans.evidence_summary.endswith("evidence as of Dec 2025")


def test_nejm_report_named_gets_nejm_figures_without_data_cut_notice(corpus_settings: Any) -> None:
    q = "What was the 3-year DFS in the NEJM report of AALL1731?"
    ans = answer_with_evidence(corpus_settings, q, Audience.CLINICIAN)
    assert not ans.abstained
    assert {c.doc_id for c in ans.citations} == {"nejm2025-aall1731"}
    assert "96.0%" in ans.answer
    assert not [n for n in ans.notices if n.kind == "data-cut"]
    assert "not yet peer-reviewed" not in ans.answer


@pytest.mark.parametrize(
    "question",
    ["How did CRS compare between TOWER and BLAST?", "CRS in TOWER versus BLAST?"],
)
def test_tower_vs_blast_crs_is_a_two_row_table(corpus_settings: Any, question: str) -> None:
    ans = answer_with_evidence(corpus_settings, question, Audience.CLINICIAN)
    assert ans.table is not None, ans.answer
    assert [r.label for r in ans.table.rows] == ["TOWER", "BLAST"]
    assert ans.table.columns[0] == "CRS"
    quotes = {c.n: c for c in ans.citations}
    docs = {"TOWER": "nejm2017-tower", "BLAST": "blood2018-blast"}
    for row in ans.table.rows:
        crs = row.cells[0]
        if crs.citation is None:
            assert crs.text == "not reported"
            continue
        c = quotes[crs.citation]
        assert c.doc_id == docs[row.label]  # the row's own study
        assert crs.text in c.quote and "CRS" in crs.text  # verbatim from its quote
    assert ans.comparison == tuple(v for r in ans.table.rows for v in r.cells)
