"""The library side of the pipeline (``Pipeline.documents / add_document / remove_document``):
listing indexed documents, checking and storing uploads, removing files. Store-neutral."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from citeqa.errors import UploadError
from citeqa.protocols import VectorStore
from citeqa.settings import Settings
from ingest.loaders import UPLOAD_SUFFIXES, format_names

_MAGIC = {".pdf": b"%PDF"}


def list_documents(store: VectorStore) -> list[dict[str, Any]]:
    """Indexed documents: doc_id, title, doc_type, year, chunks, source."""
    docs: list[dict[str, Any]] = []
    for key, entry in sorted(store.manifest().items()):
        for d in entry.docs:
            docs.append({**d, "source": Path(key).name})
        if entry.n_docs > len(entry.docs):
            docs.append(
                {
                    "doc_id": f"(+{entry.n_docs - len(entry.docs)} more)",
                    "title": f"{entry.n_docs} documents from {Path(key).name}",
                    "doc_type": "other",
                    "year": None,
                    "chunks": entry.n_chunks,
                    "source": Path(key).name,
                }
            )
    return docs


def index_stats(store: VectorStore) -> dict[str, int]:
    """``{"files", "documents", "chunks"}`` of the index."""
    man = store.manifest()
    return {
        "files": len(man),
        "documents": sum(e.n_docs for e in man.values()),
        "chunks": store.count(),
    }


def safe_filename(name: str) -> str:
    """A plain file name: no directories, no control or odd unicode, no leading dots."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_") or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    return f"{stem[:80]}.{suffix}" if suffix else stem[:80]


def check_upload(name: str, data: bytes, max_mb: float) -> str:
    """Validate an upload by size and content (not by name alone); return its safe name."""
    safe = safe_filename(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UploadError(
            f"unsupported file type {suffix or '(none)'}; use {format_names(uploadable_only=True)}"
        )
    if not data:
        raise UploadError("the file is empty")
    if len(data) > max_mb * 1024 * 1024:
        raise UploadError(f"the file is larger than {max_mb:g} MB")
    magic = _MAGIC.get(suffix)
    if magic and not data.startswith(magic):
        raise UploadError("the file's content is not a PDF")
    if not magic and (data.startswith(b"%PDF") or b"\x00" in data[:4096]):
        raise UploadError("the file's content is not text")
    return safe


def save_upload(name: str, data: bytes, settings: Settings) -> Path:
    """Check an upload (UploadError) and store it under ``data_dir/uploads``; returns the path."""
    safe = check_upload(name, data, settings.ingest.max_file_mb)
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    path.write_bytes(data)
    return path


def remove_source(store: VectorStore, source: str) -> bool:
    """Delete the indexed file ``source`` (its manifest key, or a file name matching one key)
    with all its chunks; False when nothing matches."""
    keys = [k for k in store.manifest() if k == source or Path(k).name == source]
    for key in keys:
        store.delete_source(key)
    return bool(keys)
