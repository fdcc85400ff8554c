import threading
from collections.abc import Iterator

import numpy as np
import pytest

from ingest.embed_onnx import BGE_QUERY_PREFIX, BgeSmallOnnxEmbedder, length_batches

DOCS = [
    "Blinatumomab is a bispecific antibody that brings T cells to CD19-positive leukemia cells.",
    "The Eiffel Tower was finished in 1889 and stands beside the Seine in Paris.",
    "Cytokine release syndrome and neurotoxicity are the main side effects to watch for.",
    "Short.",
]


@pytest.fixture(scope="module")
def emb() -> Iterator[BgeSmallOnnxEmbedder]:
    yield BgeSmallOnnxEmbedder(batch_size=2, threads=2)


def test_shape_dtype_and_norm(emb: BgeSmallOnnxEmbedder) -> None:
    v = emb.embed_documents(DOCS)
    assert v.shape == (len(DOCS), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = emb.embed_query("side effects")
    assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1.0) < 1e-5


def test_relevant_passage_scores_higher(emb: BgeSmallOnnxEmbedder) -> None:
    d = emb.embed_documents(DOCS)
    q = emb.embed_query("How does blinatumomab work against leukemia?")
    s = d @ q
    assert int(np.argmax(s)) == 0
    assert s[0] > s[1] + 0.1
    q2 = emb.embed_query("What side effects can the treatment cause?")
    assert int(np.argmax(d @ q2)) == 2


def test_order_restored_with_length_sorted_batches(emb: BgeSmallOnnxEmbedder) -> None:
    together = emb.embed_documents(DOCS)  # batch_size 2: batches follow length, not input order
    alone = np.stack([emb.embed_documents([t])[0] for t in DOCS])
    # int8 model: activations are quantized per batch, so neighbours shift a vector slightly.
    cos = (together * alone).sum(axis=1)
    assert (cos > 0.99).all(), cos
    assert np.argmax(together @ alone.T, axis=1).tolist() == list(range(len(DOCS)))
    # Batch composition is fixed by (length, text): any input order gives the same vectors.
    perm = [2, 0, 3, 1]
    shuffled = emb.embed_documents([DOCS[i] for i in perm])
    assert np.array_equal(shuffled, together[perm])


def test_query_prefix_changes_vector(emb: BgeSmallOnnxEmbedder) -> None:
    text = "blinatumomab side effects"
    assert np.allclose(emb.embed_query(text), emb.embed_documents([BGE_QUERY_PREFIX + text])[0])
    assert not np.allclose(emb.embed_query(text), emb.embed_documents([text])[0], atol=1e-3)


def test_empty_input(emb: BgeSmallOnnxEmbedder) -> None:
    v = emb.embed_documents([])
    assert v.shape == (0, 384) and v.dtype == np.float32


def test_long_text_is_truncated_not_rejected(emb: BgeSmallOnnxEmbedder) -> None:
    v = emb.embed_documents(["leukemia " * 3000])
    assert v.shape == (1, 384) and np.isfinite(v).all()


def test_deterministic_and_thread_safe(emb: BgeSmallOnnxEmbedder) -> None:
    ref = emb.embed_documents(DOCS)
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(emb.embed_documents(DOCS))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        assert np.allclose(r, ref, atol=1e-5)


def test_length_batches() -> None:
    assert length_batches([3, 10, 1, 7], 2) == [[1, 3], [0, 2]]
    assert length_batches([5, 5, 5], 2, ["b", "c", "a"]) == [[2, 0], [1]]
    assert length_batches([], 4) == []


def test_factory_builds_bge() -> None:
    from ingest.embedders import make_embedder

    e = make_embedder("bge-small", batch_size=8, threads=1)
    assert e.name == "bge-small" and e.dim == 384
    assert e.embed_documents(["CD19"]).shape == (1, 384)


def test_session_pool_default_runs_one_text_per_session_run() -> None:
    """Default (threads 0, batch 1): one single-threaded session per core, texts spread over
    them; a text's vector is then the same whatever it is embedded with, and the same as
    a single session's."""
    from ingest.embed_onnx import cpu_cores

    pooled = BgeSmallOnnxEmbedder()
    assert pooled.batch_size == 1 and pooled._sessions.size == cpu_cores()
    single = BgeSmallOnnxEmbedder(threads=1)
    assert single._sessions.size == 1
    many = DOCS * 3
    a = pooled.embed_documents(many)
    assert np.array_equal(a, single.embed_documents(many))
    alone = np.stack([pooled.embed_documents([t])[0] for t in DOCS])
    assert np.array_equal(a[: len(DOCS)], alone)
    assert np.array_equal(a[len(DOCS) :], np.concatenate([alone, alone]))


def test_factory_default_batch_per_model() -> None:
    from ingest.embedders import DEFAULT_BATCH, make_embedder

    assert DEFAULT_BATCH == {"minilm": 64, "bge-small": 1}
    e = make_embedder("bge-small")
    assert isinstance(e, BgeSmallOnnxEmbedder) and e.batch_size == 1
