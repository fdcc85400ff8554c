"""Pure IR metrics on hand-made fixtures with values computed by hand."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    dedupe,
    evaluate,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    rank_by_score,
    recall_at_k,
)


def test_ndcg_single_relevant_at_rank_two() -> None:
    assert ndcg_at_k(["a", "b", "c"], {"b": 1}) == pytest.approx(1 / math.log2(3))


def test_ndcg_perfect_and_zero() -> None:
    assert ndcg_at_k(["b", "a"], {"b": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"b": 1}) == 0.0
    assert ndcg_at_k([], {"b": 1}) == 0.0


def test_ndcg_graded_uses_linear_gain() -> None:
    # DCG = 2/log2(2) + 1/log2(4) = 2.5; IDCG = 2 + 1/log2(3)
    expected = 2.5 / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c"], {"a": 2, "c": 1}) == pytest.approx(expected)
    assert expected == pytest.approx(0.9502, abs=1e-4)


def test_ndcg_cutoff_and_ideal_capped_at_k() -> None:
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    rel = {f"d{i}": 1 for i in range(12)}
    assert ndcg_at_k([f"d{i}" for i in range(12)], rel, k=10) == pytest.approx(1.0)
    assert ndcg_at_k(["a"], {"a": 1}, k=0) == 0.0


def test_recall() -> None:
    assert recall_at_k(["a", "x"], {"a": 1, "b": 1}) == pytest.approx(0.5)
    assert recall_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    assert recall_at_k(["x", "y", "a"], {"a": 1}, k=3) == 1.0


def test_mrr() -> None:
    assert mrr_at_k(["x", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(0.5)
    assert mrr_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    assert mrr_at_k(["a"], {"a": 3}) == 1.0


def test_non_positive_grades_are_not_relevant() -> None:
    judged = {"a": 0, "b": -1}
    assert ndcg_at_k(["a", "b"], judged) == 0.0
    assert recall_at_k(["a", "b"], judged) == 0.0
    assert mrr_at_k(["a", "b"], judged) == 0.0
    assert mrr_at_k(["a", "c"], {"a": 0, "c": 1}) == pytest.approx(0.5)


def test_duplicates_count_once_at_best_position() -> None:
    assert dedupe(["a", "a", "b", "a"]) == ["a", "b"]
    assert mrr_at_k(["a", "a", "b"], {"b": 1}) == pytest.approx(0.5)
    assert ndcg_at_k(["b", "b"], {"b": 1, "c": 1}) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_ties_are_broken_by_id() -> None:
    assert rank_by_score({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]
    # the same scores in another insertion order give the same ranking
    assert rank_by_score({"c": 2.0, "a": 1.0, "b": 1.0}) == ["c", "a", "b"]


def test_evaluate_skips_unjudged_and_scores_missing_runs_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    run = {"q1": ["a"], "q4": ["z"]}  # q2 missing from the run, q4 not judged
    res = evaluate(run, qrels)
    assert res["queries"] == 2
    assert res["ndcg@10"] == pytest.approx(0.5)
    assert res["recall@100"] == pytest.approx(0.5)
    assert res["mrr@10"] == pytest.approx(0.5)


def test_evaluate_custom_cutoffs_and_empty() -> None:
    res = evaluate({"q": ["x", "a"]}, {"q": {"a": 1}}, ndcg_k=1, recall_k=1, mrr_k=1)
    assert res == {"ndcg@1": 0.0, "recall@1": 0.0, "mrr@1": 0.0, "queries": 1.0}
    assert evaluate({}, {})["ndcg@10"] == 0.0


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([4, 1, 3, 2], 0) == 1 and percentile([4, 1, 3, 2], 100) == 4
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0
    with pytest.raises(ValueError):
        percentile([1.0], 101)
