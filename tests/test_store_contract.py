"""Every VectorStore passes the one contract (tests/store_contract.py): the in-memory store,
Chroma embedded (a temporary directory) and Chroma as a server (`chroma run` on loopback).
Chroma's own rollback of a batch that fails half-way is checked here too."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citeqa.errors import StoreError
from citeqa.protocols import VectorStore
from citeqa.settings import Settings
from ingest.memory_store import MemoryStore
from ingest.store import ChromaStore, open_store
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
