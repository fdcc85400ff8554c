"""Incremental, idempotent ingestion: files -> Documents -> Chunks -> vectors -> Chroma.

- Unchanged files (same sha256 in the manifest) are skipped; changed files have their chunks
  replaced; ``prune`` drops sources whose files are gone.
- A broken file fails alone with a reason; the others are still indexed.
- Chunks of several files are embedded together (the embedder sorts by length, so batches carry
  little padding); each file is then committed on its own (see ingest.store for crash safety).
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.chunking import chunk_document, embedding_text
from ingest.loaders.base import LoadError
from ingest.models import Chunk, Document
from ingest.settings import Settings

FLUSH_CHUNKS = 512  # chunks gathered across files before one embedding call
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

    def to_json(self) -> dict[str, Any]:
        return {
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


def load_with_timeout(path: Path, settings: Settings) -> list[Document]:
    """Parse ``path`` in a daemon thread; give up (LoadError) after the per-file limit."""
    from ingest.loaders import load_file

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["docs"] = load_file(path, settings.ingest)
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True, name=f"load:{path.name}")
    t.start()
    t.join(settings.ingest.file_timeout_s)
    if t.is_alive():
        raise LoadError(path, f"parsing took longer than {settings.ingest.file_timeout_s:g} s")
    if "error" in box:
        err = box["error"]
        if isinstance(err, LoadError):
            raise err
        raise LoadError(path, f"{type(err).__name__}: {err}")
    docs: list[Document] = box["docs"]
    return docs


class Ingestor:
    """One ingest run. Construct, then ``run(paths)``."""

    def __init__(
        self,
        settings: Settings,
        store: Any | None = None,
        embedder: Any | None = None,
        progress: bool | None = None,
    ) -> None:
        from ingest.embedders import get_embedder
        from ingest.store import open_store

        self.settings = settings
        self.store = store if store is not None else open_store(settings)
        e = settings.embedder
        self.embedder = embedder or get_embedder(e.name, e.batch_size, e.threads)
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.report = IngestReport()
        self._pending: list[_Pending] = []
        self._seen_docs: dict[str, str] = {}
        self._bar: Any = None

    def run(self, paths: Iterable[Path], prune: bool = False) -> IngestReport:
        t0 = time.perf_counter()
        files, missing = discover(paths)
        self.report.failed.extend(missing)
        manifest = self.store.manifest()
        self._bar = self._make_bar(len(files))
        for path in files:
            self._one_file(path, manifest)
            if self._bar is not None:
                self._bar.update(1)
        self._flush()
        if self._bar is not None:
            self._bar.close()
        if prune:
            self.report.pruned = self._prune(manifest)
        self.report.files = len(files)
        self.report.chunks_total = self.store.count()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def _make_bar(self, total: int) -> Any:
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def _one_file(self, path: Path, manifest: dict[str, Any]) -> None:
        key = str(path.resolve())
        try:
            sha = file_sha256(path)
            entry = manifest.get(key)
            if entry is not None and entry.sha256 == sha:
                self.report.skipped += 1
                return
            docs = load_with_timeout(path, self.settings)
            chunks = self._chunk(path, key, docs)
        except LoadError as exc:
            self.report.failed.append({"path": str(path), "error": exc.reason})
            return
        except OSError as exc:
            self.report.failed.append({"path": str(path), "error": f"cannot read file: {exc}"})
            return
        self.report.docs += len(docs)
        self._pending.append(_Pending(key, sha, chunks))
        if sum(len(p.chunks) for p in self._pending) >= FLUSH_CHUNKS:
            self._flush()

    def _chunk(self, path: Path, key: str, docs: list[Document]) -> list[Chunk]:
        chunks: list[Chunk] = []
        check_store = len(docs) <= 20  # per-doc lookups are for ordinary files, not corpora
        for doc in docs:
            owner = self._seen_docs.get(doc.doc_id)
            if owner is None and check_store:
                stored = self.store.doc_owner(doc.doc_id)
                owner = stored if stored != key else None
            if owner is not None and owner != key:
                raise LoadError(path, f"doc_id {doc.doc_id!r} is already indexed from {owner}")
            self._seen_docs[doc.doc_id] = key
            chunks.extend(chunk_document(doc, self.settings.chunking))
        if not chunks:
            raise LoadError(path, "no text to index")
        return chunks

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        texts = [embedding_text(c) for p in pending for c in p.chunks]
        t0 = time.perf_counter()
        vectors = self._embed(texts)
        self.report.embed_seconds += time.perf_counter() - t0
        i = 0
        for p in pending:
            n = len(p.chunks)
            self.store.replace_source(p.key, p.sha256, p.chunks, vectors[i : i + n])
            self.report.new_chunks += n
            i += n

    def _embed(self, texts: list[str]) -> Any:
        import numpy as np

        parts = []
        for i in range(0, len(texts), EMBED_SLICE):
            parts.append(self.embedder.embed_documents(texts[i : i + EMBED_SLICE]))
            if self._bar is not None:
                self._bar.set_postfix(chunks=self.report.new_chunks + i + len(parts[-1]))
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), "float32")

    def _prune(self, manifest: dict[str, Any]) -> int:
        gone = [k for k in manifest if not Path(k).exists()]
        for key in gone:
            self.store.delete_source(key)
        return len(gone)


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    prune: bool = False,
    progress: bool | None = None,
    on_store: Callable[[Any], None] | None = None,
) -> IngestReport:
    """Convenience wrapper: one ``Ingestor`` run."""
    ing = Ingestor(settings, progress=progress)
    if on_store is not None:
        on_store(ing.store)
    return ing.run(list(paths), prune=prune)
