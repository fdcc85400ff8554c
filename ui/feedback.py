"""Feedback from the chat, kept in a local SQLite file (``data_dir/feedback.sqlite3``).

Nothing is sent anywhere. ``citeqa feedback export FILE`` turns the stored feedback into a question
file for ``citeqa eval questions`` (see ``export_feedback``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from citeqa.answer import Answer
from citeqa.settings import Settings

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
