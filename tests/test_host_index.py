"""The host index (rag/host_index.py): built once, saved, loaded, and brought up to date from
the store by what changed, always equal to a build from scratch of the store's chunks.

Memory store and generated abstracts (no model): in the fast lane. The Chroma store and a
server with several hosts are covered by tests/test_api_scaleout.py."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from citeqa.models import Chunk
from citeqa.protocols import SourceWrite
from citeqa.settings import ChunkingSettings
from evals.corpus_gen import as_document, make_doc
from ingest.chunking import chunk_document
from ingest.memory_store import MemoryStore
from rag.entities import EntityIndex
from rag.evidence import Sources
from rag.host_index import HostIndex
from rag.index_counts import IndexCounts
from rag.lexicon import IndexLexicon
from rag.snapshot import Snapshot

CFG = ChunkingSettings()
QUERIES = [
    "event-free survival with blinatumomab",
    "grade 3 adverse events",
    "hazard ratio overall survival (HR)",
    "how many patients were enrolled",
]


def chunks_of(i: int, seed: int = 0) -> list[Chunk]:
    return chunk_document(as_document(make_doc(i, seed)), CFG)


def write(store: MemoryStore, key: str, chunks: Sequence[Chunk], seed: int = 0) -> None:
    vecs = np.random.default_rng(seed).normal(size=(len(chunks), 8)).astype(np.float32)
    sha = f"{key}:{seed}:{len(chunks)}"
    store.replace_sources([SourceWrite(key, sha, list(chunks), vecs, "p")])


def library(store: MemoryStore, n: int = 12) -> None:
    for i in range(n):
        write(store, f"src/{i}.md", chunks_of(i))


def snapshot(store: MemoryStore, root: Path | None) -> Snapshot:
    host = HostIndex(store, root)
    return Snapshot(host, host.state(store.version()))


def same_as_fresh(snap: Snapshot, store: MemoryStore) -> None:
    """``snap`` answers like a host index built now from the store's chunks."""
    fresh = snapshot(store, None)
    assert snap.version == fresh.version == store.version()
    for q in QUERIES:
        got = [(h.chunk.chunk_id, h.score) for h in snap.search(q, 10)]
        assert got == [(h.chunk.chunk_id, h.score) for h in fresh.search(q, 10)]
    a, b = snap.lexicon(), fresh.lexicon()
    assert (a.n_docs, a.df, a.surface, a.abbreviations) == (
        b.n_docs,
        b.df,
        b.surface,
        b.abbreviations,
    )
    assert dict(snap.documents()) == dict(fresh.documents())
    assert {c.chunk_id for c in snap.chunks} == {c.chunk_id for c in store.iter_chunks()}


def test_counts_in_store_order_equal_the_plain_builds() -> None:
    chunks = [c for i in range(10) for c in chunks_of(i)]
    text = "Minimal residual disease (MRD) and event-free survival (EFS) (EFS)."
    chunks[3] = dataclasses.replace(chunks[3], text=text, match_text="")
    counts = IndexCounts()
    counts.add(chunks)
    lex, plain = counts.lexicon(), IndexLexicon.build(chunks)
    assert lex.n_docs == plain.n_docs and lex.df == plain.df
    assert list(lex.surface.items()) == list(plain.surface.items())
    assert list(lex.abbreviations.items()) == list(plain.abbreviations.items())
    assert "MRD" in lex.abbreviations
    ents, plain_ents = (
        EntityIndex.of_documents(counts.docs, ["ALL"]),
        EntityIndex.build(chunks, ["ALL"]),
    )
    assert (ents.docs, ents.studies, ents.shown) == (
        plain_ents.docs,
        plain_ents.studies,
        plain_ents.shown,
    )
    assert list(counts.docs.items()) == list(Sources.of(chunks, ents, None).docs.items())  # type: ignore[arg-type]


def test_removing_chunks_leaves_the_counts_of_the_rest() -> None:
    chunks = [c for i in range(8) for c in chunks_of(i)]
    counts = IndexCounts()
    counts.add(chunks)
    gone = chunks[: len(chunks) // 2]
    counts.remove(gone)
    rest = IndexLexicon.build(chunks[len(gone) :])
    lex = counts.lexicon()
    assert (lex.n_docs, lex.df, lex.surface) == (rest.n_docs, rest.df, rest.surface)
    assert lex.abbreviations == rest.abbreviations
    assert set(counts.docs) == {c.doc_id for c in chunks[len(gone) :]}
    assert counts.doc_chunks == Counter(c.doc_id for c in chunks[len(gone) :])


def test_changes_are_read_by_source_and_equal_a_fresh_build(tmp_path: Path) -> None:
    store = MemoryStore()
    library(store)
    host = HostIndex(store, tmp_path)
    snap = Snapshot(host, host.state(store.version()))
    same_as_fresh(snap, store)
    asked: list[list[str] | None] = []
    real = store.source_chunks

    def spy(keys: Sequence[str] | None = None, batch: int = 2000):  # type: ignore[no-untyped-def]
        asked.append(None if keys is None else sorted(keys))
        return real(keys, batch)

    store.source_chunks = spy  # type: ignore[method-assign]
    write(store, "src/new.md", chunks_of(50))  # an ingest
    write(store, "src/3.md", chunks_of(3, seed=7), seed=7)  # a changed file
    store.delete_source("src/5.md")  # a delete
    snap = Snapshot(host, host.state(store.version()))
    assert asked == [["src/3.md", "src/new.md"]]  # only what changed was read
    same_as_fresh(snap, store)
    assert "src/5.md" not in snap.state.sources


def test_an_unchanged_file_indexed_again_with_corrected_metadata_is_read_again(
    tmp_path: Path,
) -> None:
    """A correction (rag/library.py) re-indexes the same file (same hash, same parser) with
    another type, year or trial: its chunks are read again, not kept with the old metadata."""
    store = MemoryStore()
    library(store)
    host = HostIndex(store, tmp_path)
    Snapshot(host, host.state(store.version()))
    fixed = [
        dataclasses.replace(c, meta=dataclasses.replace(c.meta, doc_type="trial-registry"))
        for c in chunks_of(4)
    ]
    write(store, "src/4.md", fixed)  # same key, same hash as before: only the metadata differs
    snap = Snapshot(host, host.state(store.version()))
    same_as_fresh(snap, store)
    types = {c.meta.doc_type for c in snap.chunks if c.chunk_id in {f.chunk_id for f in fixed}}
    assert types == {"trial-registry"}


def test_a_restarted_host_loads_its_state_without_reading_the_store(tmp_path: Path) -> None:
    store = MemoryStore()
    library(store, 6)
    first = snapshot(store, tmp_path)
    first.entities(["ALL"])  # kept with the saved state

    def fail(*_: object) -> None:
        raise AssertionError("the store was read")

    store.source_chunks = fail  # type: ignore[assignment,method-assign]
    store.manifest = fail  # type: ignore[assignment,method-assign]
    again = snapshot(store, tmp_path)
    assert again.state.memo.keys() == {"entities:ALL"}
    assert [h.chunk.chunk_id for h in again.search(QUERIES[0], 5)] == [
        h.chunk.chunk_id for h in first.search(QUERIES[0], 5)
    ]


def test_an_update_killed_before_its_state_is_saved_is_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    library(store, 6)
    snapshot(store, tmp_path)
    write(store, "src/late.md", chunks_of(40))

    def killed(self: HostIndex, state: object) -> None:
        raise KeyboardInterrupt  # as if the process died after rows and segments were written

    monkeypatch.setattr(HostIndex, "_write", killed)
    with pytest.raises(KeyboardInterrupt):
        snapshot(store, tmp_path)
    monkeypatch.undo()
    same_as_fresh(snapshot(store, tmp_path), store)


def test_filters_and_empty_queries() -> None:
    from citeqa.models import Filters

    store = MemoryStore()
    library(store, 6)
    snap = snapshot(store, None)
    assert snap.search("the of and", 5) == [] and snap.search(QUERIES[0], 0) == []
    year = next(iter(store.iter_chunks())).meta.year
    hits = snap.search(QUERIES[0], 50, Filters(year_min=year, year_max=year))
    assert hits and all(h.chunk.meta.year == year for h in hits)
