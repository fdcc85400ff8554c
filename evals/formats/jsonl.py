"""citeqa's own question format: JSONL, one object a line (``evals/questions/FORMAT.md``).

Blank lines and lines starting with ``//`` are ignored. A line without ``id`` gets one from its
line number; unknown keys are kept as metadata (one warning per file); a line that is not JSON
or has a value of the wrong type is listed and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.formats.common import Intake, QuestionSet
from evals.qformat import KNOWN_KEYS, parse_question


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of every line that is not blank or a ``//`` comment."""
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("//"):
            yield i, line


def decode(intake: Intake, i: int, line: str) -> Any:
    """The JSON value of line ``i``, or None (and the line skipped) when it is not JSON."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        intake.skip(i, f"not JSON ({exc.msg} at column {exc.colno})")
        return None


def read(path: Path, text: str) -> QuestionSet:
    intake = Intake(path, "jsonl", KNOWN_KEYS)
    for i, line in json_lines(text):
        obj = decode(intake, i, line)
        if obj is None:
            continue
        q = intake.attempt(i, lambda o=obj, n=i: parse_question(o, intake.default_id(n)))
        if q is not None:
            intake.add(i, q, q.meta)
    return intake.finish()
