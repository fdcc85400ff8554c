"""Every VectorStore passes the one contract (tests/store_contract.py): the in-memory store,
Chroma embedded (a temporary directory) and Chroma as a server (`chroma run` on loopback).
Chroma's own rollback of a batch that fails half-way is checked here too."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from citeqa.errors import StoreError
from citeqa.models import content_hash
from citeqa.protocols import VectorStore
from citeqa.settings import Settings
from ingest.memory_store import MemoryStore
from ingest.pipeline import Ingestor
from ingest.store import ChromaStore, open_store
from rag.pipeline import Pipeline
from tests.helpers import write_md
from tests.store_contract import (
    ALL,
    LIBRARY,
    Reopen,
    VectorStoreContract,
    chunk,
    fill,
    ids,
    state,
    write,
)


class TestMemoryStore(VectorStoreContract):
    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(store="memory", index_dir=tmp_path / "ix")

    @pytest.fixture
    def store(self, settings: Settings) -> VectorStore:
        return open_store(settings)

    @pytest.fixture
    def reopen(self, settings: Settings) -> Reopen:
        return lambda: open_store(settings)

    def test_open_store_picks_it_and_shares_it_per_index(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        store = open_store(settings)
        assert isinstance(store, MemoryStore) and open_store(settings) is store
        other = Settings(store="memory", index_dir=tmp_path / "other")
        assert open_store(other) is not store


class ChromaRollbackTest:
    """A batch that fails after some of its chunks were written is rolled back (Chroma writes
    in slices of ``max_batch``; the memory store swaps in a finished state and needs no such
    test)."""

    def test_a_batch_failing_half_way_is_rolled_back(
        self, store: ChromaStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fill(store)
        before = state(store)
        real, calls = store._upsert, []

        def upsert(rows: Any, vecs: Any) -> None:
            calls.append(len(rows))
            if len(calls) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real(rows, vecs)

        monkeypatch.setattr(store, "_upsert", upsert)
        store.max_batch = 2
        new = [chunk("a1", 0, "Rewritten. Text."), chunk("a1", 5), chunk("n1", 0), chunk("n1", 1)]
        with pytest.raises(StoreError, match="No space left on device"):
            store.replace_sources([write("src/one.md", new[:2]), write("new.md", new[2:])])
        assert len(calls) == 2
        after = state(store)
        assert after[:3] == before[:3] and not ids(new) & after[2]
        assert store.doc_owner("n1") is None and store.count() == len(ALL)
        assert ids(store.get_chunks([c.chunk_id for c in LIBRARY["src/one.md"]])) == ids(
            LIBRARY["src/one.md"]
        )


class TestChromaEmbedded(VectorStoreContract, ChromaRollbackTest):
    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(store="chroma", index_dir=tmp_path / "ix")

    @pytest.fixture
    def store(self, settings: Settings) -> VectorStore:
        store = open_store(settings)
        assert isinstance(store, ChromaStore)
        return store

    @pytest.fixture
    def reopen(self, settings: Settings) -> Reopen:
        return lambda: ChromaStore(settings)


class TestChromaServer(VectorStoreContract, ChromaRollbackTest):
    @pytest.fixture
    def settings(self, chroma_server_module: str, tmp_path: Path) -> Settings:
        return Settings(store="chroma", chroma_url=chroma_server_module, index_dir=tmp_path / "ix")

    @pytest.fixture
    def store(self, settings: Settings) -> Iterator[VectorStore]:
        import chromadb

        # one server for the module: each test starts from a server without collections
        client = chromadb.HttpClient(
            host="127.0.0.1", port=int(settings.chroma_url.rsplit(":")[-1])
        )
        for col in client.list_collections():
            client.delete_collection(col.name)
        yield ChromaStore(settings)

    @pytest.fixture
    def reopen(self, settings: Settings) -> Reopen:
        return lambda: ChromaStore(settings)


class BagOfWords:
    """A fake embedder: each word adds 1 at a hashed position, then unit length, as the
    Embedder contract asks (deterministic, no model; tests/test_models_contract.py)."""

    name, dim = "bag-of-words", 64

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(content_hash(word)[:8], 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_memory_store_serves_an_ingest_and_the_questions_after_it(tmp_path: Path) -> None:
    """CITEQA_STORE=memory end to end in one process: what the ingest writes, the pipeline's
    retriever finds (dense and BM25), and a re-ingest is seen through the new version."""
    settings = Settings(store="memory", index_dir=tmp_path / "ix")
    docs = tmp_path / "docs"
    write_md(docs / "a.md", "a", "## Results\n\nMarrow relapse fell with blinatumomab.")
    write_md(docs / "b.md", "b", "## Methods\n\nThe pump was changed every four days.")
    embedder = BagOfWords()
    report = Ingestor(settings, embedder=embedder, progress=False).run([docs])
    assert report.failed == [] and report.new_chunks == 2
    pipe = Pipeline(settings, embedder=embedder)
    assert pipe.store is open_store(settings) and pipe.store.count() == 2
    for mode in ("dense", "bm25"):
        hits = pipe.retriever.retrieve("how often was the pump changed", mode=mode).chunks
        assert hits[0].chunk.doc_id == "b", mode
    version = pipe.store.version()
    write_md(docs / "b.md", "b", "## Methods\n\nThe bag was changed every seven days.")
    Ingestor(settings, embedder=embedder, progress=False).run([docs])
    assert pipe.store.version() != version
    hits = pipe.retriever.retrieve("bag changed every seven days", mode="bm25").chunks
    assert "seven days" in hits[0].chunk.text
