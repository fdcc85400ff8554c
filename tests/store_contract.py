"""The VectorStore contract (``citeqa.protocols.VectorStore``) as mixin classes of tests.

Modelled on haystack's ``haystack/testing/document_store.py``: a test class for one
implementation inherits :class:`VectorStoreContract` (or some of the mixins) and provides two
fixtures, ``store`` (an empty store) and ``reopen`` (a callable giving a second handle on the same
data, as a new process would open it). Vectors are small fixed fakes (dimension :data:`DIM`), so
no embedding model is loaded and the suite runs in seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from citeqa.errors import StoreError
from citeqa.models import Chunk, Filters, Metadata, Sentence, content_hash
from citeqa.protocols import SourceWrite, VectorStore

DIM = 8
Reopen = Callable[[], VectorStore]


def chunk(doc_id: str, ordinal: int, text: str = "", **meta: object) -> Chunk:
    """A chunk of ``doc_id`` whose id is a content hash, as the chunker makes them."""
    text = text or f"Passage {ordinal} of {doc_id}. It has two sentences."
    cut = text.index(".") + 1 if "." in text[:-1] else len(text)
    m = Metadata(doc_id=doc_id, title=str(meta.pop("title", f"Title of {doc_id}")), **meta)  # type: ignore[arg-type]
    return Chunk(
        chunk_id=content_hash(doc_id, str(ordinal), text),
        doc_id=doc_id,
        text=text,
        section="Results",
        page=None,
        ordinal=ordinal,
        char_start=0,
        char_end=len(text),
        sentences=(Sentence(0, cut), Sentence(min(cut + 1, len(text)), len(text))),
        label=f"{doc_id}, Results",
        meta=m,
    )


def vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    """``n`` fixed pseudo-random vectors, shape (n, dim), float32."""
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def write(key: str, chunks: Sequence[Chunk], vecs: np.ndarray | None = None) -> SourceWrite:
    """A write of ``chunks`` for source ``key`` (sha256 derived from the chunk ids)."""
    sha = content_hash(key, *(c.chunk_id for c in chunks))
    if vecs is None:
        vecs = vectors(len(chunks), seed=len(key) + sum(map(ord, key)))
    return SourceWrite(key=key, sha256=sha, chunks=list(chunks), vectors=vecs)


def ids(chunks: Sequence[Chunk]) -> set[str]:
    return {c.chunk_id for c in chunks}


def assert_same_chunks(got: Sequence[Chunk], expected: Sequence[Chunk]) -> None:
    """Same chunks in the same order, metadata included (Chunk equality leaves ``meta`` out)."""
    assert [c.chunk_id for c in got] == [c.chunk_id for c in expected]
    for g, e in zip(got, expected, strict=True):
        assert g == e and g.meta == e.meta


def state(store: VectorStore) -> tuple[int, dict[str, str], set[str], str]:
    """(count, sha256 per source, chunk ids, version): what a failed call must leave alone."""
    man = {k: e.sha256 for k, e in store.manifest().items()}
    return store.count(), man, {c.chunk_id for c in store.iter_chunks()}, store.version()


# --- a small library: five documents in three sources --------------------------------------

LIBRARY: dict[str, list[Chunk]] = {
    "src/one.md": [
        chunk("a1", 0, doc_type="journal-article", year=2019, trial="AALL1331"),
        chunk("a1", 1, doc_type="journal-article", year=2019, trial="AALL1331"),
        chunk("a2", 0, doc_type="conference-abstract", year=2023),
    ],
    "src/two.md": [
        chunk("f1", 0, doc_type="plain-language", audience="family"),
        chunk("f1", 1, doc_type="plain-language", audience="family"),
    ],
    "src/three.md": [
        chunk("l1", 0, doc_type="drug-label", year=2024),
        chunk("r1", 0, doc_type="trial-registry", year=2015, trial="AALL1731"),
        chunk("r1", 1, doc_type="trial-registry", year=2015, trial="AALL1731"),
    ],
}
ALL = [c for cs in LIBRARY.values() for c in cs]
VECTORS = vectors(len(ALL), seed=42)


def fill(store: VectorStore) -> None:
    """Write :data:`LIBRARY` in one call, chunk ``i`` of :data:`ALL` with ``VECTORS[i]``."""
    writes, i = [], 0
    for key, cs in LIBRARY.items():
        writes.append(write(key, cs, VECTORS[i : i + len(cs)]))
        i += len(cs)
    store.replace_sources(writes)


def docs_of(hits: Sequence[object]) -> set[str]:
    return {h.chunk.doc_id for h in hits}  # type: ignore[attr-defined]


# --- the mixins ---------------------------------------------------------------------------


class WriteSourcesTest:
    def test_written_chunks_read_back_whole(self, store: VectorStore) -> None:
        odd = chunk("u1", 0, "Ünïcode text — 5 µg/m²/day. Second.", authors=("A B", "C D"))
        odd = dataclasses.replace(odd, page=3, section="")
        cs = [chunk("d1", 0, year=None), chunk("d1", 1, evidence=("x1",)), odd]
        store.replace_sources([write("k", cs)])
        assert store.count() == 3
        assert_same_chunks(store.get_chunks([c.chunk_id for c in cs]), cs)

    def test_replacing_a_source_keeps_exactly_the_new_chunks(self, store: VectorStore) -> None:
        old = [chunk("d1", 0), chunk("d1", 1), chunk("d1", 2)]
        store.replace_sources([write("k", old)])
        new = [old[0], chunk("d1", 1, "A changed passage. Yes.")]
        store.replace_sources([write("k", new)])
        assert ids(store.iter_chunks()) == ids(new) and store.count() == 2
        assert store.manifest()["k"].sha256 == write("k", new).sha256

    def test_replacing_a_source_leaves_the_others_alone(self, store: VectorStore) -> None:
        fill(store)
        store.replace_sources([write("src/two.md", [chunk("f1", 0, "Now one passage. Only.")])])
        got = ids(store.iter_chunks())
        assert ids(LIBRARY["src/one.md"]) | ids(LIBRARY["src/three.md"]) <= got
        assert not ids(LIBRARY["src/two.md"]) & got and len(got) == 7

    def test_one_call_writes_several_sources(self, store: VectorStore) -> None:
        fill(store)
        assert store.count() == len(ALL) and set(store.manifest()) == set(LIBRARY)

    def test_a_source_without_chunks_is_recorded(self, store: VectorStore) -> None:
        fill(store)
        store.replace_sources([write("src/two.md", [], np.zeros((0, DIM), np.float32))])
        entry = store.manifest()["src/two.md"]
        assert (entry.n_chunks, entry.n_docs, entry.docs) == (0, 0, ())
        assert store.count() == len(ALL) - 2 and store.doc_owner("f1") is None

    def test_an_empty_call_changes_nothing(self, store: VectorStore) -> None:
        fill(store)
        before = state(store)
        store.replace_sources([])
        assert state(store) == before


class AtomicWriteTest:
    """A call that cannot be written changes nothing (sources keep what they held)."""

    def test_vectors_not_matching_the_chunks_are_refused(self, store: VectorStore) -> None:
        fill(store)
        before = state(store)
        bad = write("src/one.md", [chunk("a1", 0), chunk("a1", 9)], vectors(3))
        with pytest.raises(ValueError, match=r"src/one\.md"):
            store.replace_sources([write("new.md", [chunk("n1", 0)]), bad])
        assert state(store) == before

    def test_writes_of_different_dimensions_are_refused(self, store: VectorStore) -> None:
        fill(store)
        before = state(store)
        with pytest.raises(ValueError, match="dimension"):
            store.replace_sources(
                [
                    write("new.md", [chunk("n1", 0)]),
                    write("src/two.md", [chunk("f1", 0)], vectors(1, dim=DIM + 2)),
                ]
            )
        assert state(store) == before

    def test_a_dimension_the_index_does_not_hold_is_a_store_error(self, store: VectorStore) -> None:
        fill(store)
        before = state(store)
        writes = [
            write("src/one.md", [chunk("a1", 0, "Replaced. Text.")], vectors(1, dim=4)),
            write("new.md", [chunk("n1", 0)], vectors(1, dim=4)),
        ]
        with pytest.raises(StoreError):
            store.replace_sources(writes)
        assert state(store) == before


class DeleteSourceTest:
    def test_delete_removes_the_source_only(self, store: VectorStore) -> None:
        fill(store)
        store.delete_source("src/one.md")
        assert set(store.manifest()) == {"src/two.md", "src/three.md"}
        assert ids(store.iter_chunks()) == ids(LIBRARY["src/two.md"]) | ids(LIBRARY["src/three.md"])
        assert store.doc_owner("a1") is None and store.doc_owner("f1") == "src/two.md"

    def test_deleting_an_unknown_source_is_harmless(self, store: VectorStore) -> None:
        fill(store)
        store.delete_source("no/such/file.md")
        assert store.count() == len(ALL) and set(store.manifest()) == set(LIBRARY)


class ManifestTest:
    def test_empty_store_has_an_empty_manifest(self, store: VectorStore) -> None:
        assert store.manifest() == {}

    def test_entry_lists_hash_counts_and_documents(self, store: VectorStore) -> None:
        fill(store)
        entry = store.manifest()["src/one.md"]
        assert entry.key == "src/one.md"
        assert entry.sha256 == write("src/one.md", LIBRARY["src/one.md"]).sha256
        assert (entry.n_docs, entry.n_chunks) == (2, 3)
        assert list(entry.docs) == [
            {
                "doc_id": "a1",
                "title": "Title of a1",
                "doc_type": "journal-article",
                "year": 2019,
                "trial": "AALL1331",
                "chunks": 2,
            },
            {
                "doc_id": "a2",
                "title": "Title of a2",
                "doc_type": "conference-abstract",
                "year": 2023,
                "trial": "",
                "chunks": 1,
            },
        ]
        assert store.manifest()["src/two.md"].docs[0]["year"] is None

    def test_entry_records_the_parser_version(self, store: VectorStore) -> None:
        """The ingest skips a file only when its hash and parser version are both unchanged."""
        fill(store)
        assert store.manifest()["src/one.md"].parser == ""
        store.replace_sources(
            [
                dataclasses.replace(
                    write("src/one.md", LIBRARY["src/one.md"]), vectors=VECTORS[:3], parser="7"
                )
            ]
        )
        assert {k: e.parser for k, e in store.manifest().items()} == {
            "src/one.md": "7",
            "src/two.md": "",
            "src/three.md": "",
        }


class QueryTest:
    def test_empty_store_gives_nothing(self, store: VectorStore) -> None:
        assert store.query(vectors(1)[0], k=5) == []

    def test_nearest_first_with_cosine_scores(self, store: VectorStore) -> None:
        fill(store)
        q = VECTORS[4]
        hits = store.query(q, k=len(ALL))
        assert hits[0].chunk == ALL[4] and hits[0].score == pytest.approx(1.0, abs=1e-4)
        unit = VECTORS / np.linalg.norm(VECTORS, axis=1, keepdims=True)
        expected = unit @ (q / np.linalg.norm(q))
        for h in hits:
            i = ALL.index(h.chunk)
            assert h.score == pytest.approx(float(expected[i]), abs=1e-4)
            assert h.scores["dense"] == h.score
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len(ids([h.chunk for h in hits])) == len(ALL)

    def test_k_limits_the_hits(self, store: VectorStore) -> None:
        fill(store)
        assert len(store.query(VECTORS[0], k=3)) == 3
        assert len(store.query(VECTORS[0], k=100)) == len(ALL)
        assert store.query(VECTORS[0], k=0) == []

    def test_hits_carry_the_whole_chunk(self, store: VectorStore) -> None:
        fill(store)
        hit = store.query(VECTORS[3], k=1)[0]
        assert_same_chunks([hit.chunk], [ALL[3]])

    def test_a_vector_of_another_dimension_is_a_store_error(self, store: VectorStore) -> None:
        fill(store)
        with pytest.raises(StoreError):
            store.query(vectors(1, dim=DIM + 1)[0], k=3)


FILTER_CASES: list[tuple[Filters, set[str]]] = [
    (Filters(), {"a1", "a2", "f1", "l1", "r1"}),
    (Filters(doc_types=("journal-article",)), {"a1"}),
    (Filters(doc_types=("drug-label", "trial-registry")), {"l1", "r1"}),
    (Filters(year_min=2020), {"a2", "l1"}),  # unknown year (f1) is left out
    (Filters(year_max=2020), {"a1", "r1"}),  # unknown year (f1) is left out
    (Filters(year_min=2016, year_max=2023), {"a1", "a2"}),
    (Filters(trial="AALL1331"), {"a1"}),
    (Filters(audience="family"), {"f1"}),
    (Filters(audience="clinician", doc_types=("plain-language",)), set()),
    (Filters(doc_types=("trial-registry",), year_max=2015, trial="AALL1731"), {"r1"}),
    (Filters(year_min=2030), set()),
]


def case_id(value: object) -> str:
    """A test id that is the same in every process (a set is named sorted, not in hash
    order, so pytest-xdist workers collect the same tests)."""
    return "{" + ",".join(sorted(value)) + "}" if isinstance(value, set) else str(value)


class FilterTest:
    @pytest.mark.parametrize(("filters", "docs"), FILTER_CASES, ids=case_id)
    def test_each_filter_field(self, store: VectorStore, filters: Filters, docs: set[str]) -> None:
        fill(store)
        hits = store.query(VECTORS[0], k=len(ALL), filters=filters)
        assert docs_of(hits) == docs
        # the reference meaning: exactly the chunks Filters.matches accepts
        assert ids([h.chunk for h in hits]) == ids([c for c in ALL if filters.matches(c)])

    def test_filters_apply_before_the_k_nearest(self, store: VectorStore) -> None:
        fill(store)
        hits = store.query(VECTORS[0], k=1, filters=Filters(audience="family"))
        assert docs_of(hits) == {"f1"}


class IterAndGetTest:
    def test_iter_chunks_yields_each_chunk_once(self, store: VectorStore) -> None:
        assert list(store.iter_chunks()) == []
        fill(store)
        for batch in (2, 3, 2000):
            got = list(store.iter_chunks(batch=batch))
            assert len(got) == len(ALL) and ids(got) == ids(ALL)

    def test_get_chunks_in_the_order_asked_unknown_left_out(self, store: VectorStore) -> None:
        fill(store)
        asked = [ALL[5].chunk_id, "no-such-id", ALL[0].chunk_id, ALL[2].chunk_id]
        assert_same_chunks(store.get_chunks(asked), [ALL[5], ALL[0], ALL[2]])

    def test_get_chunks_of_nothing_is_nothing(self, store: VectorStore) -> None:
        fill(store)
        assert store.get_chunks([]) == []
        assert store.get_chunks(["no-such-id"]) == []

    def test_get_chunks_repeats_a_repeated_id(self, store: VectorStore) -> None:
        fill(store)
        got = store.get_chunks([ALL[1].chunk_id, ALL[1].chunk_id])
        assert_same_chunks(got, [ALL[1], ALL[1]])

    def test_count(self, store: VectorStore) -> None:
        assert store.count() == 0
        fill(store)
        assert store.count() == len(ALL)
        store.delete_source("src/three.md")
        assert store.count() == len(ALL) - 3


class VersionTest:
    def test_every_write_gives_a_new_version(self, store: VectorStore) -> None:
        seen = [store.version()]
        fill(store)
        seen.append(store.version())
        store.replace_sources([write("src/two.md", LIBRARY["src/two.md"])])  # same content
        seen.append(store.version())
        store.delete_source("src/one.md")
        seen.append(store.version())
        store.reset()
        seen.append(store.version())
        assert len(set(seen)) == len(seen), seen

    def test_reads_keep_the_version(self, store: VectorStore) -> None:
        fill(store)
        v = store.version()
        store.query(VECTORS[0], k=3)
        list(store.iter_chunks())
        store.get_chunks([ALL[0].chunk_id])
        store.manifest()
        store.count()
        store.doc_owner("a1")
        assert store.version() == v


class DocOwnerTest:
    def test_doc_owner_names_the_source(self, store: VectorStore) -> None:
        assert store.doc_owner("a1") is None
        fill(store)
        assert store.doc_owner("a1") == "src/one.md"
        assert store.doc_owner("r1") == "src/three.md"
        assert store.doc_owner("zz") is None


class ResetTest:
    def test_reset_empties_the_store_which_stays_usable(self, store: VectorStore) -> None:
        fill(store)
        store.reset()
        assert (store.count(), store.manifest(), list(store.iter_chunks())) == (0, {}, [])
        assert store.query(VECTORS[0], k=3) == [] and store.doc_owner("a1") is None
        store.replace_sources([write("again.md", LIBRARY["src/two.md"])])
        assert store.count() == 2 and set(store.manifest()) == {"again.md"}

    def test_reset_is_seen_by_a_reopened_store(self, store: VectorStore, reopen: Reopen) -> None:
        fill(store)
        store.reset()
        other = reopen()
        assert (other.count(), other.manifest()) == (0, {})


class ReopenTest:
    def test_a_reopened_store_sees_the_same_data(self, store: VectorStore, reopen: Reopen) -> None:
        fill(store)
        other = reopen()
        assert state(other) == state(store)
        assert docs_of(other.query(VECTORS[0], k=3, filters=Filters(audience="family"))) == {"f1"}


class VectorStoreContract(
    WriteSourcesTest,
    AtomicWriteTest,
    DeleteSourceTest,
    ManifestTest,
    QueryTest,
    FilterTest,
    IterAndGetTest,
    VersionTest,
    DocOwnerTest,
    ResetTest,
    ReopenTest,
):
    """Everything a VectorStore must do. Subclass it and provide ``store`` and ``reopen``."""
