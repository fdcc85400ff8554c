"""Per-stage timings of one answer, collected where the work happens.

:func:`collect` opens a clock for the current context (``rag.pipeline.Pipeline.answer`` opens one
per question); :func:`stage` and :func:`add` add milliseconds to a named stage of the open clock
(nothing happens when none is open, e.g. in an ingest). ``compose_answer`` copies the clock into
``Answer.timings_ms`` beside the answerer's own stages (understand, retrieve, answer, total), so
``citeqa ask`` and the benchmarks show where the time of one answer goes:

- ``snapshot``: the store's version check (and any update of the per-version index structures);
- ``bm25``, ``dense``: the two retrievers (``dense`` includes embedding the query);
- ``cross-encoder``: every cross-encoder call of the answer (units, dose guidance, signs);
- ``evidence``, ``compose``: evidence in context and building the Answer.

A stage that runs several times in one answer adds up; stages overlap (``cross-encoder`` is part
of ``answer``), they do not partition ``total``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CLOCK: ContextVar[dict[str, float] | None] = ContextVar("citeqa_stage_clock", default=None)


@contextmanager
def collect() -> Iterator[dict[str, float]]:
    """Open a clock for this context; yields the ``{stage: ms}`` dict it fills."""
    clock: dict[str, float] = {}
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


def add(name: str, ms: float) -> None:
    """Add ``ms`` milliseconds to stage ``name`` of the open clock (if any)."""
    clock = _CLOCK.get()
    if clock is not None:
        clock[name] = clock.get(name, 0.0) + ms


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the ``with`` block as (part of) stage ``name``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        add(name, (time.perf_counter() - t0) * 1000)


def collected() -> dict[str, float]:
    """A copy of the open clock (empty when none is open)."""
    clock = _CLOCK.get()
    return dict(clock) if clock is not None else {}
