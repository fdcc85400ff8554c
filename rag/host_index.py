"""The serving host's index of one store: BM25 and what the answer path derives from every
chunk, kept per store version, persisted, and brought up to date from the store incrementally.

Every process that answers questions needs, besides the vector store, a BM25 index over all
chunks and the lexicon, named entities and documents' metadata of the whole index. Built from
scratch they cost a pass over every chunk (a minute at 100k chunks). A :class:`HostIndex`
keeps them under ``data_dir/hostindex/<store>`` on the host's own disk (no shared file system
is assumed: each host of a ``chroma run`` deployment keeps its own), as a state per store
version: the chunks by row (rag/row_store.py), BM25 postings and statistics
(rag/bm25_store.py), the counts behind the lexicon and the documents (rag/index_counts.py) and
which rows each source file holds, with the source's hash.

- Start-up: the last saved state is loaded (arrays memory-mapped); if the store's version is
  still that state's, nothing is read from the store.
- The store's version changed (an ingest, an upload or a delete, here or on another host): the
  store's manifest is compared with the state's sources; the rows of changed and removed
  sources are taken out, the chunks of new and changed sources are read from the store and
  added. Only those chunks are read, tokenised and counted.
- No saved state (or one of another format): the whole store is read once, in its own order,
  so the lexicon and entities equal those built from ``iter_chunks`` (key order included).

A saved state is written whole (new file, then renamed), after its rows and segments, and
names the version it holds; a process killed while updating leaves the previous state, and
the next update redoes the work. Processes sharing a directory take turns (a file lock).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from citeqa.models import Chunk
from citeqa.protocols import ManifestEntry, VectorStore
from ingest.chunking import embedding_text
from rag.bm25_store import PostingsIndex, Tokenizer
from rag.index_counts import IndexCounts
from rag.row_store import RowStore

if TYPE_CHECKING:
    from citeqa.settings import Settings

FORMAT = "1"  # bump when the saved state's layout or meaning changes
_KEEP_STATES = 2


def format_key() -> str:
    """The saved layout's key: :data:`FORMAT`, the parser version and the fields of the saved
    classes (a state saved by other code is never read: it is built again)."""
    import dataclasses

    from citeqa.models import Metadata
    from ingest.loaders import PARSER_VERSION
    from rag.entities import EntityIndex
    from rag.lexicon import IndexLexicon

    classes = (Chunk, Metadata, IndexCounts, IndexLexicon, EntityIndex, HostState, SourceRows)
    names = [f"{c.__name__}:{','.join(f.name for f in dataclasses.fields(c))}" for c in classes]
    raw = "|".join([FORMAT, PARSER_VERSION, *names])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


@runtime_checkable
class SourceChunks(Protocol):
    """A store that reads chunks per source file (the Chroma and memory stores)."""

    def source_chunks(
        self, keys: Sequence[str] | None = None, batch: int = 2000
    ) -> Iterator[tuple[str, Chunk]]: ...


@dataclass(frozen=True)
class SourceRows:
    """A source's rows and what its manifest entry said when they were read: the file's hash,
    the parser version and its documents' metadata (a correction re-indexes an unchanged
    file with another type, year or trial)."""

    written: tuple[str, str, str]  # (sha256, parser, documents as JSON)
    rows: tuple[int, ...]

    @staticmethod
    def of(e: ManifestEntry | None, rows: Sequence[int]) -> SourceRows:
        """``rows`` under the manifest entry ``e`` (None: not in the manifest yet, so the
        source is read again next time)."""
        return SourceRows(written_by(e), tuple(rows))


def written_by(e: ManifestEntry | None) -> tuple[str, str, str]:
    """What the manifest entry ``e`` says was written: hash, parser version, documents."""
    return (e.sha256, e.parser, json.dumps(e.docs, sort_keys=True)) if e else ("", "", "")


@dataclass(frozen=True)
class HostState:
    """Everything but the rows' chunks and the segments' arrays, for one store version."""

    version: str
    rows_file: str = ""  # the row file (rag/row_store.py) of this state's generation
    n_rows: int = 0
    sources: dict[str, SourceRows] = field(default_factory=dict)
    bm25: PostingsIndex = field(default_factory=PostingsIndex)
    counts: IndexCounts = field(default_factory=IndexCounts)
    memo: dict[str, Any] = field(default_factory=dict)  # per-version results kept with it

    def live_rows(self) -> list[int]:
        return sorted(r for s in self.sources.values() for r in s.rows)


def host_dir(settings: Settings) -> Path:
    """Where this host keeps the index of ``settings``' store (one directory per store and
    collection)."""
    where = settings.chroma_url or str(Path(settings.index_dir).resolve())
    key = hashlib.sha256(where.encode()).hexdigest()[:12]
    return Path(settings.data_dir) / "hostindex" / f"{settings.collection_name()}-{key}"


class HostIndex:
    """See the module docstring. ``root`` None: kept in memory only (the memory store)."""

    def __init__(self, store: VectorStore, root: Path | None) -> None:
        self.store = store
        self.root = None if root is None else root / f"format-{format_key()}"
        self.tokenize = Tokenizer()
        self._rows: dict[str, RowStore] = {}
        self._state: HostState | None = None
        self._lock = threading.RLock()

    def rows(self, state: HostState) -> RowStore:
        """The chunks by row of ``state``'s generation."""
        with self._lock:
            if state.rows_file not in self._rows:
                path = None if self.root is None else self.root / state.rows_file
                self._rows[state.rows_file] = RowStore(path)
            return self._rows[state.rows_file]

    # -- reading -------------------------------------------------------------------------
    def state(self, version: str) -> HostState:
        """The state of store version ``version`` (loaded, or brought up to date)."""
        with self._lock:
            if self._state is not None and self._state.version == version:
                return self._state
            with self._file_lock():
                saved = self._load()
                state = saved if saved is not None and saved.version == version else None
                if state is None:
                    state = self._update(self._state or saved, version)
                self.rows(state)  # opened now: a later update may remove an old row file
                self._state = state
            return state

    def _load(self) -> HostState | None:
        """The current saved state (None: none, or unreadable)."""
        if self.root is None:
            return None
        try:
            name = (self.root / "current").read_text().strip()
            if self._state is not None and self._state.version == name:
                return self._state
            with (self.root / "states" / f"{name}.pkl").open("rb") as fh:
                raw = pickle.load(fh)
            bm25 = PostingsIndex.from_state(raw.pop("bm25"), self.root / "segments")
            return HostState(bm25=bm25, **raw)
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError):
            return None

    def remember(self, state: HostState, key: str, value: Any) -> None:
        """Keep ``value`` in ``state``'s memo, saved with it (computed once per version)."""
        with self._lock, self._file_lock():
            state.memo[key] = value
            self._write(state)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.root is None:
            yield
            return
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- bringing a state up to date -------------------------------------------------------
    def _update(self, state: HostState | None, version: str) -> HostState:
        new = None
        if state is not None and isinstance(self.store, SourceChunks) and not _bloated(state):
            try:
                new = self._incremental(state, version)
            except KeyError:  # a row of the saved state is missing: start again
                new = None
        if new is None:
            new = self._full(version)
        self._save(new)
        return new

    def _full(self, version: str) -> HostState:
        """Every chunk of the store, in the store's order."""
        manifest = self.store.manifest()
        if isinstance(self.store, SourceChunks):
            pairs = self.store.source_chunks(None)
        else:
            pairs = (("", c) for c in self.store.iter_chunks())
        by_source: dict[str, list[int]] = {}
        state = HostState(version, rows_file=f"rows-{uuid.uuid4().hex[:12]}.sqlite")
        batch: list[tuple[str, Chunk]] = []
        for pair in pairs:
            batch.append(pair)
            if len(batch) >= 5000:
                state = self._add(state, batch, by_source)
                batch = []
        state = self._add(state, batch, by_source)
        sources = {}
        for key, rows in by_source.items():
            sources[key] = SourceRows.of(manifest.get(key), rows)
        return replace(state, sources=sources, bm25=state.bm25.compacted(1))

    def _add(
        self, state: HostState, pairs: Sequence[tuple[str, Chunk]], by_source: dict[str, list[int]]
    ) -> HostState:
        """``state`` with ``pairs`` (source key, chunk) added at new rows (``by_source`` gets
        each new row under its source)."""
        if not pairs:
            return state
        rows = list(range(state.n_rows, state.n_rows + len(pairs)))
        chunks = [c for _, c in pairs]
        self.rows(state).put(rows, chunks)
        tokens = [self.tokenize(embedding_text(c)) for c in chunks]
        counts = state.counts  # changed in place: only states being built reach here
        counts.add(chunks)
        for r, (key, _) in zip(rows, pairs, strict=True):
            by_source.setdefault(key, []).append(r)
        bm25 = state.bm25.added(rows, tokens)
        return replace(state, n_rows=rows[-1] + 1, bm25=bm25, counts=counts)

    def _incremental(self, state: HostState, version: str) -> HostState:
        """``state`` with the sources whose hash, parser or documents' metadata changed read
        again."""
        assert isinstance(self.store, SourceChunks)
        manifest = self.store.manifest()
        have = state.sources
        changed = [
            k for k, e in manifest.items() if k not in have or have[k].written != written_by(e)
        ]
        gone = [k for k in have if k not in manifest or k in changed]
        old_rows = [r for k in gone for r in have[k].rows]
        old = self.rows(state).get(old_rows)
        counts = state.counts.copy()
        counts.remove(old)
        bm25 = state.bm25.removed(old_rows, [self.tokenize(embedding_text(c)) for c in old])
        sources = {k: v for k, v in have.items() if k not in gone}
        by_source: dict[str, list[int]] = {}
        new = replace(state, version=version, sources=sources, bm25=bm25, counts=counts, memo={})
        pairs = list(self.store.source_chunks(changed)) if changed else []
        new = self._add(new, pairs, by_source)
        for key, rows in by_source.items():
            sources[key] = SourceRows.of(manifest.get(key), rows)
        return replace(new, sources=sources, bm25=new.bm25.compacted())

    # -- saving ----------------------------------------------------------------------------
    def _write(self, state: HostState) -> None:
        """Write ``state`` (with its memo) beside the others (not made current)."""
        if self.root is None:
            return
        states = self.root / "states"
        states.mkdir(parents=True, exist_ok=True)
        name = state.version or "empty"
        fields = ("version", "rows_file", "n_rows", "sources", "counts", "memo")
        raw = {f: getattr(state, f) for f in fields}
        raw["bm25"] = state.bm25.state()
        uses = "\n".join([state.rows_file, *raw["bm25"]["segments"]])
        _atomic(states / f"{name}.uses", uses.encode())
        _atomic(states / f"{name}.pkl", pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))

    def _save(self, state: HostState) -> None:
        """Save ``state``'s segments, then the state, then make it the current one."""
        if self.root is None:
            return
        for seg in state.bm25.segments:
            if not (self.root / "segments" / seg.name).exists():
                seg.save(self.root / "segments")
        self._write(state)
        _atomic(self.root / "current", (state.version or "empty").encode())
        self._collect()

    def _collect(self) -> None:
        """Drop older states (the last few are kept) and the segments and row files that no
        kept state uses."""
        assert self.root is not None
        states = self.root / "states"
        files = sorted(states.glob("*.pkl"), key=lambda p: p.stat().st_mtime)
        used: set[str] = set()
        for old in files[:-_KEEP_STATES]:
            old.unlink(missing_ok=True)
            old.with_suffix(".uses").unlink(missing_ok=True)
        for kept in files[-_KEEP_STATES:]:
            with contextlib.suppress(OSError):
                used |= set(kept.with_suffix(".uses").read_text().split())
        for d in (self.root / "segments").iterdir():
            if d.name not in used:
                shutil.rmtree(d, ignore_errors=True)
        for f in self.root.glob("rows-*.sqlite*"):
            if f.name.split(".sqlite")[0] + ".sqlite" not in used:
                f.unlink(missing_ok=True)


def _atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a new file, then renamed over the old)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _bloated(state: HostState) -> bool:
    """More dead rows than live ones (and many): start again from the store."""
    live = state.bm25.n_live
    return state.n_rows - live > max(live, 50_000)
