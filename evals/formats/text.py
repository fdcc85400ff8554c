"""A plain text file: one question per line (blank lines and ``#`` comments ignored).

Nothing is expected of the answers, so they are written (``results.jsonl``, ``ragas.jsonl``) for
the evaluator's own scoring and not scored; ids are ``<file stem>-<line number>``.
"""

from __future__ import annotations

from pathlib import Path

from evals.formats.common import Intake, QuestionSet
from evals.qformat import Expect, Question


def read(path: Path, text: str) -> QuestionSet:
    intake = Intake(path, "text", ())
    for i, line in enumerate(text.splitlines(), start=1):
        question = line.strip()
        if not question or question.startswith("#"):
            continue
        if "\x00" in question:
            intake.skip(i, "not text (NUL byte)")
            continue
        q = Question(intake.default_id(i), question, "clinician", Expect(abstain=None))
        intake.add(i, q)
    return intake.finish()
