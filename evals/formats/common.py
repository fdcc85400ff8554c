"""What every question-file reader produces: a :class:`QuestionSet`, built through an
:class:`Intake` that numbers missing ids, lists bad lines and counts unknown keys."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.qformat import Question, QuestionError, unknown_keys_warning


@dataclass(frozen=True)
class SetDocument:
    """A document a question file brings with it (a PubMedQA question's abstract), indexed in
    a scratch index before the run (:func:`evals.question_sets.prepare_index`)."""

    doc_id: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (heading, text)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def markdown(self) -> str:
        """The document in the corpus format (YAML front matter, ``##`` sections)."""
        front = {"doc_id": self.doc_id, "title": self.title, "doc_type": "journal-article"}
        front.update({k: v for k, v in self.meta.items() if v not in (None, "")})
        parts = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(), "---"]
        for heading, text in self.sections:
            parts += ["", f"## {heading.strip() or 'Text'}", "", " ".join(text.split())]
        return "\n".join(parts) + "\n"

    def file_name(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.doc_id)[:120] + ".md"


@dataclass
class QuestionSet:
    """The questions of a file (or folder), the lines that were skipped and why, warnings, and
    the documents the file brings with it."""

    questions: list[Question]
    skipped: list[str] = field(default_factory=list)  # "file:line: reason"
    warnings: list[str] = field(default_factory=list)
    documents: list[SetDocument] = field(default_factory=list)
    format: str = "jsonl"
    unknown: Counter[str] = field(default_factory=Counter)  # unknown key -> questions with it
    known: frozenset[str] = frozenset()  # the format's keys (for near-miss suggestions)

    def unknown_warning(self) -> str:
        """One warning for every unknown key of the set (empty when there is none)."""
        return unknown_keys_warning(self.unknown, self.known)


class Intake:
    """Collects the questions of one file: ``add`` a question or ``skip`` a line; ``finish``
    returns the :class:`QuestionSet` with one warning for all unknown keys."""

    def __init__(self, path: Path, fmt: str, known: Iterable[str]) -> None:
        self.path = path
        self.fmt = fmt
        self.known = frozenset(known)
        self.questions: list[Question] = []
        self.skipped: list[str] = []
        self.unknown: Counter[str] = Counter()
        self.documents: list[SetDocument] = []
        self._seen: dict[str, str] = {}

    def default_id(self, line: int) -> str:
        """The id of a question without one: the file's stem and its line (or row) number."""
        return f"{self.path.stem}-{line}"

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append(f"{self.where(line)}: {reason}")

    def add(self, line: int, q: Question, unknown: Iterable[str] = ()) -> bool:
        """Keep ``q`` (False, and the line skipped, when its id was seen before)."""
        if q.id in self._seen:
            self.skip(line, f"duplicate id {q.id!r} (first at {self._seen[q.id]})")
            return False
        self._seen[q.id] = self.where(line)
        self.questions.append(q)
        self.unknown.update(set(unknown))
        return True

    def attempt(self, line: int, build: Any) -> Question | None:
        """``build()`` (returning a Question), or None with the line skipped on QuestionError."""
        try:
            q: Question = build()
        except QuestionError as exc:
            self.skip(line, str(exc))
            return None
        return q

    def finish(self) -> QuestionSet:
        return QuestionSet(
            questions=self.questions,
            skipped=self.skipped,
            documents=self.documents,
            format=self.fmt,
            unknown=self.unknown,
            known=self.known,
        )


def text_value(value: Any, key: str) -> str:
    """A string field (None -> ""); a list of strings is joined (some datasets wrap the
    reference in a list). QuestionError for anything else."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(v.strip() for v in value if v.strip())
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise QuestionError(f"{key!r} must be a string")
