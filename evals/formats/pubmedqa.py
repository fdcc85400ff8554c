"""PubMedQA (``ori_pqal.json`` shape): ``{pmid: {QUESTION, CONTEXTS, LABELS, YEAR,
final_decision, LONG_ANSWER, ...}}``.

Each question's CONTEXTS (with their LABELS as section headings) become one document,
``pubmedqa-<pmid>``, indexed in a scratch index before the run: citeqa answers from the pool of
the file's abstracts. What is scored:

* judge's verdict: an answer is expected (PubMedQA questions are answered by their abstract) and
  must cite the question's own abstract (``expect.sources``);
* ``pubmedqa_cites_own_abstract``: some citation is the question's own abstract (exact doc id);
* ``pubmedqa_decision_correct``: the yes/no/maybe decision, read from the first word of the
  answer. Only in the generative mode (``CITEQA_LLM__PROVIDER``); the extractive answerer quotes
  sentences and states no decision, so there it is reported as *not scored*.

``LONG_ANSWER`` is the reference text (token F1 and its numbers, :mod:`evals.refscore`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.formats.common import Intake, QuestionSet, SetDocument, text_value
from evals.qformat import Expect, Question, QuestionError
from evals.qmatch import strip_markers

KEYS = frozenset(
    [
        "QUESTION",
        "CONTEXTS",
        "LABELS",
        "MESHES",
        "YEAR",
        "reasoning_required_pred",
        "reasoning_free_pred",
        "final_decision",
        "LONG_ANSWER",
    ]
)
DECISIONS = ("yes", "no", "maybe")


def looks_like(data: Any) -> bool:
    """A dict whose values are objects with a QUESTION."""
    if not isinstance(data, dict) or not data:
        return False
    first = next(iter(data.values()))
    return isinstance(first, dict) and "QUESTION" in first


def doc_id_of(key: str) -> str:
    return f"pubmedqa-{key}"


def entry(key: str, obj: Any) -> tuple[Question, SetDocument | None]:
    if not isinstance(obj, dict):
        raise QuestionError("an entry must be an object")
    question = text_value(obj.get("QUESTION"), "QUESTION")
    if not question:
        raise QuestionError("empty 'QUESTION'")
    contexts = obj.get("CONTEXTS") or []
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise QuestionError("'CONTEXTS' must be a list of strings")
    labels = obj.get("LABELS") or []
    labels = [str(x) for x in labels] if isinstance(labels, list) else []
    labels += ["Abstract"] * (len(contexts) - len(labels))
    decision = text_value(obj.get("final_decision"), "final_decision").lower()
    if decision and decision not in DECISIONS:
        raise QuestionError(f"'final_decision' must be one of {DECISIONS}, got {decision!r}")
    doc = None
    if any(c.strip() for c in contexts):
        year = text_value(obj.get("YEAR"), "YEAR")
        meta = {
            "pmid": key if key.isdigit() else "",
            "year": int(year) if re.fullmatch(r"\d{4}", year) else None,
        }
        sections = tuple((lab, c) for lab, c in zip(labels, contexts, strict=False) if c.strip())
        doc = SetDocument(doc_id_of(key), f"PubMed {key}", sections, meta)
    q = Question(
        id=key,
        question=question,
        audience="clinician",
        expect=Expect(sources=(doc_id_of(key),) if doc else (), abstain=False),
        category="pubmedqa",
        reference=text_value(obj.get("LONG_ANSWER"), "LONG_ANSWER"),
        benchmark="pubmedqa",
        gold={"decision": decision, "doc_id": doc_id_of(key) if doc else ""},
        meta={k: v for k, v in obj.items() if k not in ("QUESTION", "CONTEXTS", "LONG_ANSWER")},
    )
    return q, doc


def read(path: Path, data: Any) -> QuestionSet:
    """Entries are numbered from 1 in file order for the skipped-line list."""
    intake = Intake(path, "pubmedqa", KEYS)
    if not isinstance(data, dict):
        intake.skip(1, "not an object of {pmid: entry}")
        return intake.finish()
    for n, (key, obj) in enumerate(data.items(), start=1):
        try:
            q, doc = entry(str(key), obj)
        except QuestionError as exc:
            intake.skip(n, f"{key}: {exc}")
            continue
        if intake.add(n, q, [k for k in obj if k not in KEYS]) and doc is not None:
            intake.documents.append(doc)
    return intake.finish()


def decision_of(answer_text: str) -> str:
    """``yes`` / ``no`` / ``maybe`` when the answer's first word is one of them, else ``""``."""
    words = re.findall(r"[^\W\d_]+", strip_markers(answer_text).casefold())
    return words[0] if words and words[0] in DECISIONS else ""


def score(q: Question, answer: Mapping[str, Any], generative: bool) -> dict[str, Any]:
    abstained = bool(answer.get("abstained")) or bool(answer.get("error"))
    cited = {str(c.get("doc_id", "")) for c in answer.get("citations") or []}
    out: dict[str, Any] = {
        "pubmedqa_cites_own_abstract": (not abstained and q.gold.get("doc_id") in cited)
        if q.gold.get("doc_id")
        else None,
        "pubmedqa_decision_correct": None,
    }
    if generative and q.gold.get("decision"):
        said = "" if abstained else decision_of(str(answer.get("answer", "")))
        out["pubmedqa_decision"] = said
        out["pubmedqa_decision_correct"] = said == q.gold["decision"]
    return out
