"""Chat conversations kept in a local SQLite file (``data_dir/conversations.sqlite3``).

A conversation belongs to one browser: its ``owner`` is the SHA-256 of that browser's token (a
random cookie set by the chat server, ``ui/chat_server.py``), never the token itself. Every read
and write names the owner, so a conversation id taken from someone else's URL opens nothing, and
a browser only ever lists its own conversations. Ids are 128-bit random (``secrets``).

Stored per turn: the question, audience, filters, the earlier questions passed as history, and the
whole Answer as JSON (citations included), so a reload shows exactly what was shown. Nothing here
logs question text. ``purge`` deletes conversations untouched for longer than the retention.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from citeqa.answer import Answer
from citeqa.models import Filters
from citeqa.settings import Settings

FILENAME = "conversations.sqlite3"
TITLE_CHARS = 80
_ANSWER = TypeAdapter(Answer)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner, updated)",
    """CREATE TABLE IF NOT EXISTS turns (
        conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        question TEXT NOT NULL,
        audience TEXT NOT NULL,
        filters TEXT NOT NULL,
        history TEXT NOT NULL,
        answer TEXT NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL,
        PRIMARY KEY (conversation, seq)
    )""",
)


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """One listed conversation (no turns)."""

    id: str
    title: str
    created: float
    updated: float
    turns: int


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """One stored question with its answer; ``extra`` holds display facts (e.g. the number of
    sources the filters left out)."""

    id: str
    question: str
    audience: str
    filters: Filters
    history: tuple[str, ...]
    answer: Answer
    created: float
    extra: dict[str, Any]


def owner_of(browser_token: str) -> str:
    """The owner key of a browser token (its SHA-256; the token itself is never stored)."""
    return hashlib.sha256(browser_token.encode("utf-8")).hexdigest()


def new_id() -> str:
    """An unguessable conversation id (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def title_of(question: str) -> str:
    """A conversation's default title: the first question, on one line, shortened."""
    one_line = " ".join(question.split())
    return one_line if len(one_line) <= TITLE_CHARS else one_line[: TITLE_CHARS - 1] + "…"


class ConversationStore:
    """The conversations of one SQLite file (created when missing). Safe across threads and
    processes (one short connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            for stmt in _SCHEMA:
                db.execute(stmt)

    @classmethod
    def for_settings(cls, settings: Settings) -> ConversationStore:
        return cls(Path(settings.data_dir) / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.execute("PRAGMA foreign_keys = ON")
            yield db

    # -- conversations ----------------------------------------------------------------------------
    def create(self, owner: str, title: str) -> str:
        """A new empty conversation of ``owner``; returns its id."""
        cid, now = new_id(), time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations (id, owner, title, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (cid, owner, title_of(title) or "Conversation", now, now),
            )
        return cid

    def list_for(self, owner: str) -> list[ConversationInfo]:
        """``owner``'s conversations, most recently used first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, "
                "(SELECT COUNT(*) FROM turns t WHERE t.conversation = c.id) "
                "FROM conversations c WHERE c.owner = ? ORDER BY c.updated DESC, c.id",
                (owner,),
            ).fetchall()
        return [ConversationInfo(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def owns(self, owner: str, cid: str) -> bool:
        with self._connect() as db:
            return _owned(db, owner, cid)

    def title(self, owner: str, cid: str) -> str | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT title FROM conversations WHERE id = ? AND owner = ?", (cid, owner)
            ).fetchone()
        return None if row is None else str(row[0])

    def rename(self, owner: str, cid: str, title: str) -> bool:
        """Give ``cid`` a new title (trimmed, one line); False when ``owner`` has no such
        conversation or the title is blank."""
        title = title_of(title)
        if not title:
            return False
        with self._connect() as db:
            cur = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?",
                (title, cid, owner),
            )
        return cur.rowcount == 1

    def delete(self, owner: str, cid: str) -> bool:
        """Delete one conversation with its turns; False when ``owner`` has no such one."""
        with self._connect() as db:
            cur = db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (cid, owner))
        return cur.rowcount == 1

    def delete_all(self, owner: str) -> int:
        """Delete every conversation of ``owner``; returns how many."""
        with self._connect() as db:
            cur = db.execute("DELETE FROM conversations WHERE owner = ?", (owner,))
        return cur.rowcount

    def purge(self, retention_days: int, now: float | None = None) -> int:
        """Delete conversations (of every owner) not used for ``retention_days`` days;
        0 days keeps everything. Returns how many were deleted."""
        if retention_days <= 0:
            return 0
        cutoff = (time.time() if now is None else now) - retention_days * 86400.0
        with self._connect() as db:
            cur = db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,))
        return cur.rowcount

    # -- turns ----------------------------------------------------------------------------------
    def add_turn(self, owner: str, cid: str, turn: StoredTurn) -> bool:
        """Append ``turn`` to ``cid``; False (nothing stored) when ``owner`` does not own it."""
        with self._connect() as db:
            if not _owned(db, owner, cid):
                return False
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE conversation = ?", (cid,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation, seq, id, question, audience, filters, history, "
                "answer, extra, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    seq,
                    turn.id,
                    turn.question,
                    turn.audience,
                    json.dumps(asdict(turn.filters)),
                    json.dumps(list(turn.history)),
                    json.dumps(turn.answer.to_json()),
                    json.dumps(turn.extra, sort_keys=True),
                    turn.created,
                ),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), cid))
        return True

    def turns(self, owner: str, cid: str) -> list[StoredTurn] | None:
        """The turns of ``cid`` in order; None when ``owner`` has no such conversation."""
        with self._connect() as db:
            if not _owned(db, owner, cid):
                return None
            rows = db.execute(
                "SELECT id, question, audience, filters, history, answer, created, extra "
                "FROM turns WHERE conversation = ? ORDER BY seq",
                (cid,),
            ).fetchall()
        return [_turn_from_row(r) for r in rows]


def _filters_from(data: dict[str, Any]) -> Filters:
    names = {f.name for f in fields(Filters)}
    known = {k: v for k, v in data.items() if k in names}
    known["doc_types"] = tuple(known.get("doc_types") or ())
    return Filters(**known)


def _owned(db: sqlite3.Connection, owner: str, cid: str) -> bool:
    """Whether ``owner`` has the conversation ``cid`` (on an open connection)."""
    row = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner))
    return row.fetchone() is not None


def _turn_from_row(r: tuple[Any, ...]) -> StoredTurn:
    return StoredTurn(
        id=r[0],
        question=r[1],
        audience=r[2],
        filters=_filters_from(json.loads(r[3])),
        history=tuple(json.loads(r[4])),
        answer=_ANSWER.validate_python(json.loads(r[5])),
        created=r[6],
        extra=json.loads(r[7]),
    )
