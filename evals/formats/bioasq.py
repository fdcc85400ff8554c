"""BioASQ (``{"questions": [{id, body, type, exact_answer, ideal_answer, documents,
snippets}]}``).

The index must hold the articles (ingest PubMed XML: doc ids ``pmid<N>``); a gold document
``http://www.ncbi.nlm.nih.gov/pubmed/<N>`` matches an indexed doc id containing ``<N>`` as a
whole number. What is scored:

* judge's verdict: an answer is expected and must cite one of the gold documents;
* ``bioasq_document_recall``: gold documents among the documents of the passages the answerer
  read (``retrieved``) / gold documents;
* ``bioasq_snippet_recall``: gold snippets found in a read passage (a passage holding at least
  80% of the snippet's distinct words) / gold snippets;
* ``bioasq_exact``: for factoid questions 1.0 when one of the exact answer's synonyms occurs in
  the answer text (evals.qmatch.fact_in), else 0.0; for list questions the share of list items
  found. Yes/no questions: ``bioasq_yesno_correct`` from the first word of the answer, in the
  generative mode only (not scored otherwise). Summary questions: the reference text only.

``ideal_answer`` is the reference text (token F1 and its numbers, :mod:`evals.refscore`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.formats.common import Intake, QuestionSet, text_value
from evals.formats.pubmedqa import decision_of
from evals.qformat import Expect, Question, QuestionError
from evals.qmatch import fact_in, normalise_text, strip_markers

KEYS = frozenset(
    ["id", "body", "type", "exact_answer", "ideal_answer", "documents", "snippets", "concepts",
     "triples", "answerReady"]
)  # fmt: skip
SNIPPET_COVERAGE = 0.8
_WORDS = re.compile(r"[^\W_]+")


def looks_like(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("questions"), list)
        and any(isinstance(q, dict) and "body" in q for q in data["questions"][:5])
    )


def doc_key(url: str) -> str:
    """``http://www.ncbi.nlm.nih.gov/pubmed/15858239`` -> ``15858239``; other ids unchanged."""
    m = re.search(r"/pubmed/(\d+)\s*$", url)
    return m.group(1) if m else url.strip()


def synonyms(value: Any) -> list[list[str]]:
    """Exact answers as items, each a list of synonyms: ``[["a", "b"]]`` or ``["a", "b"]`` (one
    item each) or ``"a"``."""
    if isinstance(value, str):
        return [[value]] if value.strip() else []
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        names = item if isinstance(item, list) else [item]
        names = [
            str(x).strip() for x in names if isinstance(x, str | int | float) and str(x).strip()
        ]
        if names:
            out.append(names)
    return out


def entry(obj: Any, default_id: str) -> Question:
    if not isinstance(obj, dict):
        raise QuestionError("a question must be an object")
    body = text_value(obj.get("body"), "body")
    if not body:
        raise QuestionError("empty 'body'")
    kind = text_value(obj.get("type"), "type").lower() or "summary"
    documents = tuple(doc_key(str(d)) for d in obj.get("documents") or [] if str(d).strip())
    snippets = [
        {"text": str(s.get("text", "")), "document": doc_key(str(s.get("document", "")))}
        for s in obj.get("snippets") or []
        if isinstance(s, dict) and str(s.get("text", "")).strip()
    ]
    exact = obj.get("exact_answer")
    return Question(
        id=text_value(obj.get("id"), "id") or default_id,
        question=body,
        audience="clinician",
        expect=Expect(sources=documents, abstain=False),
        category=f"bioasq-{kind}",
        reference=text_value(obj.get("ideal_answer"), "ideal_answer"),
        benchmark="bioasq",
        gold={
            "type": kind,
            "documents": list(documents),
            "snippets": snippets,
            "exact": text_value(exact, "exact_answer").lower()
            if kind == "yesno"
            else synonyms(exact),
        },
        meta={k: v for k, v in obj.items() if k not in ("body", "ideal_answer", "snippets")},
    )


def read(path: Path, data: Any) -> QuestionSet:
    """Questions are numbered from 1 in file order for the skipped-line list."""
    intake = Intake(path, "bioasq", KEYS)
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list):
        intake.skip(1, "no 'questions' list")
        return intake.finish()
    for n, obj in enumerate(questions, start=1):
        q = intake.attempt(n, lambda o=obj, i=n: entry(o, intake.default_id(i)))
        if q is not None:
            intake.add(n, q, [k for k in obj if k not in KEYS])
    return intake.finish()


def _has_doc(doc_id: str, key: str) -> bool:
    if key.isdigit():
        return re.search(rf"(?<!\d){key}(?!\d)", doc_id) is not None
    return doc_id == key


def snippet_found(snippet: str, passages: list[str]) -> bool:
    words = set(_WORDS.findall(normalise_text(snippet)))
    if not words:
        return False
    for p in passages:
        have = set(_WORDS.findall(normalise_text(p)))
        if len(words & have) >= SNIPPET_COVERAGE * len(words):
            return True
    return False


def _recall(found: int, total: int) -> float | None:
    return round(found / total, 4) if total else None


def score(q: Question, answer: Mapping[str, Any], generative: bool) -> dict[str, Any]:
    read_docs = [str(r.get("doc_id", "")) for r in answer.get("retrieved") or []]
    texts = [str(r.get("text", "")) for r in answer.get("retrieved") or []]
    gold_docs = q.gold.get("documents", [])
    snippets = q.gold.get("snippets", [])
    out: dict[str, Any] = {
        "bioasq_document_recall": _recall(
            sum(any(_has_doc(d, k) for d in read_docs) for k in gold_docs), len(gold_docs)
        ),
        "bioasq_snippet_recall": _recall(
            sum(snippet_found(s["text"], texts) for s in snippets), len(snippets)
        ),
    }
    abstained = bool(answer.get("abstained")) or bool(answer.get("error"))
    text = "" if abstained else strip_markers(str(answer.get("answer", "")))
    kind, exact = q.gold.get("type"), q.gold.get("exact")
    if kind in ("factoid", "list") and exact:
        hits = [any(fact_in(name, text) for name in item) for item in exact]
        out["bioasq_exact"] = (
            float(any(hits)) if kind == "factoid" else _recall(sum(hits), len(hits))
        )
    if kind == "yesno":
        out["bioasq_yesno_correct"] = (decision_of(text) == exact) if generative and exact else None
    return out
