"""The Embedder and Reranker contracts (``citeqa.protocols``) as mixin classes of tests.

Modelled on haystack's ``haystack/testing/document_store.py``, as ``tests/store_contract.py``
is: a test class for one implementation inherits :class:`EmbedderContract` or
:class:`RerankerContract` and provides one fixture, ``embedder`` or ``reranker``.
"""

from __future__ import annotations

import numpy as np
import pytest

from citeqa.protocols import Embedder, Reranker

TEXTS = (
    "In AALL1731, 4-year disease-free survival was 94.8% with blinatumomab.",
    "Cytokine release syndrome occurred in 4.9% of adults in the blinatumomab arm.",
    "A fever of 38 degrees or more needs a call to the care team right away.",
)
QUERY = "What was the disease-free survival with blinatumomab in AALL1731?"


class EmbedderContract:
    """Shapes, dtype, unit length, and a text's vector independent of the rest of its call."""

    def test_documents_give_one_unit_vector_each(self, embedder: Embedder) -> None:
        got = embedder.embed_documents(list(TEXTS))
        assert got.shape == (len(TEXTS), embedder.dim) and got.dtype == np.float32
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)

    def test_query_gives_one_unit_vector(self, embedder: Embedder) -> None:
        got = embedder.embed_query(QUERY)
        assert got.shape == (embedder.dim,) and got.dtype == np.float32
        assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-4

    def test_no_texts_give_an_empty_array(self, embedder: Embedder) -> None:
        assert embedder.embed_documents([]).shape[0] == 0

    def test_a_vector_does_not_depend_on_the_other_texts(self, embedder: Embedder) -> None:
        alone = embedder.embed_documents([TEXTS[0]])[0]
        with_others = embedder.embed_documents([TEXTS[2], TEXTS[0], TEXTS[1]])[1]
        assert np.allclose(alone, with_others, atol=1e-5)

    def test_the_query_is_nearest_its_answer(self, embedder: Embedder) -> None:
        docs = embedder.embed_documents(list(TEXTS))
        assert int(np.argmax(docs @ embedder.embed_query(QUERY))) == 0


class RerankerContract:
    """One float32 logit per passage, empty in gives empty out, a pair's logit independent of
    the other passages, and the answering passage first."""

    def test_one_logit_per_passage(self, reranker: Reranker) -> None:
        got = reranker.score(QUERY, list(TEXTS))
        assert got.shape == (len(TEXTS),) and got.dtype == np.float32

    def test_no_passages_give_an_empty_array(self, reranker: Reranker) -> None:
        assert reranker.score(QUERY, []).shape == (0,)

    def test_a_logit_does_not_depend_on_the_other_passages(self, reranker: Reranker) -> None:
        alone = float(reranker.score(QUERY, [TEXTS[0]])[0])
        with_others = float(reranker.score(QUERY, [TEXTS[1], TEXTS[0], TEXTS[2]])[1])
        assert with_others == pytest.approx(alone, abs=1e-4)

    def test_the_answering_passage_scores_highest(self, reranker: Reranker) -> None:
        assert int(np.argmax(reranker.score(QUERY, list(TEXTS)))) == 0
