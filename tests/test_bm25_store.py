"""rag/bm25_store.py gives bm25s's scores bit for bit, stays exact when rows are added and
removed, and orders equal scores by chunk, not by history. No model: fast lane."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from evals.corpus_gen import generate
from rag.bm25_store import PostingsIndex, Tokenizer, row_key

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
    return (index or PostingsIndex()).added(rows, [tok(t) for t in texts], [r * 7 for r in rows])


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


def test_equal_scores_come_in_key_order_whatever_the_rows() -> None:
    tok = Tokenizer()
    texts = ["alpha beta", "alpha beta", "alpha gamma", "alpha beta"]
    a = PostingsIndex().added([0, 1, 2, 3], [tok(t) for t in texts], [30, 10, 5, 20])
    b = PostingsIndex().added([3, 2, 1, 0], [tok(t) for t in texts], [30, 10, 5, 20])
    assert [r for r, _ in a.top(tok("beta"), 3)] == [1, 3, 0]
    assert [r for r, _ in b.top(tok("beta"), 3)] == [2, 0, 3]
    assert a.top(tok("beta"), 0) == [] and a.top(tok("delta"), 5) == []
    mask = np.array([1, 0, 1, 1], dtype=np.float32)
    assert [r for r, _ in a.top(tok("beta"), 5, mask)] == [3, 0]


def test_row_keys_follow_the_ids() -> None:
    ids = ["00ff" * 8, "0a" * 16, "ffff" * 8]
    assert sorted(ids) == sorted(ids, key=row_key)
    assert row_key("not-hex-id") == row_key("not-hex-id") != row_key("other-id")
