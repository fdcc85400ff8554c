"""`citeqa ask --explain` (issue H): how a typo, a parent's message and a follow-up were read
and decided (docs/explain.md shows the three in full)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def pipe(corpus_settings: Any) -> Any:
    from rag.pipeline import build_pipeline

    return build_pipeline(corpus_settings)


def test_a_typo_shows_what_was_searched_and_each_unit_s_bindings(pipe: Any) -> None:
    from rag.explain import explain_question

    ans, text = explain_question(
        pipe, "wat was the 4 yr disease free survivl in aall1731", "clinician"
    )
    assert "Searched for: " in text and "survival" in text.split("Searched for: ")[1].split("\n")[0]
    assert "study=AALL1731" in text and "time point=4-year" in text
    assert "study/report/outcome/time/stat" in text and "Answered with" in text
    assert not ans.abstained and "94.8%" in ans.answer


def test_a_follow_up_shows_how_it_was_read(pipe: Any) -> None:
    from rag.explain import explain_question

    first = "What was the 4-year DFS with blinatumomab in AALL1731?"
    _, text = explain_question(pipe, "and in the control arm?", "clinician", [first])
    assert "Read as: and in the control arm? (after: " in text and "Flags: followup" in text
    assert "study=AALL1731" in text


def test_a_decline_says_why(pipe: Any) -> None:
    from rag.explain import explain_question

    ans, text = explain_question(pipe, "What is the boiling point of tungsten?", "clinician")
    assert ans.abstained and "tungsten" in text
