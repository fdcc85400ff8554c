"""Verdicts and metrics of the question benchmark (``citeqa eval questions``).

Everything here works on plain data: a :class:`Question` (one question of a question file,
:mod:`evals.qformat`) and an answer object as printed by ``citeqa ask --json``
(``Answer.to_json()``). No I/O, no models. The matching rules (facts, numbers, sources, citation
markers) are in :mod:`evals.qmatch`; :func:`judge` decides whether one answer is *correct*;
:func:`metrics` and :func:`summarise` add verdicts up. Scores beside the verdict (reference
text, PubMedQA, BioASQ) are in :mod:`evals.refscore` and never change ``correct``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.metrics import percentile_or_none
from evals.qformat import (
    AUDIENCES,
    EXPECT_KEYS,
    FAMILY_MAX_GRADE,
    Expect,
    Question,
    QuestionError,
    parse_expect,
    parse_question,
)
from evals.qmatch import (
    CitationStats,
    CitedSentence,
    citation_stats,
    fact_in,
    facts_found,
    first_unit,
    normalise_text,
    number_key,
    numbers_of,
    parse_marker,
    parse_markers,
    parse_number,
    quotes_of,
    source_hit,
    split_sentences,
    strip_markers,
    text_in,
)
from evals.refscore import aggregate_extra
from ingest.numbers import dose_figures
from rag.readability import fk_grade

__all__ = [
    "AUDIENCES",
    "EXPECT_KEYS",
    "FAMILY_MAX_GRADE",
    "CitationStats",
    "CitedSentence",
    "Expect",
    "Question",
    "QuestionError",
    "Record",
    "Verdict",
    "abstention_scores",
    "citation_stats",
    "fact_in",
    "facts_found",
    "first_unit",
    "grade_of",
    "judge",
    "metrics",
    "normalise_text",
    "number_key",
    "numbers_of",
    "parse_expect",
    "parse_marker",
    "parse_markers",
    "parse_number",
    "parse_question",
    "percentile",
    "quotes_of",
    "ratio",
    "returned_text",
    "source_hit",
    "split_sentences",
    "strip_markers",
    "summarise",
    "text_in",
]

# ---------------------------------------------------------------------------------------------
# Ratios


def ratio(num: float, den: float) -> float | None:
    """``num / den`` rounded to 4 places, or None when ``den`` is 0 (the metric is undefined)."""
    return round(num / den, 4) if den else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), rounded to 2 places; None for no values."""
    p = percentile_or_none(values, q)
    return None if p is None else round(p, 2)


def abstention_scores(
    pairs: Iterable[tuple[bool | None, bool]],
) -> tuple[float | None, float | None]:
    """Abstention ``(precision, recall)`` over ``(expected, abstained)`` pairs.

    Precision: of the questions the system abstained on, the share where abstaining was
    expected. Recall: of the questions where abstaining was expected, the share it abstained
    on. Pairs with ``expected is None`` (either is acceptable) are left out. None when the
    denominator is 0.
    """
    tp = fp = fn = 0
    for expected, abstained in pairs:
        if expected is None:
            continue
        tp += expected and abstained
        fp += (not expected) and abstained
        fn += expected and not abstained
    return ratio(tp, tp + fp), ratio(tp, tp + fn)


# ---------------------------------------------------------------------------------------------
# Per-question verdicts


@dataclass
class Verdict:
    """How one answer fared against its question's expectations."""

    correct: bool
    abstained: bool
    abstain_ok: bool
    facts_found: list[str]
    facts_missing: list[str]
    source_hit: bool | None  # None: no sources expected
    grade: float | None
    grade_ok: bool | None  # None: no max_grade, or abstained
    notice_ok: bool | None  # None: no notice_contains
    absent_found: list[str]
    citations: CitationStats
    reasons: list[str]
    error: str = ""
    lead_missing: list[str] = field(default_factory=list)
    dose_figures: list[str] = field(default_factory=list)
    # scores beside the verdict (evals.refscore: reference text, PubMedQA, BioASQ); never part
    # of ``correct``
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        c = self.citations
        return {
            "correct": self.correct,
            "abstained": self.abstained,
            "abstain_ok": self.abstain_ok,
            "facts_found": self.facts_found,
            "facts_missing": self.facts_missing,
            "source_hit": self.source_hit,
            "grade": self.grade,
            "grade_ok": self.grade_ok,
            "notice_ok": self.notice_ok,
            "absent_found": self.absent_found,
            "lead_missing": self.lead_missing,
            "dose_figures": self.dose_figures,
            "sentences": c.sentences,
            "cited_sentences": c.cited,
            "marked_sentences": c.with_markers,
            "precise_sentences": c.precise,
            "numbers": c.numbers,
            "grounded_numbers": c.grounded,
            "ungrounded": c.ungrounded,
            "reasons": self.reasons,
            "error": self.error,
            "extra": self.extra,
        }


def returned_text(answer: Mapping[str, Any]) -> str:
    """Everything the reader is shown as the answer: the ``answer`` text (list items included)
    and any notices, without citation markers."""
    parts = [str(answer.get("answer", ""))]
    parts += [str(n.get("text", "")) for n in answer.get("notices") or [] if isinstance(n, dict)]
    if answer.get("notice") and str(answer["notice"]) not in parts:  # schema v1 kept it alone
        parts.append(str(answer["notice"]))
    lines = "\n".join(p for p in parts if p.strip()).splitlines()
    return "\n".join(strip_markers(line) for line in lines)


def grade_of(answer: Mapping[str, Any]) -> float:
    """Flesch-Kincaid grade computed over :func:`returned_text` (never the answer's own claim)."""
    return round(fk_grade(returned_text(answer)), 2)


def judge(q: Question, answer: Mapping[str, Any]) -> Verdict:
    """The verdict of ``answer`` (an ``Answer.to_json()`` object) on question ``q``.

    *Correct* means: the abstention matches the expectation (``abstain: null`` accepts both)
    AND, if the system answered, every expected fact is present, some citation matches an
    expected source (when sources are given) and every ``lead`` fact is in the first cited unit
    AND, in every case, the returned text reads at or below ``max_grade`` (when given; family
    questions default to :data:`FAMILY_MAX_GRADE`, declines included), the notice contains
    ``notice_contains`` (when given), no ``absent`` string occurs, and with ``no_dose`` no dose
    figure occurs. Everything is computed from the returned text, never from the answer's own
    claims about itself. An answer object with an ``error`` is never correct.
    """
    e = q.expect
    error = str(answer.get("error") or "")
    abstained = bool(answer.get("abstained")) and not error
    text = "" if abstained or error else str(answer.get("answer", ""))
    found, missing = facts_found(e.facts, text)
    hit = source_hit(e.sources, answer.get("citations", []) if text else []) if e.sources else None
    grade = None if error else grade_of(answer)
    ceiling = e.max_grade if e.max_grade is not None else None
    if ceiling is None and q.audience == "family":
        ceiling = FAMILY_MAX_GRADE
    grade_ok = None if grade is None or ceiling is None else grade <= ceiling
    lead_missing = [f for f in e.lead if not fact_in(f, first_unit(text))] if text else []
    doses = dose_figures(returned_text(answer)) if e.no_dose and not error else []
    notice_ok = None
    if e.notice_contains is not None:
        notice_ok = normalise_text(e.notice_contains) in normalise_text(answer.get("notice", ""))
    absent = [s for s in e.absent if text_in(s, str(answer.get("answer", "")))]
    abstain_ok = not error and (e.abstain is None or e.abstain == abstained)
    stats = citation_stats(text, quotes_of(answer)) if text else CitationStats()
    checks = Checks(missing, hit, grade, grade_ok, notice_ok, absent, lead_missing, doses)
    reasons = _reasons(q, abstained, error, checks)
    return Verdict(
        correct=not reasons,
        abstained=abstained,
        abstain_ok=abstain_ok,
        facts_found=found,
        facts_missing=missing,
        source_hit=hit,
        grade=grade,
        grade_ok=grade_ok,
        notice_ok=notice_ok,
        absent_found=absent,
        lead_missing=lead_missing,
        dose_figures=doses,
        citations=stats,
        reasons=reasons,
        error=error,
    )


@dataclass(frozen=True)
class Checks:
    """The outcome of each check of one answer (see :func:`judge`)."""

    missing: list[str]
    hit: bool | None
    grade: float | None
    grade_ok: bool | None
    notice_ok: bool | None
    absent: list[str]
    lead_missing: list[str]
    doses: list[str]


def _reasons(q: Question, abstained: bool, error: str, c: Checks) -> list[str]:
    e = q.expect
    if error:
        return [f"error: {error}"]
    out = []
    if e.abstain is True and not abstained:
        out.append("answered, but an abstention was expected")
    if e.abstain is False and abstained:
        out.append("abstained, but an answer was expected")
    if not abstained:
        if c.missing:
            out.append("missing facts: " + ", ".join(repr(m) for m in c.missing))
        if c.hit is False:
            out.append("no citation from: " + ", ".join(e.sources))
        if c.lead_missing:
            out.append("first unit lacks: " + ", ".join(repr(m) for m in c.lead_missing))
    if c.grade_ok is False:
        out.append(f"FK grade {c.grade} above the ceiling")
    if c.doses:
        out.append("dose figures in the answer: " + ", ".join(c.doses))
    if c.notice_ok is False:
        out.append(f"notice lacks {e.notice_contains!r}")
    if c.absent:
        out.append("forbidden text present: " + ", ".join(repr(a) for a in c.absent))
    return out


# ---------------------------------------------------------------------------------------------
# Summary

Record = tuple[Question, Mapping[str, Any], Verdict]


def metrics(records: Sequence[Record]) -> dict[str, Any]:
    """The benchmark metrics over ``records`` (defined in ``evals/README.md``).

    ``correct``, ``accuracy`` and ``answer_precision`` count *scored* questions only (those with
    some expectation, :attr:`Question.scored`); a bare question is answered but not scored."""
    answered = [r for r in records if not r[2].abstained and not r[2].error]
    scored = [v for q, _, v in records if q.scored]
    scored_answered = [v for q, _, v in answered if q.scored]
    stats = CitationStats()
    for r in answered:
        stats.add(r[2].citations)
    expected = sum(len(q.expect.facts) for q, _, _ in records)
    found = sum(len(v.facts_found) for _, _, v in records)
    with_sources = [v for q, _, v in records if q.expect.sources]
    grades = [v.grade for q, _, v in answered if q.audience == "family" and v.grade is not None]
    latencies = [
        float(a["timings_ms"]["total"])
        for _, a, _ in records
        if isinstance((a.get("timings_ms") or {}).get("total"), int | float)
    ]
    abst_p, abst_r = abstention_scores(
        (q.expect.abstain, v.abstained) for q, _, v in records if not v.error
    )
    answerable = [v for q, _, v in records if q.expect.abstain is False and not v.error]
    unanswerable = [v for q, _, v in records if q.expect.abstain is True and not v.error]
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "false_abstention": ratio(sum(v.abstained for v in answerable), len(answerable)),
        "unanswerable_abstention": ratio(sum(v.abstained for v in unanswerable), len(unanswerable)),
        "answered": len(answered),
        "abstained": sum(v.abstained for _, _, v in records),
        "errors": sum(bool(v.error) for _, _, v in records),
        "scored": len(scored),
        "correct": sum(v.correct for v in scored),
        "accuracy": ratio(sum(v.correct for v in scored), len(scored)),
        "answer_precision": ratio(sum(v.correct for v in scored_answered), len(scored_answered)),
        "facts_expected": expected,
        "facts_found": found,
        "fact_accuracy": ratio(found, expected),
        "source_hit_rate": ratio(sum(bool(v.source_hit) for v in with_sources), len(with_sources)),
        "abstention_precision": abst_p,
        "abstention_recall": abst_r,
        "citation_precision": ratio(stats.precise, stats.with_markers),
        "citation_recall": ratio(stats.cited, stats.sentences),
        "grounded_number_rate": ratio(stats.grounded, stats.numbers),
        "family_fk_grade_mean": round(sum(grades) / len(grades), 2) if grades else None,
        "family_fk_grade_max": max(grades) if grades else None,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }


def summarise(records: Sequence[Record]) -> dict[str, Any]:
    """Overall metrics, metrics per category, the failed (scored) questions with their
    reasons, and ``beside``: the aggregates of the scores beside the verdict."""
    cats = sorted({q.category for q, _, _ in records})
    return {
        **metrics(records),
        "by_category": {c: metrics([r for r in records if r[0].category == c]) for c in cats},
        "failures": [
            {"id": q.id, "category": q.category, "reasons": v.reasons}
            for q, _, v in records
            if q.scored and not v.correct
        ],
        "beside": aggregate_extra([v.extra for _, _, v in records]),
    }
