"""Scores beside judge's verdict: the expected answer text, and benchmark-specific scores.

They are reported next to citeqa's own metrics and never change whether an answer is *correct*
(:func:`evals.qmetrics.judge`).

Expected answer text (``Question.reference``; a CSV ``reference`` / ``ground_truth`` / ``answer``
column, RAGAS ``reference``, PubMedQA ``LONG_ANSWER``, BioASQ ``ideal_answer``):

* ``reference_f1``: token-level F1 between the answer text (citation markers removed; empty when
  citeqa abstained) and the reference, SQuAD style: case-folded words and numbers
  (``94.8``, ``1,444`` kept whole), articles *a, an, the* dropped, counted as multisets;
* ``reference_numbers``: whether every number of the reference occurs among the numbers of the
  answer (compared as values, :mod:`evals.qmatch`); None when the reference has no number.

PubMedQA and BioASQ scores: :mod:`evals.formats.pubmedqa`, :mod:`evals.formats.bioasq`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from evals.formats import bioasq, pubmedqa
from evals.qformat import Question
from evals.qmatch import number_key, numbers_of, strip_markers

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_ARTICLES = frozenset(["a", "an", "the"])
NOT_SCORED = "not scored"


def tokens(text: str) -> list[str]:
    """Case-folded words and numbers of ``text`` without articles."""
    return [t for t in _TOKEN.findall(text.casefold()) if t not in _ARTICLES]


def token_f1(answer_text: str, reference: str) -> float:
    """SQuAD-style token F1 of ``answer_text`` (citation markers removed) against ``reference``
    (0.0 when either is empty)."""
    got, want = Counter(tokens(strip_markers(answer_text))), Counter(tokens(reference))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision = common / sum(got.values())
    recall = common / sum(want.values())
    return round(2 * precision * recall / (precision + recall), 4)


def missing_numbers(answer_text: str, reference: str) -> list[str]:
    """The numbers of ``reference`` not among the numbers of ``answer_text`` (as ``%g``)."""
    have = {number_key(v) for v in numbers_of(answer_text)}
    return [f"{v:g}" for v in numbers_of(reference) if number_key(v) not in have]


def reference_scores(answer: Mapping[str, Any], reference: str) -> dict[str, Any]:
    abstained = bool(answer.get("abstained")) or bool(answer.get("error"))
    text = "" if abstained else strip_markers(str(answer.get("answer", "")))
    missing = missing_numbers(text, reference)
    return {
        "reference_f1": token_f1(text, reference),
        "reference_numbers": not missing if numbers_of(reference) else None,
        "reference_numbers_missing": missing,
    }


def extra_scores(q: Question, answer: Mapping[str, Any], generative: bool) -> dict[str, Any]:
    """Every score beside the verdict that applies to ``q`` (empty when none does).
    ``generative``: the answers come from the generative mode (decisions can be scored)."""
    out: dict[str, Any] = {}
    if q.reference:
        out.update(reference_scores(answer, q.reference))
    if q.benchmark == "pubmedqa":
        out.update(pubmedqa.score(q, answer, generative))
    elif q.benchmark == "bioasq":
        out.update(bioasq.score(q, answer, generative))
    return out


def aggregate_extra(per_question: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{score: {"value", "n"}}`` over the questions that have the score: the share of true
    for yes/no scores, the mean for numbers; ``"not scored"`` when every question has None
    (e.g. the PubMedQA decision in the extractive mode). Lists and texts are left out."""
    values: dict[str, list[Any]] = {}
    for scores in per_question:
        for key, v in scores.items():
            if v is None or isinstance(v, bool | int | float):
                values.setdefault(key, []).append(v)
    out: dict[str, dict[str, Any]] = {}
    for key, vs in values.items():
        got = [float(v) for v in vs if v is not None]
        value: Any = round(sum(got) / len(got), 4) if got else NOT_SCORED
        out[key] = {"value": value, "n": len(got)}
    return out
