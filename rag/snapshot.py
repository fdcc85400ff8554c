"""One store version as the answer path reads it: BM25 over its chunks, its lexicon, documents
and named entities (from a :class:`~rag.host_index.HostIndex` state; nothing here reads the
store)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from citeqa.models import Chunk, Filters, ScoredChunk
from rag.entities import EntityIndex
from rag.evidence import Documents
from rag.host_index import HostIndex, HostState
from rag.lexicon import IndexLexicon

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class Snapshot:
    """Every chunk of one store version, searchable with BM25 (see the module docstring).

    ``lexicon()``, ``documents()`` and ``entities()`` are built once per version (entities are
    kept with the saved state, so a restarted host does not build them again)."""

    def __init__(self, host: HostIndex, state: HostState) -> None:
        self.host = host
        self.state = state
        self.rows = host.rows(state)
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.state.version

    @property
    def bm25(self) -> Snapshot:
        """The BM25 search of this version (:meth:`search`)."""
        return self

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``query`` by BM25 (scores above 0), best first."""
        tokens = self.host.tokenize(query)
        if not tokens or k <= 0:
            return []
        mask = None if filters is None or filters.is_empty() else self._mask(filters)
        hits = self.state.bm25.top(tokens, k, mask)
        chunks = self.rows.get([r for r, _ in hits])
        return [ScoredChunk(c, s, {"bm25": s}) for c, (_, s) in zip(chunks, hits, strict=True)]

    def _mask(self, filters: Filters) -> npt.NDArray[np.float32]:
        import numpy as np

        cols = self._once("filter-columns", lambda: self.rows.filter_columns(self.state.n_rows))
        keep = [
            1.0 if c and filters.matches(cast(Chunk, SimpleNamespace(meta=SimpleNamespace(**c))))
            else 0.0
            for c in cols
        ]  # fmt: skip
        return np.asarray(keep, dtype=np.float32)

    def _once(self, key: str, build: Any) -> Any:
        with self._lock:
            if key not in self._made:
                self._made[key] = build()
            return self._made[key]

    # -- what the answer path derives from every chunk -----------------------------------------
    def lexicon(self) -> IndexLexicon:
        return cast(IndexLexicon, self._once("lexicon", self.state.counts.lexicon))

    def documents(self) -> Documents:
        """Every document's metadata (its first chunk's), by doc id, in first-seen order."""
        return cast(Documents, self._once("documents", lambda: Documents(self.state.counts.docs)))

    def entities(self, common: Iterable[str] = ()) -> EntityIndex:
        """The named studies and reports of every document (``common`` acronyms name none)."""
        key = "entities:" + "|".join(sorted(common))
        got = self.state.memo.get(key)
        if got is None:
            got = EntityIndex.of_documents(self.state.counts.docs, common)
            self.host.remember(self.state, key, got)
        return cast(EntityIndex, got)

    def chunks_of_type(self, doc_type: str) -> list[Chunk]:
        """The chunks of documents of ``doc_type``, in row order."""
        rows = self.rows.rows_of_type(self.state.live_rows(), doc_type)
        return self.rows.get(rows)

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk, in row order (reads them all: for tests and tools)."""
        return self.rows.get(self.state.live_rows())
