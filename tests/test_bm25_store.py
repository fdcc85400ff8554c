"""rag/bm25_store.py gives bm25s's scores bit for bit, stays exact when rows are added and
removed, and orders equal scores by chunk, not by history. No model: fast lane."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from evals.corpus_gen import generate
from rag.bm25_store import PostingsIndex, Tokenizer

TEXTS = [f"{d.title}\n{d.body()}" for d in generate(60)] + [
    "", "the of and", "Relapse-free survival (RFS) at 3 years: 88.5% vs 81.1%.", "HR 0.39; P<0.001",
]  # fmt: skip
QUERIES = [
    "disease-free survival blinatumomab",
    "grade 3 adverse events cytokine release",
    "hazard ratio HR",
    "patients enrolled enrolled",  # a repeated term counts twice, as in bm25s
    "zzz unknown words only",
]


def build(texts: list[str], start: int = 0, index: PostingsIndex | None = None) -> PostingsIndex:
    tok = Tokenizer()
    rows = list(range(start, start + len(texts)))
    return (index or PostingsIndex()).added(rows, [tok(t) for t in texts])


def test_tokens_and_scores_equal_bm25s() -> None:
    stemmer = Stemmer.Stemmer("english")
    ref = bm25s.BM25()
    ref.index(bm25s.tokenize(TEXTS, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)  # fmt: skip
    half = len(TEXTS) // 2
    mine = build(TEXTS[half:], half, build(TEXTS[:half]))  # two segments
    tok = Tokenizer()
    for q in QUERIES:
        want = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]  # fmt: skip
        assert tok(q) == want
        got = mine.scores(want)
        expected = ref.get_scores(want) if any(t in ref.vocab_dict for t in want) else 0 * got
        assert np.array_equal(got, expected), q


def test_removed_rows_leave_the_scores_of_a_fresh_index(tmp_path: Path) -> None:
    tok = Tokenizer()
    full = build(TEXTS)
    gone = list(range(0, len(TEXTS), 3))
    less = full.removed(gone, [tok(TEXTS[r]) for r in gone])
    keep = [r for r in range(len(TEXTS)) if r not in gone]
    fresh = build([TEXTS[r] for r in keep])
    merged = less.compacted(0)
    for seg in merged.segments:
        seg.save(tmp_path)
    loaded = PostingsIndex.from_state(merged.state(), tmp_path)
    for q in QUERIES:
        t = tok(q)
        assert np.array_equal(less.scores(t)[keep], fresh.scores(t))
        assert np.array_equal(loaded.scores(t), less.scores(t))
        assert not less.scores(t)[gone].any()
    assert loaded.n_live == fresh.n_live and loaded.total == fresh.total


def test_top_rows_are_those_bm25s_retrieves_from_the_live_rows() -> None:
    """Equal scores too: the selection runs over the live rows in row order, as bm25s's over a
    fresh index of them (so dead rows never change the order)."""
    tok = Tokenizer()
    stemmer = Stemmer.Stemmer("english")
    texts = ["alpha beta", "alpha beta", "alpha gamma", "alpha beta", "beta beta delta"] * 5
    gone = [1, 7, 12]
    index = build(texts)
    index = index.removed(gone, [tok(texts[r]) for r in gone])
    keep = [r for r in range(len(texts)) if r not in gone]
    ref = bm25s.BM25()
    ref.index(bm25s.tokenize([texts[r] for r in keep], stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)  # fmt: skip
    for q in ("beta", "alpha", "delta beta"):
        idx, sc = ref.retrieve([tok(q)], k=8, show_progress=False)
        want = [(keep[int(i)], float(v)) for i, v in zip(idx[0], sc[0], strict=True) if v > 0]
        assert index.top(tok(q), 8) == want
    assert index.top(tok("beta"), 0) == [] and index.top(tok("epsilon"), 5) == []
    mask = np.ones(len(texts), dtype=np.float32)
    mask[[0, 3]] = 0
    assert {r for r, _ in index.top(tok("beta"), 50, mask)}.isdisjoint({0, 3, *gone})
