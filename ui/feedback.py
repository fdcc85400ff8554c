"""Feedback from the chat, kept in a local SQLite file (``data_dir/feedback.sqlite3``).

Nothing is sent anywhere. ``citeqa feedback export FILE`` turns the stored feedback into a question
file for ``citeqa eval questions`` (see ``export_feedback``).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from citeqa.answer import Answer
from citeqa.settings import Settings
from ingest.numbers import extract_numbers

FILENAME = "feedback.sqlite3"
CLINICIAN_MAX_GRADE = 30.0  # clinician answers have no reading-level target: a wide ceiling

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    question TEXT NOT NULL,
    audience TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    rating INTEGER,
    comment TEXT NOT NULL DEFAULT '',
    chunk_ids TEXT NOT NULL,
    doc_ids TEXT NOT NULL,
    reading_grade REAL,
    settings TEXT NOT NULL
)
"""
_COLUMNS = (
    "id, created, updated, question, audience, answer, abstained, rating, comment, "
    "chunk_ids, doc_ids, reading_grade, settings"
)


@dataclass(slots=True)
class FeedbackRecord:
    """One rated answer. ``rating``: 1 thumbs up, 0 thumbs down, None comment only."""

    id: str
    question: str
    audience: str
    answer: str
    abstained: bool
    rating: int | None = None
    comment: str = ""
    chunk_ids: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    reading_grade: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def record_for(
    feedback_id: str,
    ans: Answer,
    rating: int | None,
    comment: str = "",
    settings: dict[str, Any] | None = None,
) -> FeedbackRecord:
    """A record of ``ans`` with the cited chunk and document ids (in citation order)."""
    doc_ids = list(dict.fromkeys(c.doc_id for c in ans.citations))
    return FeedbackRecord(
        id=feedback_id,
        question=ans.question,
        audience=ans.audience,
        answer=ans.answer,
        abstained=ans.abstained,
        rating=rating,
        comment=comment.strip(),
        chunk_ids=[c.chunk_id for c in ans.citations],
        doc_ids=doc_ids,
        reading_grade=ans.readability.get("fk_grade"),
        settings=settings or {},
    )


class FeedbackStore:
    """The feedback table of one SQLite file (created when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(Path(settings.data_dir) / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def add(self, rec: FeedbackRecord) -> None:
        """Insert ``rec``, or update the stored record with the same id (rating changed,
        comment added); its creation time is kept."""
        rec.updated = time.time()
        row = (
            rec.id,
            rec.created,
            rec.updated,
            rec.question,
            rec.audience,
            rec.answer,
            int(rec.abstained),
            rec.rating,
            rec.comment,
            json.dumps(rec.chunk_ids),
            json.dumps(rec.doc_ids),
            rec.reading_grade,
            json.dumps(rec.settings, sort_keys=True, default=str),
        )
        with self._connect() as db:
            db.execute(
                f"INSERT INTO feedback ({_COLUMNS}) VALUES ({', '.join('?' * 13)}) "
                "ON CONFLICT(id) DO UPDATE SET updated=excluded.updated, rating=excluded.rating, "
                "comment=excluded.comment, answer=excluded.answer, chunk_ids=excluded.chunk_ids, "
                "doc_ids=excluded.doc_ids, abstained=excluded.abstained, "
                "reading_grade=excluded.reading_grade, settings=excluded.settings",
                row,
            )

    def all(self) -> list[FeedbackRecord]:
        """Every record, oldest first."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY created, id").fetchall()
        return [_from_row(r) for r in rows]


def _from_row(r: Sequence[Any]) -> FeedbackRecord:
    return FeedbackRecord(
        id=r[0],
        created=r[1],
        updated=r[2],
        question=r[3],
        audience=r[4],
        answer=r[5],
        abstained=bool(r[6]),
        rating=r[7],
        comment=r[8],
        chunk_ids=json.loads(r[9]),
        doc_ids=json.loads(r[10]),
        reading_grade=r[11],
        settings=json.loads(r[12]),
    )


def quoted_numbers(text: str) -> list[str]:
    """The numbers written in ``text`` (citation markers excluded), as written, once each."""
    return list(dict.fromkeys(n.raw.strip() for n in extract_numbers(text)))


def max_grade_for(rec: FeedbackRecord, family_target: float) -> float:
    grade = rec.reading_grade if rec.reading_grade is not None else 0.0
    base = family_target if rec.audience == "family" else CLINICIAN_MAX_GRADE
    return float(max(base, math.ceil(grade)))


def to_question(rec: FeedbackRecord, family_target: float = 8.0) -> dict[str, Any]:
    """One line of the evaluation's question file for a rated record (see export_feedback)."""
    expect: dict[str, Any] = {
        "facts": [],
        "sources": [],
        "abstain": False,
        "max_grade": max_grade_for(rec, family_target),
    }
    if rec.rating == 1:
        expect["abstain"] = rec.abstained
        if not rec.abstained:
            expect["facts"] = quoted_numbers(rec.answer)
            expect["sources"] = list(rec.doc_ids)
    else:
        expect["review"] = True
        expect["rejected"] = {
            "answer": rec.answer,
            "abstained": rec.abstained,
            "sources": list(rec.doc_ids),
            "comment": rec.comment,
        }
    return {
        "id": f"feedback-{rec.id}",
        "question": rec.question,
        "audience": rec.audience,
        "expect": expect,
    }


def export_feedback(settings: Settings, out: Path) -> int:
    """Write rated feedback as a question file (JSONL) for ``citeqa eval questions``; return
    the number of questions written.

    One line per rated answer (records without a thumb are skipped; when the same question was
    rated several times for the same audience, the latest rating wins):

    - thumbs up becomes an expectation: ``sources`` = the cited doc_ids, ``abstain`` = whether
      the answer abstained, ``facts`` = the numbers quoted in the answer (as written, e.g.
      ``"94.8%"``), ``max_grade`` = the family target (settings.answer.family_max_grade) or, for
      clinicians, a wide ceiling (30), raised to the rated answer's own grade (rounded up) so that
      the liked answer itself passes.
    - thumbs down is exported for review, not as a truth: ``expect`` carries ``"review": true``,
      empty ``facts``/``sources``, ``abstain: false``, and the rejected answer under
      ``"rejected"`` (answer, abstained, sources, comment). A person should fill in the right
      expectation and drop ``review``; evaluators skip or flag entries marked ``review``.
    """
    store = FeedbackStore.for_settings(settings)
    latest: dict[tuple[str, str], FeedbackRecord] = {}
    for rec in store.all():
        if rec.rating not in (0, 1):
            continue
        key = (" ".join(rec.question.lower().split()), rec.audience)
        prev = latest.get(key)
        if prev is None or rec.updated >= prev.updated:
            latest.pop(key, None)  # keep file order = order of the latest rating
            latest[key] = rec
    target = settings.answer.family_max_grade
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(to_question(r, target), ensure_ascii=False) for r in latest.values()]
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
