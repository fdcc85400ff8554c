"""The vector store: a small Protocol and its Chroma implementation.

Chroma runs embedded (``PersistentClient`` on ``index_dir``) or as a server (``chroma_url``).
Embeddings are always passed explicitly; telemetry is off.

Crash safety: the manifest (one entry per source file, in a side collection of the same Chroma
database, so server deployments share it) is written *after* a file's chunks are upserted and its
stale chunks deleted. Chunk ids are content hashes, so replaying an interrupted file overwrites
the same ids: a SIGKILL at any point leaves no duplicates, and the next run finishes the file.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from citeqa.errors import StoreError
from citeqa.models import Chunk, Filters, ScoredChunk
from citeqa.protocols import ManifestEntry, SourceWrite
from citeqa.settings import Settings

if TYPE_CHECKING:
    import numpy as np

STATE_ID = "__state__"


def manifest_metadata(sha256: str, chunks: Sequence[Chunk]) -> dict[str, Any]:
    """The manifest record of one source: its hash, counts and (a sample of) its documents."""
    docs: dict[str, dict[str, Any]] = {}
    for c in chunks:
        d = docs.setdefault(
            c.doc_id,
            {
                "doc_id": c.doc_id,
                "title": c.meta.title,
                "doc_type": c.meta.doc_type,
                "year": c.meta.year,
                "trial": c.meta.trial,
                "chunks": 0,
            },
        )
        d["chunks"] += 1
    listed = list(docs.values())[:500]  # big corpora (BEIR) keep a sample only
    return {
        "sha256": sha256,
        "n_docs": len(docs),
        "n_chunks": len(chunks),
        "docs": json.dumps(listed),
        "time": time.time(),
    }


def chroma_where(f: Filters | None) -> dict[str, Any] | None:
    """``f`` in Chroma's ``where`` syntax (None: no filter). Unknown years are stored as -1."""
    if f is None:
        return None
    clauses: list[dict[str, Any]] = []
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


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings) -> Any:
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


class _Guarded:
    """A Chroma collection whose failing calls raise StoreError with an actionable message
    (e.g. the Chroma server went away after the store was opened) instead of raw HTTP errors."""

    def __init__(self, col: Any, settings: Settings) -> None:
        self._col = col
        if settings.chroma_url:
            self._what = f"the Chroma server at {settings.chroma_url} failed"
            self._hint = ". Is `chroma run` up? Check CITEQA_CHROMA_URL."
        else:
            self._what, self._hint = f"the index at {settings.index_dir} failed", ""

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._col, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except Exception as exc:
                msg = f"{self._what} ({type(exc).__name__}: {exc}){self._hint}"
                raise StoreError(msg) from exc

        return call


class ChromaStore:
    """Chunks and manifest in one Chroma database."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.name = settings.collection_name()
        col = self.client.get_or_create_collection(
            self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": settings.embedder.name, "identity": settings.index_identity()},
        )
        man = self.client.get_or_create_collection(f"{self.name}_manifest", embedding_function=None)
        self.col, self.man = _Guarded(col, settings), _Guarded(man, settings)
        self.max_batch = int(self.client.get_max_batch_size())

    # -- writing ---------------------------------------------------------------------------
    def replace_sources(self, writes: Sequence[SourceWrite]) -> None:
        """Make the index hold exactly each write's chunks for its source, then record them.

        One batch of Chroma calls for all sources (a per-file round of calls costs more than
        embedding a small file). If writing fails (disk full, read-only index, server gone), the
        chunks added so far are removed again (best effort) and StoreError is raised: every
        source of the batch keeps its previous chunks and manifest entry, others are untouched.
        Manifest entries are written last, so a crash before them means a redo, not a loss.
        """
        import numpy as np

        if not writes:
            return
        keys = [w.key for w in writes]
        ids = [c.chunk_id for w in writes for c in w.chunks]
        where = {"source": {"$in": keys}} if len(keys) > 1 else {"source": keys[0]}
        before = set(self._ids_where(where))
        rows = [(w.key, c) for w in writes for c in w.chunks]
        vectors = np.concatenate([w.vectors for w in writes])
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

    def _upsert(self, rows: Sequence[tuple[str, Chunk]], vectors: Any) -> None:
        """Write chunks (each with its source key) and their vectors in one Chroma call."""
        metas: list[Any] = []
        for key, c in rows:
            md = c.to_store_metadata()
            md["source"] = key
            metas.append(md)
        self.col.upsert(
            ids=[c.chunk_id for _, c in rows],
            embeddings=vectors.tolist(),
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
        self.man.delete(ids=[key])
        self._bump()

    def _ids_where(self, where: dict[str, Any]) -> list[str]:
        return list(self.col.get(where=where, include=[])["ids"])

    def _delete_ids(self, ids: list[str]) -> None:
        for i in range(0, len(ids), self.max_batch):
            self.col.delete(ids=ids[i : i + self.max_batch])

    def _put_manifest(self, writes: Sequence[SourceWrite]) -> None:
        metas = [manifest_metadata(w.sha256, w.chunks) for w in writes]
        for i in range(0, len(writes), self.max_batch):
            part = writes[i : i + self.max_batch]
            self.man.upsert(
                ids=[w.key for w in part],
                embeddings=[[1.0]] * len(part),
                documents=[w.key for w in part],
                metadatas=metas[i : i + self.max_batch],
            )
        self._bump()

    def _bump(self) -> None:
        md = {"version": uuid.uuid4().hex, "time": time.time()}
        self.man.upsert(ids=[STATE_ID], embeddings=[[1.0]], documents=[""], metadatas=[md])

    # -- reading ---------------------------------------------------------------------------
    def manifest(self) -> dict[str, ManifestEntry]:
        got = self.man.get(include=["metadatas"])
        out: dict[str, ManifestEntry] = {}
        for key, md in zip(got["ids"], got["metadatas"] or [], strict=False):
            if key == STATE_ID or md is None:
                continue
            try:
                docs = tuple(json.loads(str(md.get("docs", "[]"))))
                if not all(isinstance(d, dict) for d in docs):
                    raise ValueError("'docs' must be a JSON list of objects")
                out[key] = ManifestEntry(
                    key=key,
                    sha256=str(md["sha256"]),
                    n_docs=int(md.get("n_docs", 0)),
                    n_chunks=int(md.get("n_chunks", 0)),
                    docs=docs,
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise StoreError(
                    f"the index manifest entry for {key} is corrupt ({exc}); "
                    "run `citeqa ingest --rebuild`"
                ) from exc
        return out

    def version(self) -> str:
        got = self.man.get(ids=[STATE_ID], include=["metadatas"])
        mds = got.get("metadatas") or []
        return str(mds[0].get("version", "")) if mds and mds[0] else ""

    def count(self) -> int:
        return int(self.col.count())

    def doc_owner(self, doc_id: str) -> str | None:
        """The source key that indexed ``doc_id``, if any."""
        got = self.col.get(where={"doc_id": doc_id}, limit=1, include=["metadatas"])
        mds = got.get("metadatas") or []
        return str(mds[0].get("source")) if mds and mds[0] else None

    def query(
        self, vector: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]:
        """The ``k`` chunks nearest to ``vector`` (cosine) that pass ``filters``."""
        where = chroma_where(filters)
        n = min(k, self.count())
        if n <= 0:
            return []
        res = self.col.query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=where or None,
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
        offset = 0
        while True:
            got = self.col.get(limit=batch, offset=offset, include=["documents", "metadatas"])
            ids = got["ids"]
            if not ids:
                return
            for cid, text, md in zip(
                ids, got["documents"] or [], got["metadatas"] or [], strict=False
            ):
                yield Chunk.from_store(cid, text or "", dict(md or {}))
            offset += len(ids)

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        got = self.col.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            cid: Chunk.from_store(cid, text or "", dict(md or {}))
            for cid, text, md in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        }
        return [by_id[i] for i in ids if i in by_id]

    def reset(self) -> None:
        """Drop this index identity's collections (for --rebuild)."""
        for name in (self.name, f"{self.name}_manifest"):
            with contextlib.suppress(Exception):
                self.client.delete_collection(name)


def open_store(settings: Settings) -> ChromaStore:
    try:
        return ChromaStore(settings)
    except StoreError:
        raise
    except Exception as exc:
        where = settings.chroma_url or settings.index_dir
        raise StoreError(f"cannot open the vector store at {where}: {exc}") from exc
