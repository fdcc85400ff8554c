"""Hybrid retrieval: BM25 + dense (Chroma), reciprocal-rank fusion, cross-encoder rerank.

BM25 (bm25s's scoring, rag/bm25_store.py) runs over this host's index of the store
(rag/host_index.py), kept per store version and brought up to date from the store, so every
process (CLI, UI, API workers, hosts of one Chroma server) sees the same passages as Chroma.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citeqa.models import Filters, ScoredChunk
from citeqa.protocols import Embedder, Reranker, VectorStore
from citeqa.settings import Settings
from ingest.chunking import embedding_text
from rag.host_index import HostIndex, host_dir
from rag.snapshot import Snapshot
from rag.timing import stage

__all__ = [
    "MODES",
    "HybridRetriever",
    "Retrieved",
    "Snapshot",
    "blend_scores",
    "rerank_pool",
    "rrf",
]

if TYPE_CHECKING:
    import numpy as np

MODES = ("bm25", "dense", "hybrid", "hybrid+rerank")
_PINNED: ContextVar[tuple[HybridRetriever, Snapshot] | None] = ContextVar(
    "citeqa_pinned_snapshot", default=None
)


@dataclass
class Retrieved:
    chunks: list[ScoredChunk]
    timings_ms: dict[str, float] = field(default_factory=dict)
    more: list[ScoredChunk] = field(default_factory=list)  # ranked below the top k


def rrf(rankings: Sequence[tuple[list[ScoredChunk], float]], k: int = 60) -> list[ScoredChunk]:
    """Weighted reciprocal-rank fusion of several rankings (pure)."""
    fused: dict[str, float] = {}
    first: dict[str, ScoredChunk] = {}
    stage: dict[str, dict[str, float]] = {}
    for ranking, weight in rankings:
        for rank, sc in enumerate(ranking):
            cid = sc.chunk.chunk_id
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank + 1)
            first.setdefault(cid, sc)
            stage.setdefault(cid, {}).update(sc.scores)
    order = sorted(fused, key=lambda c: (-fused[c], c))
    return [ScoredChunk(first[c].chunk, fused[c], {**stage[c], "rrf": fused[c]}) for c in order]


def ce_logit(hit: ScoredChunk) -> float:
    """The raw cross-encoder logit of a reranked passage (its score when it was not reranked)."""
    return float(hit.scores.get("rerank", hit.score))


def blend_scores(logits: Sequence[float], weight: float) -> list[float]:
    """Cross-encoder logits blended with the prior rank of each passage (pure).

    ``logits[i]`` belongs to the passage at prior (fused) rank ``i``; its final score is
    ``logit - weight * log2(1 + i)``: the prior's top passage keeps its raw logit, lower ones
    must beat it by a margin that grows slowly with rank. ``weight`` 0 = cross-encoder only.
    (On SciFact train the cross-encoder alone ranks worse than the hybrid fusion it re-scores;
    the blend recovers that and adds to it, see docs/benchmarks.md.)"""
    return [s - weight * math.log2(1 + i) for i, s in enumerate(logits)]


def rerank_pool(
    fused: list[ScoredChunk], rankings: Sequence[list[ScoredChunk]], depth: int
) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
    """The chunks the cross-encoder re-scores, and the rest in fused order (pure).

    The pool interleaves the retrievers' own rankings (first of each, second of each, ...), so
    a passage that only one retriever finds near its top is always re-scored: fusion alone can
    push it below the depth when the other retriever misses it."""
    by_id = {f.chunk.chunk_id: f for f in fused}
    chosen: list[str] = []
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and len(chosen) < depth:
                cid = ranking[rank].chunk.chunk_id
                if cid not in chosen and cid in by_id:
                    chosen.append(cid)
    taken = set(chosen)
    return [by_id[c] for c in chosen], [f for f in fused if f.chunk.chunk_id not in taken]


class HybridRetriever:
    """BM25 + dense + fusion + optional cross-encoder rerank, as configured by Settings.

    The models come from providers (called on first use), so a retriever that only runs BM25
    never loads them. BM25 and the per-version structures come from this host's index of the
    store (rag/host_index.py), brought up to date when the store's version changes."""

    def __init__(
        self,
        settings: Settings,
        store: VectorStore,
        embedder: Callable[[], Embedder],
        reranker: Callable[[], Reranker],
    ) -> None:
        self.settings = settings
        self.store = store
        self._embedder = embedder
        self._reranker = reranker
        self._snapshot: Snapshot | None = None
        self._host: HostIndex | None = None
        self._bm25_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    @property
    def reranker(self) -> Reranker:
        return self._reranker()

    def snapshot(self) -> Snapshot:
        """BM25 and the per-version structures of the store's current version (brought up to
        date when it changed); inside :meth:`pinned`, the snapshot it pinned."""
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is self:
            return pinned[1]
        with stage("snapshot"):
            return self._current()

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Snapshot]:
        """Within the block (this context: one question), every :meth:`snapshot` is the one
        taken on entry: one version check per question, and one version for all of it."""
        snap = self.snapshot()
        token = _PINNED.set((self, snap))
        try:
            yield snap
        finally:
            _PINNED.reset(token)

    def host_index(self) -> HostIndex:
        """This host's index of the store (on disk under data_dir; in memory for the memory
        store, which lives in this process only)."""
        with self._bm25_lock:
            if self._host is None:
                memory = self.settings.store == "memory"
                self._host = HostIndex(self.store, None if memory else host_dir(self.settings))
            return self._host

    def _current(self) -> Snapshot:
        version = self.store.version()
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        host = self.host_index()
        state = host.state(version)
        with self._bm25_lock:
            if self._snapshot is None or self._snapshot.version != state.version:
                self._snapshot = Snapshot(host, state)
            return self._snapshot

    def bm25_index(self) -> Snapshot:
        return self.snapshot().bm25

    def dense(self, query: str, k: int, filters: Filters | None = None) -> list[ScoredChunk]:
        with stage("dense"):
            vec: np.ndarray = self.embedder.embed_query(query)
            return self.store.query(vec, k, filters)

    def bm25(self, query: str, k: int, filters: Filters | None = None) -> list[ScoredChunk]:
        index = self.bm25_index()
        with stage("bm25"):
            return index.search(query, k, filters)

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
        candidates: int | None = None,
    ) -> Retrieved:
        """Top ``k`` chunks for ``query``.

        ``candidates`` overrides ``settings.retrieval.candidates`` (chunks taken from each
        retriever), e.g. for benchmarks that need a deep ranking. With reranking, only the top
        ``rerank_depth`` fused chunks are re-scored; the rest follow below them in fused order.
        """
        cfg = self.settings.retrieval
        mode = mode or cfg.mode
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        k = k or cfg.k
        n = max(k, candidates or cfg.candidates)
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        if mode == "bm25":
            hits = self.bm25(query, n, filters)
        elif mode == "dense":
            hits = self.dense(query, n, filters)
        else:
            rankings = [self.bm25(query, n, filters), self.dense(query, n, filters)]
            hits = rrf(
                [(rankings[0], cfg.bm25_weight), (rankings[1], cfg.dense_weight)],
                k=cfg.rrf_k,
            )
        timings["retrieve"] = (time.perf_counter() - t0) * 1000
        if mode == "hybrid+rerank" and hits:
            t1 = time.perf_counter()
            pool, rest = rerank_pool(hits, rankings, cfg.rerank_depth)
            order = {h.chunk.chunk_id: i for i, h in enumerate(hits)}
            pool.sort(key=lambda h: order[h.chunk.chunk_id])  # fused order inside the pool
            hits = self.rerank(query, pool, cfg.rerank_blend) + rest
            timings["rerank"] = (time.perf_counter() - t1) * 1000
        return Retrieved(hits[:k], timings, hits[k:])

    def rerank(self, query: str, hits: list[ScoredChunk], blend: float = 0.0) -> list[ScoredChunk]:
        """``hits`` re-scored by the cross-encoder, best first.

        With ``blend`` > 0 the prior order of ``hits`` counts too (see :func:`blend_scores`);
        ``scores["rerank"]`` always keeps the raw cross-encoder logit."""
        logits = [
            float(s) for s in self.reranker.score(query, [embedding_text(h.chunk) for h in hits])
        ]
        final = blend_scores(logits, blend)
        scored = [
            ScoredChunk(h.chunk, f, {**h.scores, "rerank": s, "blend": f})
            for h, s, f in zip(hits, logits, final, strict=True)
        ]
        scored.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
        return scored
