"""The cases of ../shared/cases marked H, as tests with their right values (read from
../shared, never copied). Each case folder is indexed as a user indexes a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_or_skip


def case(name: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    from citeqa.settings import Settings
    from rag.pipeline import build_pipeline

    folder = shared_or_skip("cases", name)
    settings = Settings(index_dir=tmp_path_factory.mktemp(f"case-{name}") / "ix")
    pipe = build_pipeline(settings)
    docs = [f for f in Path(folder).iterdir() if f.name != "expected.json"]
    report = pipe.ingest(docs, progress=False)
    assert not report.failed, report.failed
    expected = json.loads((Path(folder) / "expected.json").read_text(encoding="utf-8"))
    return pipe, expected


@pytest.mark.slow
def test_vocab_veto(tmp_path_factory: pytest.TempPathFactory) -> None:
    pipe, exp = case("vocab-veto", tmp_path_factory)
    for question, want in exp["questions"].items():
        if question == "controls":
            for q in want:
                assert not pipe.answer(q).abstained, q
            continue
        ans = pipe.answer(question)
        assert not ans.abstained, question
        assert want["answer_contains"] in ans.answer, (question, ans.answer)


@pytest.mark.slow
def test_chunk_dilution(tmp_path_factory: pytest.TempPathFactory) -> None:
    pipe, exp = case("chunk-dilution", tmp_path_factory)
    for question, want in exp["questions"].items():
        ans = pipe.answer(question)
        assert not ans.abstained and want["answer"] in ans.answer, (question, ans.answer)
        if "section" in want:
            cited = next(c for c in ans.citations if want["answer"] in c.quote)
            assert want["section"] in cited.locator


@pytest.mark.slow
def test_followup_keeps_the_trial(tmp_path_factory: pytest.TempPathFactory) -> None:
    pipe, exp = case("followup", tmp_path_factory)
    first = exp["turn1"]
    ans = pipe.answer(first["q"])
    assert first["answer_contains"] in ans.answer
    second = exp["turn2"]
    q2 = second["q"].split(" (history")[0]
    q3 = exp["turn3"]["q"].split(" (history")[0]
    for q in (q2, q3):
        ans = pipe.answer(q, history=[first["q"]])
        assert second["answer_contains"] in ans.answer, (q, ans.answer)
        assert "70.4%" not in ans.answer
        assert {c.doc_id for c in ans.citations} == {second["doc_id"]}


@pytest.mark.slow
def test_figure_bias(tmp_path_factory: pytest.TempPathFactory) -> None:
    pipe, exp = case("figure-bias", tmp_path_factory)
    for question, want in exp["questions"].items():
        ans = pipe.answer(question)
        assert not ans.abstained and ans.sentences, question
        assert ans.sentences[0].text == want["lead_sentence"], (question, ans.answer)


@pytest.mark.slow
def test_entity_context(tmp_path_factory: pytest.TempPathFactory) -> None:
    pipe, exp = case("entity-context", tmp_path_factory)
    for question, want in exp["questions"].items():
        if question.startswith("control"):
            for q in want:
                assert not pipe.answer(q).abstained, q
            continue
        ans = pipe.answer(question)
        assert not ans.abstained and want["answer_contains"] in ans.answer, (question, ans.answer)
        if "doc_id" in want:
            assert want["doc_id"] in {c.doc_id for c in ans.citations}
