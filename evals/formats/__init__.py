"""Question files in the formats evaluators already have, read into one :class:`QuestionSet`.

:func:`load_question_set` detects the format by suffix and shape (``fmt="auto"``) or takes it
from ``fmt``: ``jsonl`` (citeqa's own), ``ragas`` (RAGAS / Hugging Face JSONL or JSON), ``csv``,
``tsv``, ``pubmedqa``, ``bioasq``, ``text``. A folder means every ``*.jsonl`` file in it. Bad
lines are listed in ``QuestionSet.skipped`` and left out; unknown keys are named once per file in
``QuestionSet.warnings``. QuestionError only when the path is missing, the format unknown, or no
question at all could be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.formats import bioasq, jsonl, pubmedqa, ragas, table, text
from evals.formats.common import QuestionSet, SetDocument
from evals.qformat import Question, QuestionError

__all__ = ["FORMATS", "QuestionSet", "SetDocument", "detect", "load_question_set"]

FORMATS = ("auto", "jsonl", "ragas", "csv", "tsv", "pubmedqa", "bioasq", "text")
_RAGAS_MARKS = ("user_input", "ground_truth", "ground_truths", "reference_contexts")


def question_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise QuestionError(f"{path}: no .jsonl files")
        return files
    if not path.is_file():
        raise QuestionError(f"{path}: no such file or directory")
    return [path]


def _first_object(content: str) -> Any:
    for _, line in jsonl.json_lines(content):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return None


def detect(path: Path, content: str) -> str:
    """The format of a file from its suffix and, for JSON, its shape."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab"):
        return "tsv" if suffix != ".csv" else "csv"
    if suffix in (".txt", ".text", ".lst"):
        return "text"
    if suffix == ".json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise QuestionError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if bioasq.looks_like(data):
            return "bioasq"
        return "pubmedqa" if pubmedqa.looks_like(data) else "ragas"
    first = _first_object(content)
    if isinstance(first, dict) and "expect" not in first and any(k in first for k in _RAGAS_MARKS):
        return "ragas"
    if suffix == ".jsonl" or isinstance(first, dict):
        return "jsonl"
    raise QuestionError(f"{path}: unknown question file format (use --format)")


def read_file(path: Path, fmt: str) -> QuestionSet:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionError(f"{path}: cannot read ({exc})") from None
    fmt = detect(path, content) if fmt == "auto" else fmt
    if fmt in ("jsonl", "text", "csv", "tsv"):
        readers = {"jsonl": jsonl.read, "text": text.read}
        if fmt in readers:
            return readers[fmt](path, content)
        return table.read(path, content, "\t" if fmt == "tsv" else ",")
    if fmt == "ragas" and path.suffix.lower() != ".json":
        return ragas.read_jsonl(path, content)
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise QuestionError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    json_readers = {"ragas": ragas.read_json, "pubmedqa": pubmedqa.read, "bioasq": bioasq.read}
    if fmt not in json_readers:
        raise QuestionError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return json_readers[fmt](path, data)


def load_question_set(path: Path | str, fmt: str = "auto") -> QuestionSet:
    """Every question of a file, or of the ``*.jsonl`` files of a folder (ids unique across
    them: a repeated id is a skipped line)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise QuestionError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    parts = [read_file(f, fmt) for f in question_files(path)]
    out = QuestionSet([], format=parts[0].format if len(parts) == 1 else "jsonl")
    seen: dict[str, Question] = {}
    for part in parts:
        out.skipped += part.skipped
        out.documents += part.documents
        out.unknown.update(part.unknown)
        out.known |= part.known
        for q in part.questions:
            if q.id in seen:
                out.skipped.append(
                    f"{path}: duplicate id {q.id!r} in two files; the second is skipped"
                )
                continue
            seen[q.id] = q
            out.questions.append(q)
    warning = out.unknown_warning()
    out.warnings = [f"{path}: {warning}"] if warning else []
    if not out.questions:
        reasons = "; ".join(out.skipped[:3])
        raise QuestionError(f"{path}: no questions" + (f" ({reasons})" if reasons else ""))
    return out
