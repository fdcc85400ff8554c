"""One benchmark question, and one line of citeqa's own question format (JSONL).

The format is described in ``evals/questions/FORMAT.md``. :func:`parse_question` turns one
decoded line into a :class:`Question`; keys it does not know are kept in ``Question.meta``
(``"expect.<key>"`` for unknown keys under ``expect``) so that the loader can warn about them
once, naming near misses (``expect.fact`` -> ``expect.facts``). A value of the wrong type is
still an error (:class:`QuestionError`): the loader lists that line and skips it.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from citeqa.errors import QuestionFileError

AUDIENCES = ("clinician", "family")
FAMILY_MAX_GRADE = 8.0  # family answers, and declines, read at or below this grade (issue I)

QuestionError = QuestionFileError  # a question line that does not follow the file format

EXPECT_KEYS = frozenset(
    ["facts", "sources", "abstain", "max_grade", "notice_contains", "absent", "lead", "no_dose"]
)
QUESTION_KEYS = frozenset(
    ["id", "group", "docs", "category", "audience", "history", "question", "expect", "reference"]
)
KNOWN_KEYS = QUESTION_KEYS | {f"expect.{k}" for k in EXPECT_KEYS}


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

    def is_empty(self) -> bool:
        """True when nothing is expected at all (any answer, or none, is acceptable)."""
        return self == Expect(abstain=None)


@dataclass(frozen=True)
class Question:
    """One benchmark question, whatever file format it came from."""

    id: str
    question: str
    audience: str
    expect: Expect
    category: str = "uncategorised"
    history: tuple[str, ...] = ()
    group: str = ""  # the fact id: every phrasing of one fact shares it
    docs: tuple[str, ...] = ()  # the documents the question is about (keeps splits apart)
    reference: str = ""  # expected answer text: token F1 and its numbers, beside judge's verdict
    reference_contexts: tuple[str, ...] = ()  # gold passages (RAGAS), passed on to ragas.jsonl
    benchmark: str = ""  # "pubmedqa" | "bioasq": benchmark-specific scores (evals.refscore)
    gold: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def scored(self) -> bool:
        """Whether anything is expected of the answer (a bare question is answered, not scored)."""
        return not self.expect.is_empty() or bool(self.reference or self.gold)


def str_list(value: Any, key: str) -> tuple[str, ...]:
    """``value`` as a tuple of non-empty strings (None -> ()); QuestionError otherwise."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise QuestionError(f"{key!r} must be a list of non-empty strings")
    return tuple(value)


def parse_expect(obj: Any) -> tuple[Expect, dict[str, Any]]:
    """``(Expect, unknown keys with their values)`` of an ``expect`` object."""
    if not isinstance(obj, dict):
        raise QuestionError("'expect' must be an object")
    unknown = {k: v for k, v in obj.items() if k not in EXPECT_KEYS}
    abstain = obj.get("abstain", False)
    if abstain is not None and not isinstance(abstain, bool):
        raise QuestionError("'abstain' must be true, false or null")
    grade = obj.get("max_grade")
    if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int | float)):
        raise QuestionError("'max_grade' must be a number")
    notice = obj.get("notice_contains")
    if notice is not None and (not isinstance(notice, str) or not notice.strip()):
        raise QuestionError("'notice_contains' must be a non-empty string")
    expect = Expect(
        facts=str_list(obj.get("facts"), "facts"),
        sources=str_list(obj.get("sources"), "sources"),
        abstain=abstain,
        max_grade=float(grade) if grade is not None else None,
        notice_contains=notice,
        absent=str_list(obj.get("absent"), "absent"),
        lead=str_list(obj.get("lead"), "lead"),
        no_dose=bool(obj.get("no_dose", False)),
    )
    return expect, unknown


def check_audience(audience: Any) -> str:
    if audience not in AUDIENCES:
        raise QuestionError(f"'audience' must be one of {AUDIENCES}")
    return str(audience)


def parse_question(obj: Any, default_id: str | None = None) -> Question:
    """One question-file line (already JSON-decoded) as a :class:`Question`.

    ``default_id`` is used when the line has no ``id`` (the loader passes one derived from the
    line number); without it a missing id is an error. Unknown keys end up in ``meta``.
    Raises QuestionError for a line that is not an object or has a value of the wrong type."""
    if not isinstance(obj, dict):
        raise QuestionError("a question line must be a JSON object")
    if obj.get("id") is None and default_id is not None:
        obj = {**obj, "id": default_id}
    for key in ("id", "question"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise QuestionError(f"{key!r} must be a non-empty string")
    category = obj.get("category", "uncategorised")
    if not isinstance(category, str) or not category.strip():
        raise QuestionError("'category' must be a non-empty string")
    reference = obj.get("reference") or ""
    if not isinstance(reference, str):
        raise QuestionError("'reference' must be a string")
    expect, unknown_expect = parse_expect(obj.get("expect", {}))
    meta = {k: v for k, v in obj.items() if k not in QUESTION_KEYS}
    meta.update({f"expect.{k}": v for k, v in unknown_expect.items()})
    return Question(
        id=obj["id"],
        question=obj["question"],
        audience=check_audience(obj.get("audience", "clinician")),
        expect=expect,
        category=category,
        history=str_list(obj.get("history"), "history"),
        group=str(obj.get("group") or ""),
        docs=str_list(obj.get("docs") or None, "docs"),
        reference=reference.strip(),
        meta=meta,
    )


def unknown_keys_warning(counts: Counter[str], known: Iterable[str]) -> str:
    """One warning naming every unknown key (with how many questions carry it) and, for a key
    close to a known one, the near miss: ``'expect.fact' (2 questions; did you mean
    'expect.facts'?)``. Empty when ``counts`` is empty."""
    if not counts:
        return ""
    known = sorted(known)
    parts = []
    for key, n in sorted(counts.items()):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        parts.append(f"{key!r} ({n} question{'s' if n != 1 else ''}{hint})")
    return "unknown keys kept as metadata, not scored: " + ", ".join(parts)
