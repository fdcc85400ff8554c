"""``citeqa eval fit``: fit the answer ranker (rag/ranker.py) on the dev split.

1. Every dev question is understood, retrieved and its units scored by the real answer path;
   a unit is *positive* when the question is answerable, the unit contains an expected fact
   and it comes from an expected source.
2. A logistic regression over the named features is fitted with cross-validation grouped by
   document (all questions about one document, hence all phrasings of one fact, fall in one
   fold); the out-of-fold probabilities stand in for unseen questions.
3. The answer and keep thresholds are chosen on those out-of-fold probabilities by running the
   real selection and judge, minimising ``cost_answer_unanswerable * wrong answers to
   unanswerable questions + 1 * every other wrong outcome``.
4. Ablation: each feature is dropped in turn and the outcomes that change are counted.
The coefficients and thresholds go to ``--out`` (default: Settings.answer.ranker), with the
cross-validated figures; a precision/recall curve and a reliability plot go to ``--plots``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.qmetrics import Question, fact_in, judge, source_hit
from rag.ranker import FEATURES, RankerModel

if TYPE_CHECKING:
    from citeqa.settings import Settings
    from rag.answer import Answerer
    from rag.query import Query
    from rag.select import Scored

GRID_THRESHOLD = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
GRID_KEEP = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Item:
    """One dev question as the answer path sees it."""

    question: Question
    query: Query
    scored: list[Scored]
    labels: list[int]
    group: str  # cross-validation group: the question's first document
    answerer: Answerer


def unit_label(q: Question, s: Scored) -> int:
    if q.expect.abstain is not False:
        return 0
    facts = [*q.expect.facts, *q.expect.lead]
    if not facts or not any(fact_in(f, s.unit.full) for f in facts):
        return 0
    meta = s.unit.chunk.meta
    cite = {"doc_id": s.unit.doc_id, "title": meta.title, "reference": meta.reference}
    return int(not q.expect.sources or source_hit(q.expect.sources, [cite]))


def collect(folders: Sequence[Path], settings: Settings) -> list[Item]:
    """Every question of ``folders`` scored by the real answer path (one index per folder)."""
    from citeqa.answer import Audience
    from evals.qbench import load_questions
    from evals.question_sets import prepare_index
    from rag.pipeline import build_pipeline
    from rag.query import parse_query

    items: list[Item] = []
    for folder in folders:
        pipe = build_pipeline(prepare_index(folder, settings))
        ans = pipe.answerer
        u = ans.understanding()
        for q in load_questions(folder):
            query = parse_query(q.question, u, list(q.history))
            aud = Audience(q.audience)
            got = ans.retriever.retrieve(query.retrieval, k=settings.answer.passages, mode="hybrid")
            scored = ans.score(query, aud, got.chunks, u) if not query.unknown else []
            labels = [unit_label(q, s) for s in scored]
            group = q.docs[0] if q.docs else q.group
            items.append(Item(q, query, scored, labels, f"{folder.name}:{group}", ans))
    return items


def matrix(items: Sequence[Item], feats: Sequence[str]) -> tuple[Any, Any, Any]:
    import numpy as np

    rows = [[s.features[f] for f in feats] for it in items for s in it.scored]
    y = [lab for it in items for lab in it.labels]
    groups = [it.group for it in items for _ in it.scored]
    return np.array(rows, dtype=float), np.array(y), np.array(groups)


def fit_oof(items: Sequence[Item], feats: Sequence[str], folds: int = 5) -> tuple[Any, Any]:
    """(the model fitted on everything, out-of-fold probabilities of every unit)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    x, y, groups = matrix(items, feats)
    oof = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        m = LogisticRegression(C=1.0, max_iter=2000).fit(x[train], y[train])
        oof[test] = m.predict_proba(x[test])[:, 1]
    return LogisticRegression(C=1.0, max_iter=2000).fit(x, y), oof


def with_p(items: Sequence[Item], probs: Sequence[float]) -> list[list[Scored]]:
    """Each item's units with the given probabilities, most probable first."""
    out, i = [], 0
    for it in items:
        ss = [dataclasses.replace(s, p=float(probs[i + j])) for j, s in enumerate(it.scored)]
        i += len(it.scored)
        out.append(sorted(ss, key=lambda s: -s.p))
    return out


def outcomes(
    items: Sequence[Item], scored: Sequence[list[Scored]], model: RankerModel
) -> list[bool]:
    """Whether each question would be answered correctly (the real selection and judge)."""
    from citeqa.answer import Audience
    from rag.answer import draft_of
    from rag.compose import Context, compose_answer
    from rag.select import choose

    out = []
    for it, ss in zip(items, scored, strict=True):
        a = it.answerer
        audience = Audience(it.question.audience)
        policy = dataclasses.replace(a.policy(audience), model=model)
        ch = choose(it.query, ss, policy, a.understanding().entities)
        draft = draft_of(ch) if ch.units else a._abstain(ch.reason_code, ch.reason, ss)
        notices = a._notices(it.query, audience)
        ctx = Context(it.question.question, audience, a.texts.abstain, notices=notices)
        ans = compose_answer(draft, ctx, a.parts.glossary)
        out.append(judge(it.question, ans.to_json()).correct)
    return out


def costed(items: Sequence[Item], ok: Sequence[bool], cost_unanswerable: float) -> float:
    cost = 0.0
    for it, good in zip(items, ok, strict=True):
        if not good:
            cost += cost_unanswerable if it.question.expect.abstain is True else 1.0
    return cost


def thresholds(
    items: Sequence[Item], scored: Sequence[list[Scored]], base: RankerModel, cost: float
) -> tuple[RankerModel, list[bool]]:
    """The (threshold, keep) pair of least cost on ``scored`` (grid search)."""
    best: tuple[float, RankerModel, list[bool]] | None = None
    for t in GRID_THRESHOLD:
        for keep in GRID_KEEP:
            m = dataclasses.replace(base, threshold=t, keep=max(t, keep))
            ok = outcomes(items, scored, m)
            c = costed(items, ok, cost)
            if best is None or c < best[0]:
                best = (c, m, ok)
    assert best is not None
    return best[1], best[2]


def model_of(fitted: Any, feats: Sequence[str], version: str) -> RankerModel:
    weights = {f: 0.0 for f in FEATURES}
    weights.update({f: float(w) for f, w in zip(feats, fitted.coef_[0], strict=True)})
    return RankerModel(weights, float(fitted.intercept_[0]), 0.5, 0.6, version)


def run_fit(folders: Sequence[Path], settings: Settings, out: Path, cost: float) -> dict[str, Any]:
    """Fit, choose thresholds, ablate; write ``out``; return the report."""
    from datetime import UTC, datetime

    items = collect(folders, settings)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    fitted, oof = fit_oof(items, FEATURES)
    model = model_of(fitted, FEATURES, f"fit {stamp} on {', '.join(f.name for f in folders)}")
    model, ok = thresholds(items, with_p(items, oof), model, cost)
    report: dict[str, Any] = {
        "questions": len(items),
        "units": sum(len(it.scored) for it in items),
        "positives": sum(sum(it.labels) for it in items),
        "cost_answer_unanswerable": cost,
        "oof_accuracy": round(sum(ok) / len(ok), 4),
        "ablation": ablation(items, model, ok, cost),
        "curve": pr_curve(items, oof),
    }
    out.write_text(json.dumps({**model.to_json(), "cv": report}, indent=2) + "\n", encoding="utf-8")
    return {**model.to_json(), "cv": report}


def ablation(
    items: Sequence[Item], model: RankerModel, ok: Sequence[bool], cost: float
) -> dict[str, int]:
    """For each feature: how many dev outcomes change when it is left out (refit, OOF)."""
    changed = {}
    for f in FEATURES:
        feats = [x for x in FEATURES if x != f]
        fitted, oof = fit_oof(items, feats)
        m = dataclasses.replace(
            model_of(fitted, feats, "ablation"), threshold=model.threshold, keep=model.keep
        )
        other = outcomes(items, with_p(items, oof), m)
        changed[f] = sum(a != b for a, b in zip(ok, other, strict=True))
    return changed


def pr_curve(items: Sequence[Item], oof: Any) -> list[dict[str, float]]:
    """Question-level precision/recall of "answer when the best unit's p >= t" (OOF)."""
    best, i = [], 0
    for it in items:
        n = len(it.scored)
        best.append(max(oof[i : i + n], default=0.0))
        i += n
    rows = []
    for t in [x / 20 for x in range(1, 20)]:
        answered = [b >= t for b in best]
        good = [it.question.expect.abstain is False for it in items]
        tp = sum(a and g for a, g in zip(answered, good, strict=True))
        rows.append({
            "threshold": t,
            "precision": round(tp / max(1, sum(answered)), 4),
            "recall": round(tp / max(1, sum(good)), 4),
        })  # fmt: skip
    return rows
