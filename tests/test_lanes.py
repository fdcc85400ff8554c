"""The fast lane's guard works: a fast-lane test that creates a model or a Chroma client fails
(the lane's members and rule: pyproject.toml `fast_lane`; the guard: tests/conftest.py)."""

from __future__ import annotations

import pytest

from citeqa.settings import Settings


def test_fast_lane_refuses_models_and_chroma(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("fast") is not None, "listed in fast_lane"
    import ingest.embedders
    import rag.rerank
    from ingest.store import ChromaStore

    with pytest.raises(AssertionError, match="fast-lane test may not create an embedding"):
        ingest.embedders.make_embedder("bge-small")
    with pytest.raises(AssertionError, match="fast-lane test may not create a cross-encoder"):
        rag.rerank.make_reranker()
    with pytest.raises(AssertionError, match="fast-lane test may not create a Chroma client"):
        ChromaStore(Settings())
