"""Chat state of one browser session, kept in ``st.session_state`` (or any mutable mapping).

A question goes into a queue first; the chat page takes it from the queue, computes the answer,
and only then *commits* the turn: the question and its answer enter the history together, under
the session's lock, in one step. A run that is interrupted (the user asks again while an answer is
streaming, and Streamlit restarts the script) therefore never leaves a question without its
answer, nor an answer twice; the interrupted question stays queued and is answered next.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from citeqa.answer import Answer
from citeqa.models import Filters

AUDIENCES = ("clinician", "family")
TURNS, QUEUE, LOCK, BUSY = "citeqa_turns", "citeqa_queue", "citeqa_lock", "citeqa_busy"
RUN_LOCK = "citeqa_run_lock"


@dataclass(frozen=True, slots=True)
class Pending:
    """A question waiting for its answer."""

    question: str
    audience: str
    filters: Filters = field(default_factory=Filters)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass(slots=True)
class Turn:
    """One question and its answer, as shown in the chat."""

    id: str
    question: str
    audience: str
    answer: Answer
    filters: Filters
    history: tuple[str, ...] = ()  # the earlier questions passed to answer()
    created: float = field(default_factory=time.time)
    rating: int | None = None  # 1 thumbs up, 0 thumbs down
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # display facts, e.g. "outside_filters"


class ChatState:
    """Typed view over the session-state mapping (tests pass a plain dict)."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store
        store.setdefault(TURNS, [])
        store.setdefault(QUEUE, [])
        store.setdefault(LOCK, threading.RLock())  # guards the lists (held briefly)
        store.setdefault(RUN_LOCK, threading.Lock())  # held while a question is answered
        store.setdefault(BUSY, False)

    @property
    def turns(self) -> list[Turn]:
        return list(self.store[TURNS])

    @property
    def queue(self) -> list[Pending]:
        return list(self.store[QUEUE])

    @property
    def busy(self) -> bool:
        return bool(self.store[BUSY])

    @property
    def lock(self) -> threading.RLock:
        lock: threading.RLock = self.store[LOCK]
        return lock

    def submit(self, question: str, audience: str, filters: Filters | None = None) -> bool:
        """Queue a question; empty questions and unknown audiences are refused."""
        question = question.strip()
        if not question or audience not in AUDIENCES:
            return False
        with self.lock:
            self.store[QUEUE] = [
                *self.store[QUEUE],
                Pending(question, audience, filters or Filters()),
            ]
        return True

    def next_pending(self) -> Pending | None:
        with self.lock:
            queue = self.store[QUEUE]
            return queue[0] if queue else None

    def history(self) -> tuple[str, ...]:
        """The user's earlier questions, oldest first (passed to ``answer()`` for follow-ups)."""
        return tuple(t.question for t in self.store[TURNS])

    def commit(
        self, pending: Pending, answer: Answer, history: tuple[str, ...] = ()
    ) -> Turn | None:
        """Move ``pending`` from the queue into the history together with its answer.

        Returns None (and stores nothing) if the question left the queue meanwhile, e.g. because
        "New conversation" was pressed while it was being answered."""
        turn = Turn(
            pending.id, pending.question, pending.audience, answer, pending.filters, history
        )
        with self.lock:
            if all(p.id != pending.id for p in self.store[QUEUE]):
                return None
            # Build both new lists first, then swap them in: no state in which one moved alone.
            queue = [p for p in self.store[QUEUE] if p.id != pending.id]
            turns = [t for t in self.store[TURNS] if t.id != pending.id] + [turn]
            self.store[TURNS], self.store[QUEUE] = turns, queue
        return turn

    def drop(self, pending: Pending) -> None:
        """Remove a question from the queue without answering it (e.g. it failed)."""
        with self.lock:
            self.store[QUEUE] = [p for p in self.store[QUEUE] if p.id != pending.id]

    def find(self, turn_id: str) -> Turn | None:
        return next((t for t in self.store[TURNS] if t.id == turn_id), None)

    def reset(self) -> None:
        """Start a new conversation."""
        with self.lock:
            self.store[TURNS], self.store[QUEUE] = [], []

    def load(self, turns: list[Turn]) -> None:
        """Show a stored conversation: its turns replace the current ones, the queue empties."""
        with self.lock:
            self.store[TURNS], self.store[QUEUE] = list(turns), []

    @contextlib.contextmanager
    def running(self, timeout: float = 0.0) -> Iterator[bool]:
        """Hold the session's run lock and 'busy' flag while answering.

        Yields False when another run of this session still holds it after ``timeout`` seconds
        (the caller then leaves the queue alone)."""
        run_lock: threading.Lock = self.store[RUN_LOCK]
        got = run_lock.acquire(timeout=timeout) if timeout > 0 else run_lock.acquire(False)
        if not got:
            yield False
            return
        self.store[BUSY] = True
        try:
            yield True
        finally:
            self.store[BUSY] = False
            run_lock.release()


def make_filters(
    doc_types: list[str] | tuple[str, ...],
    years: tuple[int, int] | None,
    full_range: tuple[int, int] | None,
) -> Filters:
    """Filters from the sidebar widgets; the full year range means 'no year filter' (so that
    documents without a year are not dropped)."""
    year_min = year_max = None
    if years is not None and full_range is not None and tuple(years) != tuple(full_range):
        year_min, year_max = int(years[0]), int(years[1])
    return Filters(doc_types=tuple(doc_types), year_min=year_min, year_max=year_max)
