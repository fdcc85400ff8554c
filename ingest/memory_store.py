"""An in-memory VectorStore: exact cosine search with numpy, nothing written to disk.

Chosen with ``CITEQA_STORE=memory``. It keeps the Chroma store's contract (``tests/
store_contract.py``): the same manifest entries, a new ``version()`` on every write, writes atomic
per call, filters with the meaning of :meth:`citeqa.models.Filters.matches`. Its data lives as
long as the process: :func:`shared_memory_store` hands every caller with the same index the same
store, so an ingest and the questions after it (one process: tests, the fast lane, a demo) see the
same chunks.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from citeqa.errors import StoreError
from citeqa.models import Chunk, Filters, ScoredChunk
from citeqa.protocols import ManifestEntry, SourceWrite
from citeqa.settings import Settings
from ingest.writes import manifest_entry, stack_vectors

_REGISTRY_LOCK = threading.Lock()
_STORES: dict[tuple[str, str], MemoryStore] = {}


def shared_memory_store(settings: Settings) -> MemoryStore:
    """The process's memory store for ``settings``' index (index_dir and index identity)."""
    key = (str(settings.index_dir.resolve()), settings.collection_name())
    with _REGISTRY_LOCK:
        if key not in _STORES:
            _STORES[key] = MemoryStore()
        return _STORES[key]


@dataclass(frozen=True, slots=True)
class _Row:
    source: str
    chunk: Chunk
    unit: npt.NDArray[np.float32]  # the chunk's vector scaled to length 1, shape (dim,)


def _unit(v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``v`` scaled to length 1 along its last axis (zero vectors stay zero)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)


class MemoryStore:
    """Chunks, their unit vectors and the manifest in dictionaries, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[str, _Row] = {}  # by chunk id, in write order
        self._manifest: dict[str, ManifestEntry] = {}
        self._dim: int | None = None  # fixed by the first vectors written, until reset()
        self._version = ""
        self._matrix: tuple[list[_Row], npt.NDArray[np.float32]] | None = None  # query cache

    # -- writing ---------------------------------------------------------------------------
    def replace_sources(self, writes: Sequence[SourceWrite]) -> None:
        """Make each write's source hold exactly its chunks, and record it in the manifest.

        The new state is built aside and swapped in, so a failing call changes nothing. Raises
        ValueError when a write's vectors do not match its chunks, StoreError when their
        dimension differs from the vectors already stored."""
        if not writes:
            return
        vectors = stack_vectors(writes)
        with self._lock:
            if len(vectors) and self._dim is not None and vectors.shape[1] != self._dim:
                raise StoreError(
                    f"could not write {writes[0].key}: the index holds vectors of dimension "
                    f"{self._dim}, got {vectors.shape[1]}; nothing was written"
                )
            keys = {w.key for w in writes}
            rows = {cid: r for cid, r in self._rows.items() if r.source not in keys}
            units = iter(_unit(vectors))
            for w in writes:
                for c in w.chunks:
                    rows[c.chunk_id] = _Row(w.key, c, next(units))
            manifest = dict(self._manifest)
            manifest.update(
                {w.key: manifest_entry(w.key, w.sha256, w.chunks, w.parser) for w in writes}
            )
            self._rows, self._manifest = rows, manifest
            if len(vectors):
                self._dim = vectors.shape[1]
            self._bump()

    def delete_source(self, key: str) -> None:
        """Remove source ``key``'s chunks and manifest entry (nothing to do if it is unknown)."""
        with self._lock:
            self._rows = {cid: r for cid, r in self._rows.items() if r.source != key}
            self._manifest.pop(key, None)
            self._bump()

    def reset(self) -> None:
        """Drop every chunk and manifest entry; the store stays usable."""
        with self._lock:
            self._rows, self._manifest, self._dim = {}, {}, None
            self._bump()

    def _bump(self) -> None:
        self._version = uuid.uuid4().hex
        self._matrix = None

    # -- reading ---------------------------------------------------------------------------
    def manifest(self) -> dict[str, ManifestEntry]:
        with self._lock:
            return dict(self._manifest)

    def version(self) -> str:
        return self._version

    def count(self) -> int:
        return len(self._rows)

    def doc_owner(self, doc_id: str) -> str | None:
        """The source key that indexed ``doc_id``, if any."""
        with self._lock:
            rows = list(self._rows.values())
        return next((r.source for r in rows if r.chunk.doc_id == doc_id), None)

    def query(
        self, vector: npt.NDArray[np.float32], k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]:
        """The ``k`` chunks most similar to ``vector`` (cosine, exact) that pass ``filters``,
        best first. Raises StoreError when ``vector``'s length is not the stored dimension."""
        rows, matrix = self._snapshot()
        if k <= 0 or not rows:
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if q.shape[0] != matrix.shape[1]:
            raise StoreError(
                f"query vector of dimension {q.shape[0]}, the index holds {matrix.shape[1]}"
            )
        keep = [i for i, r in enumerate(rows) if filters is None or filters.matches(r.chunk)]
        if not keep:
            return []
        sims = matrix[keep] @ _unit(q)
        best = np.argsort(-sims, kind="stable")[:k]
        out = []
        for j in best:
            sim = float(sims[j])
            out.append(ScoredChunk(rows[keep[j]].chunk, sim, {"dense": sim}))
        return out

    def _snapshot(self) -> tuple[list[_Row], npt.NDArray[np.float32]]:
        """The rows and their unit vectors stacked, shape (rows, dim); built once per version."""
        with self._lock:
            if self._matrix is None:
                rows = list(self._rows.values())
                dim = self._dim or 0
                matrix = np.stack([r.unit for r in rows]) if rows else np.zeros((0, dim))
                self._matrix = (rows, matrix.astype(np.float32))
            return self._matrix

    def iter_chunks(self, batch: int = 2000) -> Iterator[Chunk]:
        """Every chunk once (``batch`` is accepted for the Protocol; all are in memory)."""
        with self._lock:
            chunks = [r.chunk for r in self._rows.values()]
        yield from chunks

    def source_chunks(
        self, keys: Sequence[str] | None = None, batch: int = 2000
    ) -> Iterator[tuple[str, Chunk]]:
        """``(source key, chunk)`` of every chunk of the sources ``keys`` (None: of all), in
        write order (``batch`` is accepted for the Chroma store's signature)."""
        with self._lock:
            rows = list(self._rows.values())
        wanted = None if keys is None else set(keys)
        for r in rows:
            if wanted is None or r.source in wanted:
                yield r.source, r.chunk

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, in the order asked; unknown ids are left out."""
        with self._lock:
            rows = self._rows
            return [rows[i].chunk for i in ids if i in rows]
