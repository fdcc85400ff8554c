"""Export of the chat's feedback as a question file for ``citeqa eval questions``.

Reads the feedback store the chat writes (``ui.feedback.FeedbackStore``); see
:func:`export_feedback` for how a thumb becomes an expectation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from citeqa.settings import Settings
from ingest.numbers import extract_numbers
from ui.feedback import CLINICIAN_MAX_GRADE, FeedbackRecord, FeedbackStore


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
