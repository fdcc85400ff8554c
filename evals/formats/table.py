"""CSV and TSV sheets: one question a row, a header row naming the columns.

Columns (names are case-insensitive): ``question`` (required); optional ``id``, ``audience``
(clinician | family), ``category``, ``history`` (an earlier message, or a JSON list of them),
``reference`` / ``ground_truth`` / ``answer`` (the expected answer text), ``expected_facts`` and
``expected_sources`` (``;``-separated) and ``abstain`` (true | false | either). When a row gives
an expected answer, facts or sources, an answer is expected (``abstain`` false) unless the
``abstain`` column says otherwise; a row with nothing expected is answered but not scored. Other
columns are kept as metadata (one warning per file).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from evals.formats.common import Intake, QuestionSet
from evals.qformat import Expect, Question, QuestionError, check_audience

REFERENCE_COLUMNS = ("reference", "ground_truth", "answer")
COLUMNS = frozenset(
    [
        "question",
        "id",
        "audience",
        "category",
        "history",
        *REFERENCE_COLUMNS,
        "expected_facts",
        "expected_sources",
        "abstain",
    ]
)
_ABSTAIN = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def split_list(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split(";") if p.strip())


def parse_history(cell: str) -> tuple[str, ...]:
    if not cell.startswith("["):
        return (cell,) if cell else ()
    try:
        value = json.loads(cell)
    except json.JSONDecodeError as exc:
        raise QuestionError(f"'history' is not a JSON list ({exc.msg})") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QuestionError("'history' must be a JSON list of strings")
    return tuple(v for v in value if v.strip())


def parse_abstain(cell: str, expects_answer: bool) -> bool | None:
    if not cell:
        return False if expects_answer else None
    key = cell.strip().lower()
    if key in ("either", "null", "none"):
        return None
    if key not in _ABSTAIN:
        raise QuestionError(f"'abstain' must be true, false or either, got {cell!r}")
    return _ABSTAIN[key]


def row_question(row: dict[str, str], default_id: str) -> Question:
    question = row.get("question", "")
    if not question:
        raise QuestionError("empty 'question'")
    reference = next((row[c] for c in REFERENCE_COLUMNS if row.get(c)), "")
    facts = split_list(row.get("expected_facts", ""))
    sources = split_list(row.get("expected_sources", ""))
    abstain = parse_abstain(row.get("abstain", ""), bool(reference or facts or sources))
    return Question(
        id=row.get("id") or default_id,
        question=question,
        audience=check_audience(row.get("audience") or "clinician"),
        expect=Expect(facts=facts, sources=sources, abstain=abstain),
        category=row.get("category") or "uncategorised",
        history=parse_history(row.get("history", "")),
        reference=reference,
        meta={k: v for k, v in row.items() if k not in COLUMNS and v},
    )


def read(path: Path, text: str, delimiter: str = ",") -> QuestionSet:
    intake = Intake(path, "tsv" if delimiter == "\t" else "csv", COLUMNS)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "question" not in header:
        intake.skip(1, f"no 'question' column (columns: {', '.join(header) or 'none'})")
        return intake.finish()
    reader.fieldnames = header
    extra = sorted(set(header) - COLUMNS - {""})
    last = reader.line_num
    for raw in reader:
        line, last = last + 1, reader.line_num
        if None in raw:
            intake.skip(line, f"more cells than the header has columns ({len(header)})")
            continue
        row: dict[str, Any] = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        q = intake.attempt(line, lambda r=row, n=line: row_question(r, intake.default_id(n)))
        if q is not None:
            intake.add(line, q, [c for c in extra if row.get(c)])
    return intake.finish()
