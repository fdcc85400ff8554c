"""RAGAS / Hugging Face style question sets (JSONL, or JSON: a list of rows or a dict of
columns), and ``ragas.jsonl``, the run's answers in the form RAGAS reads.

Input keys: ``user_input`` (or ``question``), ``reference`` (or ``ground_truth``, or the first of
``ground_truths``), ``reference_contexts``, optional ``id``, ``audience``, ``category``,
``history``. A row with a reference or reference contexts expects an answer; a row without them
is answered but not scored. Outputs of another system that such files often carry
(``response``, ``answer``, ``retrieved_contexts``, ``contexts``...) are kept as metadata.

Output (:func:`ragas_row`): ``user_input``, ``response`` (the answer text without citation
markers; the abstention text when citeqa abstained), ``retrieved_contexts`` and
``retrieved_context_ids`` (the passages the answerer read, in rank order), ``reference`` and
``reference_contexts`` when the question gives them, ``citations`` (citeqa's, each with its
``passage``), plus ``id``, ``history``, ``audience``, ``category`` and ``abstained``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.formats.common import Intake, QuestionSet, text_value
from evals.formats.jsonl import decode, json_lines
from evals.qformat import Expect, Question, QuestionError, check_audience, str_list
from evals.qmatch import strip_markers

KEYS = frozenset(
    [
        "id",
        "user_input",
        "question",
        "reference",
        "ground_truth",
        "ground_truths",
        "reference_contexts",
        "audience",
        "category",
        "history",
    ]
)
OTHER_SYSTEM = frozenset(
    [
        "response",
        "answer",
        "retrieved_contexts",
        "retrieved_context_ids",
        "reference_context_ids",
        "contexts",
        "multi_responses",
        "rubrics",
    ]
)


def row_question(obj: Any, default_id: str) -> Question:
    if not isinstance(obj, dict):
        raise QuestionError("a row must be an object")
    question = text_value(obj.get("user_input", obj.get("question")), "user_input")
    if not question:
        raise QuestionError("'user_input' (or 'question') must be a non-empty string")
    truths = obj.get("ground_truths")
    reference = text_value(obj.get("reference", obj.get("ground_truth")), "reference")
    if not reference and isinstance(truths, list) and truths:
        reference = text_value(truths[0], "ground_truths")
    contexts = str_list(obj.get("reference_contexts") or None, "reference_contexts")
    return Question(
        id=text_value(obj.get("id"), "id") or default_id,
        question=question,
        audience=check_audience(obj.get("audience") or "clinician"),
        expect=Expect(abstain=False if reference or contexts else None),
        category=text_value(obj.get("category"), "category") or "uncategorised",
        history=str_list(obj.get("history") or None, "history"),
        reference=reference,
        reference_contexts=contexts,
        meta={k: v for k, v in obj.items() if k not in KEYS},
    )


def _add(intake: Intake, n: int, obj: Any) -> None:
    q = intake.attempt(n, lambda: row_question(obj, intake.default_id(n)))
    if q is not None:
        intake.add(n, q, [k for k in q.meta if k not in OTHER_SYSTEM])


def read_jsonl(path: Path, text: str) -> QuestionSet:
    intake = Intake(path, "ragas", KEYS | OTHER_SYSTEM)
    for i, line in json_lines(text):
        obj = decode(intake, i, line)
        if obj is not None:
            _add(intake, i, obj)
    return intake.finish()


def rows_of(data: Any) -> list[Any] | None:
    """The rows of a JSON dataset: a list of rows, or a dict of equal-length columns."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        lengths = {len(v) for v in data.values()}
        if len(lengths) == 1:
            n = lengths.pop()
            return [{k: v[i] for k, v in data.items()} for i in range(n)]
    return None


def read_json(path: Path, data: Any) -> QuestionSet:
    """Rows are numbered from 1 in the order of the file ("line" N is row N)."""
    intake = Intake(path, "ragas", KEYS | OTHER_SYSTEM)
    rows = rows_of(data)
    if rows is None:
        intake.skip(1, "not a list of rows or a dict of equal-length columns")
        return intake.finish()
    for n, obj in enumerate(rows, start=1):
        _add(intake, n, obj)
    return intake.finish()


def ragas_row(q: Question, answer: Mapping[str, Any]) -> dict[str, Any]:
    """One line of ``ragas.jsonl`` for question ``q`` and its answer (``Answer.to_json()``)."""
    retrieved = sorted(answer.get("retrieved") or [], key=lambda r: int(r.get("rank", 0)))
    row: dict[str, Any] = {
        "id": q.id,
        "user_input": q.question,
        "response": strip_markers(str(answer.get("answer", ""))),
        "retrieved_contexts": [str(r.get("text", "")) for r in retrieved],
        "retrieved_context_ids": [str(r.get("chunk_id", "")) for r in retrieved],
    }
    if q.reference:
        row["reference"] = q.reference
    if q.reference_contexts:
        row["reference_contexts"] = list(q.reference_contexts)
    row.update(
        citations=list(answer.get("citations") or []),
        history=list(q.history),
        audience=q.audience,
        category=q.category,
        abstained=bool(answer.get("abstained")),
    )
    if answer.get("error"):
        row["error"] = str(answer["error"])
    return row
