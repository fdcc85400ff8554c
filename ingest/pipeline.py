"""Incremental, idempotent ingestion: files -> Documents -> Chunks -> vectors -> Chroma.

- Unchanged files (same sha256 in the manifest) are skipped; changed files have their chunks
  replaced; ``prune`` drops sources whose files are gone.
- A broken file fails alone with a reason; the others are still indexed.
- Each file is parsed and chunked in a worker process that is killed at the per-file time limit
  (``ingest.file_timeout_s``), so a hostile file can neither hang nor crash the run. Parsing
  runs ahead of embedding (``ingest.worker.ParseAhead``): while the main process embeds one
  batch, the worker parses the files of the next ones.
- Chunks of several files are embedded together (the embedder sorts by length, so batches carry
  little padding); each file is then committed on its own (see ingest.store for crash safety).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from citeqa.models import Chunk, Metadata
from citeqa.protocols import Embedder, ManifestEntry, SourceWrite, VectorStore
from citeqa.settings import Settings
from ingest.chunking import embedding_text
from ingest.loaders import PARSER_VERSION
from ingest.loaders.base import LoadError
from ingest.worker import _WORKER, ParseAhead, Parsed, load_with_timeout, parse_file

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "_WORKER",
    "IngestReport",
    "Ingestor",
    "discover",
    "ingest_paths",
    "load_with_timeout",
    "parse_file",
]

EMBED_SLICE = 1024  # chunks per embedding call (progress granularity)


@dataclass
class IngestReport:
    files: int = 0
    new_chunks: int = 0
    skipped: int = 0
    chunks_total: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    docs: int = 0
    pruned: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    duplicates: list[dict[str, str]] = field(default_factory=list)  # {path, same_as}
    renamed: list[dict[str, str]] = field(default_factory=list)  # {path, was}
    reparsed: int = 0  # unchanged files read again because the parser changed
    warnings: list[dict[str, str]] = field(default_factory=list)  # {path, warning}
    messages: list[str] = field(default_factory=list)  # run-level notices (migration...)

    def to_json(self) -> dict[str, object]:
        return {
            "duplicates": self.duplicates,
            "renamed": self.renamed,
            "reparsed": self.reparsed,
            "warnings": self.warnings,
            "messages": self.messages,
            "files": self.files,
            "new_chunks": self.new_chunks,
            "skipped": self.skipped,
            "chunks_total": self.chunks_total,
            "failed": self.failed,
            "docs": self.docs,
            "pruned": self.pruned,
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
        }


class _Bar(Protocol):  # the progress bar (tqdm), as used here
    def update(self, n: int = 1) -> object: ...
    def set_postfix(self, **kwargs: int) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class _PrunesStale(Protocol):  # a store that can drop collections of other parser versions
    def prune_stale_collections(self) -> list[str]: ...


@dataclass
class _Pending:
    key: str
    sha256: str
    chunks: list[Chunk]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[dict[str, str]]]:
    """Supported files under ``paths`` (sorted, hidden entries skipped) and missing paths."""
    from ingest.loaders import SUPPORTED_SUFFIXES

    found: list[Path] = []
    missing: list[dict[str, str]] = []
    for p in paths:
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel) or not f.is_file():
                    continue
                if f.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(f)
        else:
            missing.append({"path": str(p), "error": "no such file or directory"})
    uniq = sorted({f.resolve(): f for f in found}.values(), key=lambda f: str(f))
    return uniq, missing


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class MetadataOverrides(Protocol):
    """Corrections a user made to documents' metadata (the chat's Library page), applied at
    ingest: ``apply(file key, metadata)`` returns the metadata to index."""

    def apply(self, key: str, meta: Metadata) -> Metadata: ...


class Ingestor:
    """One ingest run. Construct, then ``run(paths)``."""

    def __init__(
        self,
        settings: Settings,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
        progress: bool | None = None,
        overrides: MetadataOverrides | None = None,
    ) -> None:
        from ingest.embedders import make_embedder
        from ingest.store import open_store

        self.settings = settings
        self.store: VectorStore = store if store is not None else open_store(settings)
        e = settings.embedder
        self.embedder = embedder or make_embedder(e.name, e.batch_size, e.threads)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.overrides = overrides
        self.report = IngestReport()
        self._pending: list[_Pending] = []
        self._seen_docs: dict[str, str] = {}
        self._stored_owner: dict[str, str | None] = {}  # doc id -> source, looked up ahead
        self._writing: Future[None] | None = None  # the write in flight (one at a time)
        self._bar: _Bar | None = None

    def run(self, paths: Iterable[Path], prune: bool = False) -> IngestReport:
        t0 = time.perf_counter()
        files, missing = discover(paths)
        self.report.failed.extend(missing)
        manifest = self.store.manifest()
        self._migration_message(manifest)
        by_sha = {e.sha256: k for k, e in manifest.items()}
        self._bar = self._make_bar(len(files))
        ahead = ParseAhead(self.settings, parse=self._parse)
        writer = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        try:
            for job, parsed in ahead.run(self._to_parse(files, manifest, by_sha)):
                self._take(job, parsed, writer)
                self._tick()
            self._flush(writer)
            self._wait_write()
        finally:
            ahead.close()
            writer.shutdown(wait=True)
        if self._bar is not None:
            self._bar.close()
        if prune:
            self.report.pruned = self._prune(manifest)
        self.report.files = len(files)
        self.report.chunks_total = self.store.count()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def _make_bar(self, total: int) -> _Bar | None:
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def _migration_message(self, manifest: dict[str, ManifestEntry]) -> None:
        old = sorted({e.parser or "1" for e in manifest.values() if e.parser != PARSER_VERSION})
        if old:
            n = sum(1 for e in manifest.values() if e.parser != PARSER_VERSION)
            self.report.messages.append(
                f"the document parser changed (index made by parser {', '.join(old)}, now "
                f"{PARSER_VERSION}): {n} indexed file(s) are read again when ingested"
            )
        if isinstance(self.store, _PrunesStale):
            for name in self.store.prune_stale_collections():
                self.report.messages.append(f"removed the outdated index collection {name}")

    def _duplicate(self, path: Path, key: str, sha: str, by_sha: dict[str, str]) -> bool:
        """A byte-identical copy of a file indexed (or seen) under another name: reported and
        skipped; when that other file is gone, this is a rename and takes its place."""
        other = by_sha.get(sha)
        if other is None or other == key:
            by_sha[sha] = key
            return False
        if Path(other).exists():
            self.report.duplicates.append({"path": str(path), "same_as": other})
            return True
        self.store.delete_source(other)  # renamed or moved: the new name replaces the old
        self.report.renamed.append({"path": str(path), "was": other})
        by_sha[sha] = key
        return False

    def _tick(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _to_parse(
        self, files: list[Path], manifest: dict[str, ManifestEntry], by_sha: dict[str, str]
    ) -> Iterator[tuple[Path, str, str]]:
        """``(path, key, sha256)`` of the files to parse, in order; unchanged files, duplicates and
        unreadable files are settled here (the progress bar counts them now)."""
        for path in files:
            key = str(path.resolve())
            try:
                sha = file_sha256(path)
                entry = manifest.get(key)
                if entry is not None and entry.sha256 == sha and entry.parser == PARSER_VERSION:
                    self.report.skipped += 1
                    by_sha[sha] = key
                elif not self._duplicate(path, key, sha, by_sha):
                    self.report.reparsed += entry is not None and entry.sha256 == sha
                    yield path, key, sha
                    continue
            except OSError as exc:
                self.report.failed.append({"path": str(path), "error": f"cannot read file: {exc}"})
            self._tick()

    def _parse(self, job: tuple[Path, str, str]) -> Parsed:
        """Parse a file (in the parse-ahead thread) and look up in the store who indexed its
        documents, so the main thread does not wait for those lookups."""
        parsed = parse_file(job[0], self.settings)
        if len(parsed) <= 20:  # per-doc lookups are for ordinary files, not corpora
            for doc, _ in parsed:
                self._stored_owner[doc.doc_id] = self.store.doc_owner(doc.doc_id)
        return parsed

    def _take(
        self, job: tuple[Path, str, str], parsed: Callable[[], Parsed], writer: ThreadPoolExecutor
    ) -> None:
        """Chunk the parsed file ``job`` (path, key, sha256) and queue it for embedding
        (``parsed()`` gives the parse, or raises its LoadError)."""
        path, key, sha = job
        try:
            got = parsed()
            chunks = self._chunk(path, key, got)
        except LoadError as exc:
            self.report.failed.append({"path": str(path), "error": exc.reason})
            return
        except OSError as exc:
            self.report.failed.append({"path": str(path), "error": f"cannot read file: {exc}"})
            return
        self.report.docs += len(got)
        for doc, _ in got:
            self.report.warnings.extend({"path": str(path), "warning": n} for n in doc.notes)
        # the hash of the bytes actually parsed, in case the file changed since it was hashed
        sha = got[0][0].source_sha256 or sha
        self._pending.append(_Pending(key, sha, chunks))
        if sum(len(p.chunks) for p in self._pending) >= self.settings.ingest.flush_chunks:
            self._flush(writer)

    def _chunk(self, path: Path, key: str, parsed: Parsed) -> list[Chunk]:
        chunks: list[Chunk] = []
        check_store = len(parsed) <= 20  # per-doc lookups are for ordinary files, not corpora
        for doc, doc_chunks in parsed:
            owner = self._seen_docs.get(doc.doc_id)
            if owner is None and check_store:
                if doc.doc_id in self._stored_owner:
                    stored = self._stored_owner.pop(doc.doc_id)
                else:
                    stored = self.store.doc_owner(doc.doc_id)
                owner = stored if stored != key else None
            if owner is not None and owner != key and not Path(owner).exists():
                self.store.delete_source(owner)  # renamed and changed: the old file is gone
                self.report.renamed.append({"path": str(path), "was": owner})
                owner = None
            if owner is not None and owner != key:
                raise LoadError(path, f"doc_id {doc.doc_id!r} is already indexed from {owner}")
            self._seen_docs[doc.doc_id] = key
            if self.overrides is not None:
                meta = self.overrides.apply(key, doc.meta)
                if meta != doc.meta:
                    doc_chunks = [dataclasses.replace(c, meta=meta) for c in doc_chunks]
            chunks.extend(doc_chunks)
        if not chunks:
            raise LoadError(path, "no text to index")
        return chunks

    def _flush(self, writer: ThreadPoolExecutor) -> None:
        """Embed the pending files' chunks, then hand their writes to ``writer`` (the previous
        write finished first: one write in flight, in order, while the next batch is parsed
        and embedded)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        texts = [embedding_text(c) for p in pending for c in p.chunks]
        t0 = time.perf_counter()
        vectors = self._embed(texts)
        self.report.embed_seconds += time.perf_counter() - t0
        writes, i = [], 0
        for p in pending:
            n = len(p.chunks)
            writes.append(
                SourceWrite(p.key, p.sha256, p.chunks, vectors[i : i + n], PARSER_VERSION)
            )
            i += n
        self._wait_write()
        self._writing = writer.submit(self.store.replace_sources, writes)
        self.report.new_chunks += i

    def _wait_write(self) -> None:
        """Wait for the write in flight (its StoreError is raised here)."""
        job, self._writing = self._writing, None
        if job is not None:
            job.result()

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        parts = []
        for i in range(0, len(texts), EMBED_SLICE):
            parts.append(self.embedder.embed_documents(texts[i : i + EMBED_SLICE]))
            if self._bar is not None:
                self._bar.set_postfix(chunks=self.report.new_chunks + i + len(parts[-1]))
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), "float32")

    def _prune(self, manifest: dict[str, ManifestEntry]) -> int:
        renamed = {r["was"] for r in self.report.renamed}
        gone = [k for k in manifest if not Path(k).exists() and k not in renamed]
        for key in gone:
            self.store.delete_source(key)
        return len(gone)


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
    on_store: Callable[[VectorStore], None] | None = None,
) -> IngestReport:
    """Convenience wrapper: one ``Ingestor`` run."""
    ing = Ingestor(settings, progress=progress)
    if on_store is not None:
        on_store(ing.store)
    return ing.run(list(paths), prune=prune)
