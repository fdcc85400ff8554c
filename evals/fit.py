"""``citeqa eval fit``: fit the answer ranker (rag/ranker.py) on the dev split.

1. Every dev question is understood, retrieved and its units scored by the real answer path;
   a unit is *positive* when the question is answerable, the unit contains an expected fact
   and it comes from an expected source. (``--cache`` keeps this step's result.)
2. The *unit* model (does this unit state the answer?) is a logistic regression over the named
   features, fitted with cross-validation grouped by document: all questions about one document,
   hence all phrasings of one fact, fall in one fold; out-of-fold (OOF) probabilities stand in
   for unseen questions.
3. The *answer* model is fitted the same way on one row per question: the features of its best
   eligible unit (by OOF unit probability), labelled 1 when that unit states the answer.
4. The answer threshold and the keep ratio are chosen on OOF probabilities by running the real
   selection and judge, minimising ``cost * wrong answers to unanswerable questions + every
   other wrong outcome``.
5. Ablation: each feature is left out in turn (both models refitted, OOF) and the dev outcomes
   that change are counted.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.qmetrics import Question, fact_in, judge, source_hit
from rag.ranker import FEATURES, Logistic, RankerModel

if TYPE_CHECKING:
    from citeqa.settings import Settings
    from rag.answer import Answerer
    from rag.query import Query
    from rag.select import SafetyLead, Scored

GRID_THRESHOLD = tuple(x / 20 for x in range(2, 19))
GRID_KEEP = (0.3, 0.5, 0.7, 0.85)


@dataclass
class Item:
    """One dev question as the answer path sees it."""

    question: Question
    query: Query
    scored: list[Scored]
    labels: list[int]
    group: str  # cross-validation group: the question's folder and first document
    folder: str
    lead: SafetyLead | None = None  # the safety guidance (computed once, at the first use)


def unit_label(q: Question, s: Scored) -> int:
    if q.expect.abstain is not False:
        return 0
    facts = [*q.expect.facts, *q.expect.lead]
    if not facts or not any(fact_in(f, s.unit.full) for f in facts):
        return 0
    meta = s.unit.chunk.meta
    cite = {"doc_id": s.unit.doc_id, "title": meta.title, "reference": meta.reference}
    return int(not q.expect.sources or source_hit(q.expect.sources, [cite]))


def answerers(folders: Sequence[Path], settings: Settings) -> dict[str, Answerer]:
    from evals.question_sets import prepare_index
    from rag.pipeline import build_pipeline

    return {f.name: build_pipeline(prepare_index(f, settings)).answerer for f in folders}


def collect(folders: Sequence[Path], settings: Settings, cache: Path | None) -> list[Item]:
    """Every question of ``folders`` scored by the real answer path (one index per folder)."""
    from citeqa.answer import Audience
    from evals.qbench import load_questions

    if cache is not None and cache.exists():
        items: list[Item] = pickle.loads(cache.read_bytes())
        return items
    items = []
    for folder in folders:
        ans = answerers([folder], settings)[folder.name]
        u = ans.understanding()
        for q in load_questions(folder):
            query = ans.parse(q.question, list(q.history))
            got = ans.retriever.retrieve(query.retrieval, k=settings.answer.passages, mode="hybrid")
            scored = [] if query.unknown else ans.score(query, Audience(q.audience), got.chunks, u)
            labels = [unit_label(q, s) for s in scored]
            group = f"{folder.name}:{q.docs[0] if q.docs else q.group}"
            items.append(Item(q, query, scored, labels, group, folder.name))
    if cache is not None:
        cache.write_bytes(pickle.dumps(items))
    return items


def _fit(x: Any, y: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=5000).fit(x, y)


def logistic(fitted: Any, feats: Sequence[str]) -> Logistic:
    weights = {f: 0.0 for f in FEATURES}
    weights.update({f: float(w) for f, w in zip(feats, fitted.coef_[0], strict=True)})
    return Logistic(weights, float(fitted.intercept_[0]))


RANK_GRID = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0)
RANK_FEATURES = tuple(f for f in FEATURES if f != "ce")


def _rankable(
    items: Sequence[Item], rows: Sequence[int]
) -> list[list[tuple[float, list[float], int]]]:
    """Per answerable question: (ce, other features, label) of its eligible units."""
    out = []
    for i in rows:
        it = items[i]
        if it.question.expect.abstain is not False or not any(it.labels):
            continue
        units = [
            (s.ce, [s.features[f] for f in RANK_FEATURES], lab)
            for s, lab in zip(it.scored, it.labels, strict=True)
            if s.eligible
        ]
        if units:
            out.append(units)
    return out


def _top_hits(
    w: Sequence[float], data: Sequence[Sequence[tuple[float, list[float], int]]]
) -> float:
    """Questions whose best unit states the answer, plus half a point for one in the top 3."""
    total = 0.0
    for units in data:
        ranked = sorted(
            units, key=lambda t: -(t[0] + sum(a * b for a, b in zip(w, t[1], strict=True)))
        )
        total += ranked[0][2] or 0.5 * any(u[2] for u in ranked[1:3])
    return total


def fit_ranking(items: Sequence[Item], rows: Sequence[int], rounds: int = 3) -> Logistic:
    """Unit ranking weights: the cross-encoder logit weighs 1; the other features' weights are
    found by coordinate ascent on a grid, maximising :func:`_top_hits` (what an answer needs:
    the units it quotes first state the answer)."""
    data = _rankable(items, rows)
    w = [0.0] * len(RANK_FEATURES)
    for _ in range(rounds):
        for j in range(len(w)):

            def hits(g: float, j: int = j) -> float:
                return _top_hits([*w[:j], g, *w[j + 1 :]], data)

            w[j] = max(RANK_GRID, key=hits)
    weights = {f: 0.0 for f in FEATURES}
    weights["ce"] = 1.0
    weights.update(dict(zip(RANK_FEATURES, w, strict=True)))
    return Logistic(weights, 0.0)


def unit_scores(
    model: Logistic, items: Sequence[Item], rows: Sequence[int]
) -> dict[int, list[float]]:
    """The ranking model's probability for every unit of the given items."""
    return {i: [model.p(s.features) for s in items[i].scored] for i in rows}


def fit_models(
    items: Sequence[Item], feats: Sequence[str], folds: int = 5
) -> tuple[Logistic, Logistic, list[list[float]], list[float]]:
    """(unit ranking model, answer model, OOF unit scores per item, OOF answer probabilities).

    The unit model orders the units of one question (:func:`fit_ranking`); the answer model is a
    logistic regression over the features of the best-ranked eligible unit. ``feats`` (for the
    ablation) limits both to those features."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    groups = np.array([it.group for it in items])
    idx = np.arange(len(items))
    splitter = GroupKFold(n_splits=folds)
    per_item: list[list[float]] = [[] for _ in items]
    for train, test in splitter.split(idx, idx, groups):
        ranker = _only(fit_ranking(items, train.tolist()), feats)
        for i, sc in unit_scores(ranker, items, test.tolist()).items():
            per_item[i] = sc
    qx, qy, qg = question_rows(items, per_item, feats)
    answer_oof = np.zeros(len(qy))
    for train, test in splitter.split(qx, qy, qg):
        answer_oof[test] = _fit(qx[train], qy[train]).predict_proba(qx[test])[:, 1]
    unit = _only(fit_ranking(items, idx.tolist()), feats)
    everything = unit_scores(unit, items, idx.tolist())
    qx_all, qy_all, _ = question_rows(items, [everything[i] for i in range(len(items))], feats)
    answer = logistic(_fit(qx_all, qy_all), feats)
    return unit, answer, per_item, list(answer_oof)


def _only(model: Logistic, feats: Sequence[str]) -> Logistic:
    """``model`` with the features outside ``feats`` weighted 0 (for the ablation)."""
    return Logistic({f: (w if f in feats else 0.0) for f, w in model.weights.items()}, model.bias)


def question_rows(
    items: Sequence[Item], probs: Sequence[Sequence[float]], feats: Sequence[str]
) -> tuple[Any, Any, Any]:
    """One row per question: its best eligible unit's features, and whether it answers."""
    import numpy as np

    rows, ys, gs = [], [], []
    for it, ps in zip(items, probs, strict=True):
        best = max(
            ((p, s, lab) for p, s, lab in zip(ps, it.scored, it.labels, strict=True) if s.eligible),
            key=lambda t: t[0],
            default=None,
        )
        rows.append([best[1].features[f] for f in feats] if best else [0.0] * len(feats))
        ys.append(best[2] if best else 0)
        gs.append(it.group)
    return np.array(rows, dtype=float), np.array(ys), np.array(gs)


def outcomes(
    items: Sequence[Item],
    probs: Sequence[Sequence[float]],
    answer_p: Sequence[float],
    answerer: dict[str, Answerer],
    model: RankerModel,
) -> list[bool]:
    """Whether each question would be answered correctly (the real selection and judge), with
    the given unit probabilities and answer probabilities."""
    from citeqa.answer import Audience
    from rag.compose import Context, compose_answer
    from rag.select import choose, draft_of

    out = []
    for it, ps, pa in zip(items, probs, answer_p, strict=True):
        a = answerer[it.folder]
        audience = Audience(it.question.audience)
        ss = sorted(
            (dataclasses.replace(s, p=p) for s, p in zip(it.scored, ps, strict=True)),
            key=lambda s: -s.p,
        )
        forced = dataclasses.replace(
            model, answer=Logistic({}, 30.0 if pa >= model.threshold else -30.0)
        )
        policy = dataclasses.replace(a.policy(audience), model=forced)
        ch = choose(it.query, ss, policy, a.understanding().entities)
        draft = draft_of(ch) if ch.units else a._abstain(ch.reason_code, ch.reason, ss)
        notices = a._notices(it.query, audience)
        decline = a.decline_text(it.query, audience, draft.reason)
        ctx = Context(it.question.question, audience, decline, notices=notices)
        ans = compose_answer(draft, ctx, a.parts.glossary)
        out.append(judge(it.question, ans.to_json()).correct)
    return out


def cost_of(items: Sequence[Item], ok: Sequence[bool], cost: float) -> float:
    return sum(
        (cost if it.question.expect.abstain is True else 1.0)
        for it, good in zip(items, ok, strict=True)
        if not good
    )


def thresholds(
    items: Sequence[Item],
    fitted: tuple[Logistic, Logistic, list[list[float]], list[float]],
    answerer: dict[str, Answerer],
    cost: float,
) -> tuple[RankerModel, list[bool]]:
    """The (threshold, keep) pair of least cost on the OOF probabilities (grid search)."""
    unit, answer, probs, answer_p = fitted
    best: tuple[float, RankerModel, list[bool]] | None = None
    for keep in GRID_KEEP:
        for t in GRID_THRESHOLD:
            m = RankerModel(unit, answer, t, keep)
            ok = outcomes(items, probs, answer_p, answerer, m)
            c = cost_of(items, ok, cost)
            if best is None or c < best[0]:
                best = (c, m, ok)
    assert best is not None
    return best[1], best[2]


def plots(
    items: Sequence[Item], probs: Sequence[Sequence[float]], answer_p: Sequence[float], folder: Path
) -> list[str]:
    """The precision/recall curve and the reliability plot of the answer model (OOF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    curve = pr_curve(items, answer_p)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([r["recall"] for r in curve], [r["precision"] for r in curve], marker="o")
    for r in curve[::3]:
        ax.annotate(f"{r['threshold']:.2f}", (r["recall"], r["precision"]), fontsize=7)
    ax.set_xlabel("recall (answerable questions answered)")
    ax.set_ylabel("precision (answered questions answerable)")
    ax.set_title("Answer model, out-of-fold, by threshold")
    fig.tight_layout()
    fig.savefig(folder / "ranker-pr.png", dpi=100)
    plt.close(fig)
    _, ys, _ = question_rows(items, probs, FEATURES)
    bins = [[] for _ in range(10)]  # type: list[list[int]]
    for p, y in zip(answer_p, ys, strict=True):
        bins[min(9, int(p * 10))].append(int(y))
    mids = [(i + 0.5) / 10 for i, b in enumerate(bins) if b]
    rates = [sum(b) / len(b) for b in bins if b]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.plot(mids, rates, marker="o")
    ax.set_xlabel("predicted p_answer (bin centre)")
    ax.set_ylabel("observed: the best unit states the answer")
    ax.set_title("Answer model reliability (out-of-fold)")
    fig.tight_layout()
    fig.savefig(folder / "ranker-reliability.png", dpi=100)
    plt.close(fig)
    return ["ranker-pr.png", "ranker-reliability.png"]


def run_fit(
    folders: Sequence[Path], settings: Settings, out: Path, cost: float, cache: Path | None
) -> dict[str, Any]:
    """Fit, choose thresholds, ablate; write ``out``; return the report."""
    from datetime import UTC, datetime

    items = collect(folders, settings, cache)
    answerer = answerers(folders, settings)
    fitted = fit_models(items, FEATURES)
    model, ok = thresholds(items, fitted, answerer, cost)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    model = dataclasses.replace(
        model, version=f"fit {stamp} on {', '.join(f.name for f in folders)}"
    )
    report: dict[str, Any] = {
        "questions": len(items),
        "units": sum(len(it.scored) for it in items),
        "positives": sum(sum(it.labels) for it in items),
        "cost_answer_unanswerable": cost,
        "oof_accuracy": round(sum(ok) / len(ok), 4),
        "oof_by_folder": by_folder(items, ok),
        "ablation": ablation(items, model, ok, answerer),
        "curve": pr_curve(items, fitted[3]),
        "plots": plots(items, fitted[2], fitted[3], out.parent / "fit-plots"),
    }
    out.write_text(json.dumps({**model.to_json(), "cv": report}, indent=2) + "\n", encoding="utf-8")
    return {**model.to_json(), "cv": report}


def by_folder(items: Sequence[Item], ok: Sequence[bool]) -> dict[str, float]:
    out: dict[str, list[bool]] = {}
    for it, good in zip(items, ok, strict=True):
        out.setdefault(it.folder, []).append(good)
    return {k: round(sum(v) / len(v), 4) for k, v in out.items()}


def ablation(
    items: Sequence[Item], model: RankerModel, ok: Sequence[bool], answerer: dict[str, Answerer]
) -> dict[str, int]:
    """For each feature: how many dev outcomes change when it is left out (refit, OOF)."""
    changed = {}
    for f in FEATURES:
        feats = [x for x in FEATURES if x != f]
        unit, answer, probs, answer_p = fit_models(items, feats)
        m = dataclasses.replace(model, unit=unit, answer=answer)
        other = outcomes(items, probs, answer_p, answerer, m)
        changed[f] = sum(a != b for a, b in zip(ok, other, strict=True))
    return changed


def pr_curve(items: Sequence[Item], answer_p: Sequence[float]) -> list[dict[str, float]]:
    """Question level: precision/recall of "answer when p_answer >= t" for answerable
    questions (OOF), for the precision/recall plot."""
    good = [it.question.expect.abstain is False for it in items]
    rows = []
    for t in GRID_THRESHOLD:
        answered = [p >= t for p in answer_p]
        tp = sum(a and g for a, g in zip(answered, good, strict=True))
        rows.append({
            "threshold": t,
            "precision": round(tp / max(1, sum(answered)), 4),
            "recall": round(tp / max(1, sum(good)), 4),
        })  # fmt: skip
    return rows
