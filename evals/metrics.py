"""Pure information-retrieval metrics (no I/O, no models).

Conventions follow trec_eval / pytrec_eval as used by BEIR:

* a *run* is a ranked list of document ids per query (best first); a document listed twice
  counts once, at its first (best) position;
* *qrels* map query id -> {doc id: graded relevance}; grades <= 0 are not relevant;
* nDCG uses linear gain (``rel / log2(rank + 1)``), the ideal ranking is built from all
  judged-relevant documents;
* a query without any relevant document in the qrels is not evaluated (it is skipped when
  averaging); a judged query missing from the run scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]


def dedupe(ranked: Sequence[str]) -> list[str]:
    """``ranked`` with repeated ids removed (first occurrence kept)."""
    seen: set[str] = set()
    out: list[str] = []
    for d in ranked:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def rank_by_score(scores: Mapping[str, float]) -> list[str]:
    """Ids by descending score; ties broken by id (ascending) so rankings are deterministic."""
    return sorted(scores, key=lambda d: (-scores[d], d))


def relevant(judged: Mapping[str, int]) -> dict[str, int]:
    return {d: int(r) for d, r in judged.items() if int(r) > 0}


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top ``k`` (0.0 when nothing is relevant)."""
    rel = relevant(judged)
    if not rel or k <= 0:
        return 0.0
    top = dedupe(ranked)[:k]
    ideal = dcg(sorted(rel.values(), reverse=True)[:k])
    return dcg([float(rel.get(d, 0)) for d in top]) / ideal


def recall_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k``."""
    rel = relevant(judged)
    if not rel or k <= 0:
        return 0.0
    hits = sum(1 for d in dedupe(ranked)[:k] if d in rel)
    return hits / len(rel)


def mrr_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the top ``k`` (else 0)."""
    rel = relevant(judged)
    for i, d in enumerate(dedupe(ranked)[:k]):
        if d in rel:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(
    run: Run, qrels: Qrels, ndcg_k: int = 10, recall_k: int = 100, mrr_k: int = 10
) -> dict[str, float]:
    """Mean nDCG@ndcg_k, recall@recall_k and MRR@mrr_k over the evaluable queries.

    Keys: ``ndcg@{ndcg_k}``, ``recall@{recall_k}``, ``mrr@{mrr_k}`` and ``queries`` (the number of
    queries averaged). Every metric is 0.0 when no query is evaluable.
    """
    names = (f"ndcg@{ndcg_k}", f"recall@{recall_k}", f"mrr@{mrr_k}")
    sums = dict.fromkeys(names, 0.0)
    n = 0
    for qid, judged in qrels.items():
        if not relevant(judged):
            continue
        ranked = run.get(qid, ())
        sums[names[0]] += ndcg_at_k(ranked, judged, ndcg_k)
        sums[names[1]] += recall_at_k(ranked, judged, recall_k)
        sums[names[2]] += mrr_at_k(ranked, judged, mrr_k)
        n += 1
    out = {name: (s / n if n else 0.0) for name, s in sums.items()}
    out["queries"] = float(n)
    return out


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation, like numpy's default."""
    if not values:
        return 0.0
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def percentile_or_none(values: Sequence[float], q: float) -> float | None:
    """:func:`percentile`, but None (an undefined metric, not 0) when there are no values."""
    return percentile(values, q) if values else None
