"""BEIR corpus JSONL: one ``{"_id", "title", "text"}`` object per line -> one Document each.

Kept cheap per line (one ``json.loads`` and a whitespace split) so large corpora load fast.
Any bad line fails the whole file with ``line N: ...``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from citeqa.models import Document, Metadata, Section
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError
from ingest.loaders.text import decode_or_raise


def _field(path: Path, lineno: int, obj: dict[str, object], key: str) -> str:
    value = obj.get(key, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LoadError(path, f"line {lineno}: field '{key}' must be a string")
    return " ".join(str(value).split())


def beir_document(path: Path, lineno: int, line: str) -> Document:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LoadError(path, f"line {lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise LoadError(path, f"line {lineno}: expected a JSON object, got {type(obj).__name__}")
    if "_id" not in obj:
        raise LoadError(path, f"line {lineno}: missing '_id'")
    doc_id = _field(path, lineno, obj, "_id")
    if not doc_id:
        raise LoadError(path, f"line {lineno}: empty '_id'")
    title = _field(path, lineno, obj, "title")
    text = _field(path, lineno, obj, "text") or title
    if not text:
        raise LoadError(path, f"line {lineno}: empty 'title' and 'text'")
    meta = Metadata(doc_id=doc_id, title=title, doc_type="journal-article")
    return Document(meta=meta, sections=(Section("", text),))


def beir_documents(path: Path, data: bytes) -> Iterator[Document]:
    text = decode_or_raise(path, data)
    seen: set[str] = set()
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        doc = beir_document(path, lineno, line)
        if doc.doc_id in seen:
            raise LoadError(path, f"line {lineno}: duplicate _id {doc.doc_id!r}")
        seen.add(doc.doc_id)
        yield doc


class BeirLoader(Loader):
    name = "BEIR corpus JSONL"
    suffixes = (".jsonl",)
    uploadable = False  # whole corpora: ingested from the command line

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        yield from beir_documents(path, data)
