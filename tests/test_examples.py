"""The chat's example questions (the profile's texts.examples), asked on the shipped corpus.

Each example is asked in its own audience with the real models. It must be answered, cite its
sources, read at grade 8 or lower for families (the returned text), and name what it asks for:
the pattern beside each example is what a reader of that question looks for in the answer.
A new example without a pattern fails here until one is written for it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from citeqa.domain import load_profile
from rag.answer import answer
from rag.compose import returned_text
from rag.readability import fk_grade

PROFILE = load_profile("ball-blinatumomab")

NAMES = {
    "What was the 4-year DFS in AALL1731?": r"4-year DFS.{0,80}9\d\.\d%",
    "How did blinatumomab change outcomes for children with MRD ≥ 0.01% in AALL1731?": (
        r"MRD ≥ 0\.01%.{0,120}\d+\.\d%"
    ),
    "How often did cytokine release syndrome occur with blinatumomab?": r"CRS.{0,60}\d+(\.\d+)?%",
    "What is the recommended blinatumomab dose for patients under 45 kg?": (
        r"less than 45 kg.{0,40}µg/m2/day"
    ),
    "What is blinatumomab?": r"immunotherapy",
    "How is blinatumomab given to my child?": r"into a vein|infusion",
    "What side effects can blinatumomab cause?": (
        r"cytokine release syndrome|CRS|seizures|brain and nerves"
    ),
    "Did adding blinatumomab help children with standard-risk leukemia?": r"94\.8%",
}

EXAMPLES = [("clinician", q) for q in PROFILE.texts.examples.clinician] + [
    ("family", q) for q in PROFILE.texts.examples.family
]


@pytest.mark.parametrize(("audience", "question"), EXAMPLES)
def test_each_example_question_is_answered_naming_what_it_asks(
    corpus_settings: Any, audience: str, question: str
) -> None:
    assert question in NAMES, "write what this example's answer must name"
    ans = answer(question, audience=audience, settings=corpus_settings)
    assert not ans.abstained, ans.answer
    assert ans.citations and all(s.citations for s in ans.sentences)
    assert re.search(NAMES[question], ans.answer, re.I), ans.answer
    if audience == "family":
        assert fk_grade(returned_text(ans)) <= 8.0
