"""The vector store: the Chroma implementation of ``citeqa.protocols.VectorStore``, and
``open_store`` choosing it or the memory store (``ingest/memory_store.py``) by ``settings.store``.

Chroma runs embedded (``PersistentClient`` on ``index_dir``) or as a server (``chroma_url``).
Embeddings are always passed explicitly; telemetry is off.

Crash safety: the manifest (one entry per source file, in a side collection of the same Chroma
database, so server deployments share it: ``ingest/chroma_manifest.py``) is written *after* a
file's chunks are upserted and its stale chunks deleted. Chunk ids are content hashes, so replaying an interrupted file overwrites
the same ids: a SIGKILL at any point leaves no duplicates, and the next run finishes the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast
from urllib.parse import urlparse

from citeqa.errors import StoreError
from citeqa.models import Chunk, Filters, ScoredChunk
from citeqa.protocols import ManifestEntry, SourceWrite, VectorStore
from citeqa.settings import Settings
from ingest.chroma_manifest import (
    STATE_ID,
    manifest_metadata,
    placeholder_vectors,
    read_manifest,
    state_metadata,
)
from ingest.loaders import PARSER_VERSION
from ingest.writes import stack_vectors

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from chromadb.api import ClientAPI
    from chromadb.api.types import Metadata, Where
    from chromadb.config import Settings as ChromaSettings

P = ParamSpec("P")
R = TypeVar("R")
ChromaWhere = dict[str, object]  # a filter in Chroma's ``where`` syntax


def chroma_where(f: Filters | None) -> ChromaWhere | None:
    """``f`` in Chroma's ``where`` syntax (None: no filter). Unknown years are stored as -1."""
    if f is None:
        return None
    clauses: list[ChromaWhere] = []
    if f.doc_types:
        clauses.append({"doc_type": {"$in": list(f.doc_types)}})
    if f.year_min is not None:
        clauses.append({"year": {"$gte": f.year_min}})
    if f.year_max is not None:
        clauses.append({"year": {"$lte": f.year_max}})
        clauses.append({"year": {"$gte": 0}})  # unknown year is stored as -1
    if f.trial:
        clauses.append({"trial": f.trial})
    if f.audience:
        clauses.append({"audience": f.audience})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _chroma_settings() -> ChromaSettings:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings) -> ClientAPI:
    """A Chroma client for ``settings``: HTTP when chroma_url is set, else embedded on disk."""
    import chromadb

    if settings.chroma_url:
        u = urlparse(settings.chroma_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise StoreError(
                f"CITEQA_CHROMA_URL must look like http://host:port, got {u.geturl()!r}"
            )
        try:
            client = chromadb.HttpClient(
                host=u.hostname,
                port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https",
                settings=_chroma_settings(),
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}. "
                "Is `chroma run` up? Check CITEQA_CHROMA_URL."
            ) from exc
        return client
    path = settings.index_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:
        raise StoreError(f"cannot open the index at {path}: {exc}") from exc


class _Guard:
    """Runs Chroma calls; a failing call raises StoreError with an actionable message (e.g. the
    Chroma server went away after the store was opened) instead of a raw HTTP error."""

    def __init__(self, settings: Settings) -> None:
        if settings.chroma_url:
            self._what = f"the Chroma server at {settings.chroma_url} failed"
            self._hint = ". Is `chroma run` up? Check CITEQA_CHROMA_URL."
        else:
            self._what, self._hint = f"the index at {settings.index_dir} failed", ""

    def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            msg = f"{self._what} ({type(exc).__name__}: {exc}){self._hint}"
            raise StoreError(msg) from exc


class ChromaStore:
    """Chunks and manifest in one Chroma database."""

    def __init__(self, settings: Settings, client: ClientAPI | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.name = settings.collection_name()
        self._open_collections()
        self.max_batch = int(self.client.get_max_batch_size())

    def _open_collections(self) -> None:
        s = self.settings
        col = self.client.get_or_create_collection(
            self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={
                "embedder": s.embedder.name,
                "identity": s.index_identity(),
                "parser": PARSER_VERSION,
            },
        )
        man = self.client.get_or_create_collection(f"{self.name}_manifest", embedding_function=None)
        self.col, self.man, self._call = col, man, _Guard(s)

    # -- writing ---------------------------------------------------------------------------
    def replace_sources(self, writes: Sequence[SourceWrite]) -> None:
        """Make the index hold exactly each write's chunks for its source, then record them.

        One batch of Chroma calls for all sources (a per-file round of calls costs more than
        embedding a small file). If writing fails (disk full, read-only index, server gone), the
        chunks added so far are removed again (best effort) and StoreError is raised: every
        source of the batch keeps its previous chunks and manifest entry, others are untouched.
        Manifest entries are written last, so a crash before them means a redo, not a loss.
        Raises ValueError, before anything is written, when a write's vectors do not match its
        chunks (see :func:`stack_vectors`).
        """
        if not writes:
            return
        vectors = stack_vectors(writes)
        keys = [w.key for w in writes]
        ids = [c.chunk_id for w in writes for c in w.chunks]
        where: ChromaWhere = {"source": {"$in": keys} if len(keys) > 1 else keys[0]}
        before = set(self._ids_where(where))
        rows = [(w.key, c) for w in writes for c in w.chunks]
        current = keys[0]
        try:
            for i in range(0, len(rows), self.max_batch):
                part = rows[i : i + self.max_batch]
                current = " and ".join(dict.fromkeys(key for key, _ in part))
                self._upsert(part, vectors[i : i + self.max_batch])
        except Exception as exc:
            with contextlib.suppress(Exception):
                self._delete_ids([i for i in ids if i not in before])
            state = "what was indexed before is intact"
            raise self._write_error(current, exc, state, len(keys) - 1) from exc
        keep = set(ids)
        try:
            self._delete_ids([i for i in before if i not in keep])
            self._put_manifest(writes)
        except Exception as exc:
            state = "the next `citeqa ingest` redoes it"
            raise self._write_error(current, exc, state, len(keys) - 1) from exc

    def _upsert(self, rows: Sequence[tuple[str, Chunk]], vectors: npt.NDArray[np.float32]) -> None:
        """Write chunks (each with its source key) and their vectors in one Chroma call."""
        metas: list[Metadata] = []
        for key, c in rows:
            md = c.to_store_metadata()
            md["source"] = key
            metas.append(md)
        self._call(
            self.col.upsert,
            ids=[c.chunk_id for _, c in rows],
            embeddings=vectors,
            documents=[c.text for _, c in rows],
            metadatas=metas,
        )

    def _write_error(self, key: str, exc: BaseException, state: str, others: int = 0) -> StoreError:
        where = self.settings.chroma_url or self.settings.index_dir
        exc = exc.__cause__ if isinstance(exc, StoreError) and exc.__cause__ else exc
        what = "the file was" if not others else f"it and {others} other files written with it were"
        return StoreError(
            f"could not write {key} to the index at {where} ({type(exc).__name__}: {exc}); "
            f"{what} not recorded and {state}. Free disk space or fix permissions, "
            "then run `citeqa ingest` again."
        )

    def delete_source(self, key: str) -> None:
        self._delete_ids(self._ids_where({"source": key}))
        self._call(self.man.delete, ids=[key])
        self._bump()

    def _ids_where(self, where: ChromaWhere) -> list[str]:
        got = self._call(self.col.get, where=cast("Where", where), include=[])
        return list(got["ids"])

    def _delete_ids(self, ids: list[str]) -> None:
        for i in range(0, len(ids), self.max_batch):
            self._call(self.col.delete, ids=ids[i : i + self.max_batch])

    def _put_manifest(self, writes: Sequence[SourceWrite]) -> None:
        metas: list[Metadata] = [manifest_metadata(w.sha256, w.chunks, w.parser) for w in writes]
        for i in range(0, len(writes), self.max_batch):
            part = writes[i : i + self.max_batch]
            self._call(
                self.man.upsert,
                ids=[w.key for w in part],
                embeddings=placeholder_vectors(len(part)),
                documents=[w.key for w in part],
                metadatas=metas[i : i + self.max_batch],
            )
        self._bump()

    def _bump(self) -> None:
        self._call(
            self.man.upsert,
            ids=[STATE_ID],
            embeddings=placeholder_vectors(1),
            documents=[""],
            metadatas=[state_metadata()],
        )

    # -- reading ---------------------------------------------------------------------------
    def manifest(self) -> dict[str, ManifestEntry]:
        got = self._call(self.man.get, include=["metadatas"])
        return read_manifest(got["ids"], got["metadatas"] or [])

    def version(self) -> str:
        got = self._call(self.man.get, ids=[STATE_ID], include=["metadatas"])
        mds = got.get("metadatas") or []
        return str(mds[0].get("version", "")) if mds and mds[0] else ""

    def count(self) -> int:
        return int(self._call(self.col.count))

    def doc_owner(self, doc_id: str) -> str | None:
        """The source key that indexed ``doc_id``, if any."""
        got = self._call(self.col.get, where={"doc_id": doc_id}, limit=1, include=["metadatas"])
        mds = got.get("metadatas") or []
        return str(mds[0].get("source")) if mds and mds[0] else None

    def query(
        self, vector: npt.NDArray[np.float32], k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]:
        """The ``k`` chunks nearest to ``vector`` (cosine) that pass ``filters``."""
        where = chroma_where(filters)
        if k <= 0:
            return []
        # no count() first: Chroma returns what it has when asked for more, and counting a
        # collection costs a pass over it (63 ms a query at 1M chunks, docs/benchmarks.md)
        res = self._call(
            self.col.query,
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=cast("Where | None", where),
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, text, md, dist in zip(
            res["ids"][0],
            (res["documents"] or [[]])[0],
            (res["metadatas"] or [[]])[0],
            (res["distances"] or [[]])[0],
            strict=False,
        ):
            sim = 1.0 - float(dist)
            out.append(
                ScoredChunk(Chunk.from_store(cid, text or "", dict(md)), sim, {"dense": sim})
            )
        return out

    def iter_chunks(self, batch: int = 2000) -> Iterator[Chunk]:
        for _, chunk in self.source_chunks(None, batch):
            yield chunk

    def source_chunks(
        self, keys: Sequence[str] | None = None, batch: int = 2000
    ) -> Iterator[tuple[str, Chunk]]:
        """``(source key, chunk)`` of every chunk of the sources ``keys`` (None: of all, in
        the order of :meth:`iter_chunks`), read ``batch`` chunks per call. All chunks are read
        by id, after one call for every id in the store's order: a page by ``offset`` costs
        Chroma a pass over the whole collection (4 to 8 s a page at 1M chunks, against 0.4 s
        for a page by id, docs/benchmarks.md), so paging by offset grows with the square."""
        if keys is None:
            ids = self._call(self.col.get, include=[])["ids"]
            for i in range(0, len(ids), batch):
                yield from self._by_id(ids[i : i + batch])
            return
        parts = [list(keys[i : i + 100]) for i in range(0, len(keys), 100)]
        wheres = [{"source": {"$in": p} if len(p) > 1 else p[0]} for p in parts]
        for where in wheres:
            offset = 0
            while True:
                got = self._call(
                    self.col.get,
                    where=cast("Where | None", where),
                    limit=batch,
                    offset=offset,
                    include=["documents", "metadatas"],
                )
                ids = got["ids"]
                if not ids:
                    break
                for cid, text, md in zip(
                    ids, got["documents"] or [], got["metadatas"] or [], strict=False
                ):
                    meta = dict(md or {})
                    yield str(meta.get("source", "")), Chunk.from_store(cid, text or "", meta)
                offset += len(ids)

    def _by_id(self, ids: Sequence[str]) -> Iterator[tuple[str, Chunk]]:
        """``(source key, chunk)`` of the chunks ``ids`` (distinct, stored), in that order."""
        got = self._call(self.col.get, ids=list(ids), include=["documents", "metadatas"])
        found = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False)
        by_id = {cid: (text, dict(md or {})) for cid, text, md in found}
        for cid in ids:
            if cid in by_id:
                text, meta = by_id[cid]
                yield str(meta.get("source", "")), Chunk.from_store(cid, text or "", meta)

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, in the order asked; unknown ids are left out. (Chroma
        refuses an empty or repeated id list, so it is asked each id once, and only if any.)"""
        unique = list(dict.fromkeys(ids))
        by_id = {c.chunk_id: c for _, c in self._by_id(unique)} if unique else {}
        return [by_id[i] for i in ids if i in by_id]

    def prune_stale_collections(self) -> list[str]:
        """Drop citeqa collections written by another parser version (outdated indexes that
        would otherwise stay on disk forever); returns their names. Collections of the current
        parser with other settings (another embedder, chunk size) are kept."""
        dropped = []
        for col in self.client.list_collections():
            name = getattr(col, "name", str(col))
            if not name.startswith("citeqa_") or name.endswith("_manifest") or name == self.name:
                continue
            try:
                md = self.client.get_collection(name).metadata or {}
            except Exception:
                continue
            if md.get("parser", "") != PARSER_VERSION:
                for n in (name, f"{name}_manifest"):
                    with contextlib.suppress(Exception):
                        self.client.delete_collection(n)
                dropped.append(name)
        return dropped

    def reset(self) -> None:
        """Drop this index identity's collections (for --rebuild) and start empty ones: the
        store stays usable and its version changes."""
        for name in (self.name, f"{self.name}_manifest"):
            with contextlib.suppress(Exception):
                self.client.delete_collection(name)
        try:
            self._open_collections()
        except Exception as exc:
            raise StoreError(f"could not recreate the index {self.name}: {exc}") from exc
        self._bump()


def open_store(settings: Settings) -> VectorStore:
    """The vector store ``settings.store`` names: Chroma (embedded at index_dir, or the server at
    chroma_url) or this process's memory store. Raises StoreError when it cannot be opened."""
    if settings.store == "memory":
        from ingest.memory_store import shared_memory_store

        return shared_memory_store(settings)
    try:
        return ChromaStore(settings)
    except StoreError:
        raise
    except Exception as exc:
        where = settings.chroma_url or settings.index_dir
        raise StoreError(f"cannot open the vector store at {where}: {exc}") from exc
