"""The library side of the pipeline (``Pipeline.documents / add_document / remove_document``):
listing indexed documents, checking and storing uploads, removing files. Store-neutral."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from citeqa.errors import UploadError
from citeqa.models import DOC_TYPE_LABELS, Metadata
from citeqa.protocols import VectorStore
from citeqa.settings import Settings
from ingest.loaders import UPLOAD_SUFFIXES, format_names

_MAGIC = {".pdf": b"%PDF"}


def list_documents(store: VectorStore) -> list[dict[str, Any]]:
    """Indexed documents: doc_id, title, doc_type, year, chunks, source (the file's name) and
    path (the file's manifest key, its absolute path when ingested from disk)."""
    docs: list[dict[str, Any]] = []
    for key, entry in sorted(store.manifest().items()):
        for d in entry.docs:
            docs.append({**d, "source": Path(key).name, "path": key})
        if entry.n_docs > len(entry.docs):
            docs.append(
                {
                    "doc_id": f"(+{entry.n_docs - len(entry.docs)} more)",
                    "title": f"{entry.n_docs} documents from {Path(key).name}",
                    "doc_type": "other",
                    "year": None,
                    "chunks": entry.n_chunks,
                    "source": Path(key).name,
                    "path": key,
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


# -- metadata corrections (the Library page) ------------------------------------------------------
OVERRIDES_FILE = "metadata-overrides.json"
YEAR_RANGE = (1900, 2100)


@dataclass(frozen=True, slots=True)
class MetadataChange:
    """A correction of a document's type, year or trial; None leaves a field as parsed."""

    doc_type: str | None = None
    year: int | None = None
    trial: str | None = None

    def checked(self) -> MetadataChange:
        """This change, validated (UploadError names the bad field)."""
        if self.doc_type is not None and self.doc_type not in DOC_TYPE_LABELS:
            raise UploadError(f"unknown document type {self.doc_type!r}")
        if self.year is not None and not YEAR_RANGE[0] <= self.year <= YEAR_RANGE[1]:
            raise UploadError(f"the year must be between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
        trial = None if self.trial is None else " ".join(self.trial.split())
        if trial is not None and len(trial) > 60:
            raise UploadError("the trial name is longer than 60 characters")
        return MetadataChange(self.doc_type, self.year, trial)

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Overrides:
    """Corrections kept in ``data_dir/metadata-overrides.json``: per document (doc_id) and per
    uploaded file (its name; set at upload, before the file's documents are known). Applied at
    every ingest (``ingest.pipeline.Ingestor(overrides=...)``); a document's own correction
    wins over its file's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.documents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        if path.exists():
            raw = json.loads(path.read_text(encoding="utf-8") or "{}")
            self.documents = dict(raw.get("documents") or {})
            self.files = dict(raw.get("files") or {})

    @classmethod
    def for_settings(cls, settings: Settings) -> Overrides:
        return cls(Path(settings.data_dir) / OVERRIDES_FILE)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {"documents": self.documents, "files": self.files}
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def set_document(self, doc_id: str, change: MetadataChange) -> None:
        self.documents[doc_id] = {**self.documents.get(doc_id, {}), **change.checked().values()}

    def set_file(self, name: str, change: MetadataChange) -> None:
        values = change.checked().values()
        if values:
            self.files[Path(name).name] = values
        else:
            self.files.pop(Path(name).name, None)

    def forget_file(self, name: str) -> None:
        self.files.pop(Path(name).name, None)

    def apply(self, key: str, meta: Metadata) -> Metadata:
        values = {**self.files.get(Path(key).name, {}), **self.documents.get(meta.doc_id, {})}
        known = {k: v for k, v in values.items() if k in ("doc_type", "year", "trial")}
        return dataclasses.replace(meta, **known) if known else meta


def remove_upload(source: str, settings: Settings) -> bool:
    """Delete the stored upload named ``source`` (only inside ``data_dir/uploads``) and its
    file-level correction; False when there is none."""
    folder = (Path(settings.data_dir) / "uploads").resolve()
    path = (folder / Path(source).name).resolve()
    if Path(source).is_absolute() and Path(source).resolve() != path:
        return False  # a file indexed from elsewhere: its namesake upload stays
    overrides = Overrides.for_settings(settings)
    if Path(source).name in overrides.files:
        overrides.forget_file(source)
        overrides.save()
    if path.parent != folder or not path.is_file():
        return False
    path.unlink()
    return True
