"""Pure metric functions of the question benchmark (``citeqa eval questions``).

Everything here works on plain data: a :class:`Question` (one line of a question file) and an
answer object as printed by ``citeqa ask --json`` (``Answer.to_json()``). No I/O, no models.

Matching rules
    * A *fact* with numbers in it (``"94.8%"``, ``"1,444"``, ``"HR 0.39"``) matches when every
      number of the fact occurs among the numbers of the answer text (compared as values, so
      ``1,444`` = ``1444`` and ``94.8%`` = ``94.8``) and every remaining word of the fact occurs
      in the answer as a whole word, case-insensitively. Numbers follow ``ingest.numbers`` rules
      (``AALL1731`` is an identifier, not a number; citation markers are not numbers).
    * A fact without numbers matches as a case-insensitive phrase (white space collapsed, dashes
      and micro signs normalised).
    * An *absent* string (text that must not appear) matches literally: a case-insensitive
      phrase, with white space, dashes and micro signs normalised but no number semantics, so
      ``"56 ug"`` is not triggered by an unrelated ``56%``.
    * A *source* matches when it occurs, case-insensitively, in the reference, doc_id or title
      of some citation of the answer.

Answer sentences and citations
    The answer text is split into sentences; each sentence carries the ``[n]`` markers written
    in it or right after its full stop (``[1]``, ``[1][2]``, ``[1, 2]``, ``[1-3]``). A marker is
    *valid* when the answer has a citation with that number. A sentence's numbers are
    *grounded* when they occur in the quotes of the valid citations it carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from citeqa.errors import QuestionFileError
from evals.metrics import percentile_or_none
from ingest.numbers import dose_figures, extract_numbers
from rag.readability import fk_grade

AUDIENCES = ("clinician", "family")

# ---------------------------------------------------------------------------------------------
# Questions


QuestionError = QuestionFileError  # a question line that does not follow the file format


FAMILY_MAX_GRADE = 8.0  # family answers, and declines, read at or below this grade (issue I)
EXPECT_KEYS = frozenset(
    ["facts", "sources", "abstain", "max_grade", "notice_contains", "absent", "lead", "no_dose"]
)


@dataclass(frozen=True)
class Expect:
    facts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    abstain: bool | None = False  # None: either answering or abstaining is acceptable
    max_grade: float | None = None
    notice_contains: str | None = None
    absent: tuple[str, ...] = ()  # strings that must NOT appear in the answer text
    lead: tuple[str, ...] = ()  # facts that must be in the first cited unit of the answer
    no_dose: bool = False  # the answer must contain no dose figure (ingest.numbers.dose_figures)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    audience: str
    expect: Expect
    category: str = "uncategorised"
    history: tuple[str, ...] = ()
    group: str = ""  # the fact id: every phrasing of one fact shares it
    docs: tuple[str, ...] = ()  # the documents the question is about (keeps splits apart)


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QuestionError(f"{key!r} must be a list of non-empty strings")
    return tuple(value)


def parse_expect(obj: Any) -> Expect:
    if not isinstance(obj, dict):
        raise QuestionError("'expect' must be an object")
    unknown = set(obj) - EXPECT_KEYS
    if unknown:
        raise QuestionError(f"unknown expect keys: {sorted(unknown)}")
    abstain = obj.get("abstain", False)
    if abstain is not None and not isinstance(abstain, bool):
        raise QuestionError("'abstain' must be true, false or null")
    grade = obj.get("max_grade")
    if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int | float)):
        raise QuestionError("'max_grade' must be a number")
    notice = obj.get("notice_contains")
    if notice is not None and (not isinstance(notice, str) or not notice.strip()):
        raise QuestionError("'notice_contains' must be a non-empty string")
    return Expect(
        facts=_str_list(obj.get("facts"), "facts"),
        sources=_str_list(obj.get("sources"), "sources"),
        abstain=abstain,
        max_grade=float(grade) if grade is not None else None,
        notice_contains=notice,
        absent=_str_list(obj.get("absent"), "absent"),
        lead=_str_list(obj.get("lead"), "lead"),
        no_dose=bool(obj.get("no_dose", False)),
    )


def parse_question(obj: Any) -> Question:
    """One question-file line (already JSON-decoded) as a :class:`Question`."""
    if not isinstance(obj, dict):
        raise QuestionError("a question line must be a JSON object")
    for key in ("id", "question"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise QuestionError(f"{key!r} must be a non-empty string")
    audience = obj.get("audience", "clinician")
    if audience not in AUDIENCES:
        raise QuestionError(f"'audience' must be one of {AUDIENCES}")
    category = obj.get("category", "uncategorised")
    if not isinstance(category, str) or not category.strip():
        raise QuestionError("'category' must be a non-empty string")
    return Question(
        id=obj["id"],
        question=obj["question"],
        audience=audience,
        expect=parse_expect(obj.get("expect", {})),
        category=category,
        history=_str_list(obj.get("history"), "history"),
        group=str(obj.get("group") or ""),
        docs=_str_list(obj.get("docs") or None, "docs"),
    )


# ---------------------------------------------------------------------------------------------
# Numbers and facts

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "µ": "u", "μ": "u", "≥": ">="})
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def number_key(value: float) -> float:
    """Comparison key of a number: equal for formatting-only differences (94.8 / 94.80)."""
    return round(value, 6)


def numbers_of(text: str) -> list[float]:
    """The values of the numbers in ``text`` (``"1,444 children, 94.8%"`` -> [1444, 94.8])."""
    return [n.value for n in extract_numbers(text)]


def parse_number(text: str) -> float | None:
    """The single number ``text`` denotes (``"1,444"`` -> 1444.0, ``"94.8%"`` -> 94.8), else None."""
    found = numbers_of(text)
    return found[0] if len(found) == 1 else None


def normalise_text(text: str) -> str:
    """Case-folded text with collapsed white space and normalised dashes and micro signs."""
    return " ".join(text.translate(_DASHES).casefold().split())


def _without_numbers(text: str) -> str:
    out = list(text)
    for n in extract_numbers(text):
        out[n.start : n.end] = [" "] * (n.end - n.start)
    return "".join(out)


def _has_word(word: str, text: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text) is not None


def fact_in(fact: str, answer_text: str) -> bool:
    """Whether ``fact`` occurs in ``answer_text`` (see the module rules)."""
    fact_numbers = numbers_of(fact)
    norm_answer = normalise_text(answer_text)
    if not fact_numbers:
        return normalise_text(fact) in norm_answer
    available = {number_key(v) for v in numbers_of(answer_text)}
    if any(number_key(v) not in available for v in fact_numbers):
        return False
    words = _WORD_RE.findall(normalise_text(_without_numbers(fact)))
    return all(_has_word(w, norm_answer) for w in words)


def text_in(text: str, answer_text: str) -> bool:
    """Literal, case-insensitive occurrence of ``text`` (for ``absent`` strings)."""
    return normalise_text(text) in normalise_text(answer_text)


def facts_found(facts: Iterable[str], answer_text: str) -> tuple[list[str], list[str]]:
    """``(found, missing)`` facts of ``answer_text``."""
    found: list[str] = []
    missing: list[str] = []
    for f in facts:
        (found if fact_in(f, answer_text) else missing).append(f)
    return found, missing


def source_hit(sources: Iterable[str], citations: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any expected source occurs in some citation's reference, doc_id or title."""
    fields = [
        normalise_text(" ".join(str(c.get(k, "")) for k in ("reference", "doc_id", "title")))
        for c in citations
    ]
    return any(normalise_text(s) in f for s in sources for f in fields)


# ---------------------------------------------------------------------------------------------
# Citation markers and answer sentences

_MARKER = re.compile(r"\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")
_MARKERS = rf"(?:\s*{_MARKER.pattern})+"
_ABBREV = re.compile(r"(?:\b(?:vs|e\.g|i\.e|al|approx|fig|no|dr|ca|cf|incl)\.)$", re.I)
_END = re.compile(r"[.!?][\"')]*\s+(?=[^\s\[])|(?<=\])\s+(?=[A-Z])")


def parse_marker(marker: str) -> list[int]:
    """Citation numbers of one marker: ``[1]`` -> [1], ``[1, 2]`` -> [1, 2], ``[2-4]`` -> [2, 3, 4]."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", marker.strip().strip("[]").strip()):
        if not part:
            continue
        bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
        if len(bounds) == 2 and bounds[0] <= bounds[1] and bounds[1] - bounds[0] < 50:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.extend(bounds)
    return out


def parse_markers(text: str) -> list[int]:
    """Every citation number of ``text`` in order of first appearance (``"a [1][2] b [1, 3]"``)."""
    seen: dict[int, None] = {}
    for m in _MARKER.finditer(text):
        for n in parse_marker(m.group(0)):
            seen.setdefault(n, None)
    return list(seen)


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and without the space they leave before a stop)."""
    return re.sub(r"\s+([.!?,;:])(?=\s|$)", r"\1", " ".join(_MARKER.sub(" ", text).split()))


@dataclass(frozen=True)
class CitedSentence:
    text: str  # without markers
    citations: tuple[int, ...]


def split_sentences(answer_text: str) -> list[CitedSentence]:
    """Answer sentences with the markers each carries (markers after a full stop belong to it)."""
    # "A. [1] B." -> "A [1]. B." so that every marker sits before its sentence's end.
    text = re.sub(rf"([.!?])({_MARKERS})", lambda m: f"{m.group(2)}{m.group(1)}", answer_text)
    pieces: list[str] = []
    start = 0
    for m in _END.finditer(text):
        head = text[start : m.start() + 1].rstrip()
        nxt = text[m.end() : m.end() + 1]
        if _ABBREV.search(head) or (nxt.islower() and not head.endswith("]")):
            continue
        pieces.append(text[start : m.end()])
        start = m.end()
    pieces.append(text[start:])
    out = []
    for p in pieces:
        plain = strip_markers(p)
        if any(ch.isalnum() for ch in plain):
            out.append(CitedSentence(plain, tuple(parse_markers(p))))
    return out


@dataclass
class CitationStats:
    """Counts over the sentences of one answer (summed over answers by :func:`summarise`)."""

    sentences: int = 0
    cited: int = 0  # sentences carrying at least one valid citation
    with_markers: int = 0  # sentences carrying at least one marker
    precise: int = 0  # marked sentences: all markers valid, all numbers in their quotes
    numbers: int = 0
    grounded: int = 0  # numbers found in the quotes of their sentence's valid citations
    ungrounded: list[str] = field(default_factory=list)  # "sentence: number" for the report

    def add(self, other: CitationStats) -> None:
        self.sentences += other.sentences
        self.cited += other.cited
        self.with_markers += other.with_markers
        self.precise += other.precise
        self.numbers += other.numbers
        self.grounded += other.grounded
        self.ungrounded.extend(other.ungrounded)


def citation_stats(answer_text: str, quotes: Mapping[int, str]) -> CitationStats:
    """Citation and number-grounding counts of one answer; ``quotes`` maps n -> quote text."""
    stats = CitationStats()
    for s in split_sentences(answer_text):
        stats.sentences += 1
        valid = [n for n in s.citations if n in quotes]
        stats.cited += bool(valid)
        available = {number_key(v) for n in valid for v in numbers_of(quotes[n])}
        values = numbers_of(s.text)
        missing = [v for v in values if number_key(v) not in available]
        stats.numbers += len(values)
        stats.grounded += len(values) - len(missing)
        stats.ungrounded.extend(f"{v:g} in: {s.text[:80]}" for v in missing)
        if s.citations:
            stats.with_markers += 1
            stats.precise += len(valid) == len(s.citations) and not missing
    return stats


def quotes_of(answer: Mapping[str, Any]) -> dict[int, str]:
    return {int(c["n"]): str(c.get("quote", "")) for c in answer.get("citations", [])}


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
        }


def returned_text(answer: Mapping[str, Any]) -> str:
    """Everything the reader is shown as the answer: the ``answer`` text (list items included)
    and any notices, without citation markers."""
    parts = [str(answer.get("answer", ""))]
    parts += [str(n.get("text", "")) for n in answer.get("notices") or [] if isinstance(n, dict)]
    if answer.get("notice"):
        parts.append(str(answer["notice"]))
    lines = "\n".join(p for p in parts if p.strip()).splitlines()
    return "\n".join(strip_markers(line) for line in lines)


def grade_of(answer: Mapping[str, Any]) -> float:
    """Flesch-Kincaid grade computed over :func:`returned_text` (never the answer's own claim)."""
    return round(fk_grade(returned_text(answer)), 2)


def first_unit(answer_text: str) -> str:
    """The first cited unit of an answer: its text up to and including the first citation
    marker (a sentence, or a list with its lead-in); the whole text when nothing is cited."""
    m = _MARKER.search(answer_text)
    return answer_text[: m.end()] if m else answer_text


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
    """The benchmark metrics over ``records`` (see README of ``evals.questions``)."""
    answered = [r for r in records if not r[2].abstained and not r[2].error]
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
        "correct": sum(v.correct for _, _, v in records),
        "accuracy": ratio(sum(v.correct for _, _, v in records), len(records)),
        "answer_precision": ratio(sum(v.correct for _, _, v in answered), len(answered)),
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
    """Overall metrics, metrics per category, and the failed questions with their reasons."""
    cats = sorted({q.category for q, _, _ in records})
    return {
        **metrics(records),
        "by_category": {c: metrics([r for r in records if r[0].category == c]) for c in cats},
        "failures": [
            {"id": q.id, "category": q.category, "reasons": v.reasons}
            for q, _, v in records
            if not v.correct
        ],
    }
