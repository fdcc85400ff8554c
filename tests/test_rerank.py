import time
from collections.abc import Iterator

import numpy as np
import pytest

from rag.pipeline import shared_reranker
from rag.rerank import OnnxCrossEncoder, make_reranker

PASSAGES = [
    "Blinatumomab is a bispecific T-cell engager that binds CD19 on B cells and CD3 on T cells.",
    "Cytokine release syndrome, with fever and low blood pressure, can occur in the first days "
    "of a blinatumomab infusion.",
    "In the randomized trial, adding blinatumomab to chemotherapy raised three-year disease-free "
    "survival in standard-risk children.",
    "Blinatumomab is given as a continuous intravenous infusion through a portable pump for 28 "
    "days per cycle.",
    "Lumbar punctures deliver chemotherapy into the spinal fluid to protect the brain.",
]

CASES = [
    ("How does blinatumomab work?", 0),
    ("What is cytokine release syndrome and when does it happen?", 1),
    ("Did adding blinatumomab improve survival in the trial?", 2),
    ("How is blinatumomab administered and for how long?", 3),
]


@pytest.fixture(scope="module")
def ce() -> Iterator[OnnxCrossEncoder]:
    t = time.perf_counter()
    model = OnnxCrossEncoder(threads=2, batch_size=2)
    print(f"reranker load: {time.perf_counter() - t:.2f}s")
    yield model


@pytest.mark.parametrize(("query", "best"), CASES)
def test_relevant_passage_ranks_first(ce: OnnxCrossEncoder, query: str, best: int) -> None:
    t = time.perf_counter()
    s = ce.score(query, PASSAGES)
    print(f"score 5 passages: {1000 * (time.perf_counter() - t):.0f} ms -> {np.round(s, 2)}")
    assert s.shape == (len(PASSAGES),) and s.dtype == np.float32
    assert int(np.argmax(s)) == best


def test_deterministic_and_order_independent(ce: OnnxCrossEncoder) -> None:
    a = ce.score(CASES[0][0], PASSAGES)
    b = ce.score(CASES[0][0], PASSAGES)
    assert np.array_equal(a, b)
    rev = ce.score(CASES[0][0], PASSAGES[::-1])
    assert np.array_equal(rev[::-1], a)


def test_default_pool_scores_each_pair_alone() -> None:
    """Default: one pair per run, spread over one session per core; a passage's logit is
    the same whatever other passages are scored with it."""
    pooled = OnnxCrossEncoder()
    assert pooled.batch_size == 1
    q = CASES[1][0]
    together = pooled.score(q, PASSAGES * 2)
    alone = np.array([pooled.score(q, [t])[0] for t in PASSAGES], dtype=np.float32)
    assert np.array_equal(together, np.concatenate([alone, alone]))
    assert np.array_equal(together[: len(PASSAGES)], OnnxCrossEncoder(threads=1).score(q, PASSAGES))


def test_empty_list(ce: OnnxCrossEncoder) -> None:
    s = ce.score("anything", [])
    assert s.shape == (0,) and s.dtype == np.float32


def test_long_inputs(ce: OnnxCrossEncoder) -> None:
    s = ce.score("blinatumomab " * 600, ["leukemia " * 2000, PASSAGES[0]])
    assert s.shape == (2,) and np.isfinite(s).all()


def test_timing_batch(ce: OnnxCrossEncoder) -> None:
    texts = PASSAGES * 6
    t = time.perf_counter()
    s = ce.score(CASES[2][0], texts)
    print(f"score {len(texts)} passages: {1000 * (time.perf_counter() - t):.0f} ms")
    assert s.shape == (len(texts),)


def test_builder_shares_one_reranker_and_refuses_unknown() -> None:
    r = shared_reranker("ms-marco-minilm-l12")
    assert r is shared_reranker("ms-marco-minilm-l12")
    assert r.name == "ms-marco-minilm-l12"
    with pytest.raises(ValueError, match="unknown reranker"):
        make_reranker("nope")


def test_pairs_of_several_queries_equal_their_own_calls() -> None:
    """score_pairs (urgent signs: one text, many queries) gives each pair the logit a call of
    its own gives (default pool: one pair per run)."""
    pooled = OnnxCrossEncoder()
    pairs = [(q, p) for q, _ in CASES[:2] for p in PASSAGES[:3]]
    alone = np.array([pooled.score(q, [p])[0] for q, p in pairs], dtype=np.float32)
    assert np.array_equal(pooled.score_pairs(pairs), alone)
