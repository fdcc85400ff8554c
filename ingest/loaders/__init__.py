"""Document loaders: one module per format, one shared document model.

``load_file`` reads a file, picks the loader by content sniffing plus suffix, and returns
Documents with provenance (``source_path``, ``source_sha256``) and a formatted reference.
Every failure is a ``LoadError(path, reason)`` with a short, specific reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from citeqa.models import Document
from citeqa.settings import IngestSettings
from ingest.loaders.base import LoadError

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".pdf",
    ".md",
    ".markdown",
    ".txt",
    ".xml",
    ".nxml",
    ".jsonl",
)

__all__ = ["SUPPORTED_SUFFIXES", "LoadError", "load_file", "parse_bytes"]


def _is_pdf(data: bytes, suffix: str) -> bool:
    if data.lstrip()[:5] == b"%PDF-":
        return True
    return suffix == ".pdf" and b"%PDF-" in data[:1024]


def _xml_documents(path: Path, data: bytes) -> Iterable[Document]:
    from ingest.loaders.jats import jats_document, local, parse_xml
    from ingest.loaders.pubmed import ROOTS, pubmed_documents

    root = parse_xml(path, data)
    tag = local(root.tag)
    if tag in ROOTS:
        return pubmed_documents(path, root)
    if tag == "article":
        return [jats_document(path, root)]
    raise LoadError(path, f"unsupported XML: root element <{tag}> is not JATS or PubMed")


def _pick(path: Path, data: bytes, settings: IngestSettings) -> Callable[[], Iterable[Document]]:
    suffix = path.suffix.lower()
    if _is_pdf(data, suffix):
        from ingest.loaders.pdf import pdf_document

        return lambda: [pdf_document(path, data, settings.max_pdf_pages)]
    if suffix == ".pdf":
        raise LoadError(path, "not a PDF file: no %PDF header")
    if suffix in (".md", ".markdown"):
        from ingest.loaders.markdown import MarkdownLoader

        return lambda: MarkdownLoader().load(path, data)
    if suffix == ".txt":
        from ingest.loaders.text import TextLoader

        return lambda: TextLoader().load(path, data)
    if suffix in (".xml", ".nxml"):
        return lambda: _xml_documents(path, data)
    if suffix == ".jsonl":
        from ingest.loaders.beir import beir_documents

        return lambda: beir_documents(path, data)
    raise LoadError(
        path, f"unsupported file type '{suffix}'" + ("" if suffix else " (no extension)")
    )


def _finish(doc: Document, path: Path, sha: str) -> Document:
    from ingest.reference import format_reference

    if not doc.sections or not any(s.text.strip() for s in doc.sections):
        raise LoadError(path, f"no text found in document '{doc.doc_id}'")
    meta = doc.meta
    if not meta.reference:
        meta = replace(meta, reference=format_reference(meta))
    return replace(doc, meta=meta, source_path=str(path), source_sha256=sha)


def parse_bytes(path: Path, data: bytes, settings: IngestSettings | None = None) -> list[Document]:
    """Parse already-read bytes as if they were the file ``path``."""
    settings = settings or IngestSettings.model_validate({})
    if not data:
        raise LoadError(path, "file is empty")
    make = _pick(path, data, settings)
    try:
        docs = list(make())
    except LoadError:
        raise
    except RecursionError:
        raise LoadError(path, "document nested too deeply to parse") from None
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200]
        reason = f"parser failed: {type(exc).__name__}" + (f": {detail}" if detail else "")
        raise LoadError(path, reason) from exc
    if not docs:
        raise LoadError(path, "no documents found")
    sha = hashlib.sha256(data).hexdigest()
    return [_finish(d, path, sha) for d in docs]


def load_file(path: Path, settings: IngestSettings | None = None) -> list[Document]:
    """Load one file into Documents; raises ``LoadError`` with a specific reason."""
    settings = settings or IngestSettings.model_validate({})
    path = Path(path)
    try:
        if not path.is_file():
            raise LoadError(path, "not a regular file" if path.exists() else "file not found")
        size = path.stat().st_size
        limit = int(settings.max_file_mb * 1024 * 1024)
        if size > limit:
            mb = size / (1024 * 1024)
            raise LoadError(path, f"file too large: {mb:.1f} MB > limit {settings.max_file_mb} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or type(exc).__name__}") from None
    if len(data) > limit:
        raise LoadError(path, f"file too large: > limit {settings.max_file_mb} MB")
    return parse_bytes(path, data, settings)
