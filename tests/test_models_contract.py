"""Every Embedder and Reranker of citeqa passes one contract (tests/models_contract.py): the
real models (bge-small and MiniLM embedders, the ms-marco cross-encoder, with and without its
logit cache) and the fakes other tests use in their place."""

from __future__ import annotations

import pytest

from citeqa.protocols import Embedder, Reranker
from tests.core_support import OverlapReranker
from tests.models_contract import EmbedderContract, RerankerContract
from tests.test_store_contract import BagOfWords


class TestBgeSmall(EmbedderContract):
    @pytest.fixture(scope="class")
    def embedder(self) -> Embedder:
        from ingest.embedders import make_embedder

        return make_embedder("bge-small")


class TestMiniLM(EmbedderContract):
    @pytest.fixture(scope="class")
    def embedder(self) -> Embedder:
        from ingest.embedders import make_embedder

        return make_embedder("minilm")


class TestBagOfWordsFake(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return BagOfWords()


class TestCrossEncoder(RerankerContract):
    @pytest.fixture(scope="class")
    def reranker(self) -> Reranker:
        from rag.rerank import make_reranker

        return make_reranker()


class TestCachedCrossEncoder(RerankerContract):
    @pytest.fixture(scope="class")
    def reranker(self) -> Reranker:
        from rag.rerank import CachedReranker, make_reranker

        return CachedReranker(make_reranker(), size=100)


class TestOverlapFake(RerankerContract):
    @pytest.fixture
    def reranker(self) -> Reranker:
        return OverlapReranker()
