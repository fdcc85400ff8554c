"""Document loaders: one Loader class per format, one shared document model.

``LOADERS`` is the registry; ``SUPPORTED_SUFFIXES`` (what ingest discovers) and
``UPLOAD_SUFFIXES`` (what the library accepts) are derived from it. ``load_file`` reads a file,
picks the loader by content sniffing, then suffix, and returns Documents with provenance
(``source_path``, ``source_sha256``), a formatted reference, trial ids and population text.
Every failure is a ``LoadError(path, reason)`` with a short, specific reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from citeqa.models import Document
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError


def _registry() -> tuple[type[Loader], ...]:
    from ingest.loaders.beir import BeirLoader
    from ingest.loaders.ctgov import CtgovLoader
    from ingest.loaders.markdown import MarkdownLoader
    from ingest.loaders.pdf import PdfLoader
    from ingest.loaders.pubmed import XmlLoader
    from ingest.loaders.text import TextLoader

    return (PdfLoader, MarkdownLoader, TextLoader, XmlLoader, CtgovLoader, BeirLoader)


# Bump when parsing changes what a file's passages are: an index made by another parser
# version re-reads its files on the next ingest (and says so).
PARSER_VERSION = "7"  # 3: trial records (escapes, dispersion, notes); 4: population, design, date;
# 5: "ms." after a number ends a sentence (titles are abbreviations only when capitalised);
# 6: a PDF's title is the one page 1 shows when its stored title is not on the page;
# 7: a PDF's bulleted list is one block, an item a line

# The registry: every Loader class, in the order content sniffing asks them.
LOADERS: tuple[type[Loader], ...] = _registry()
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(dict.fromkeys(s for c in LOADERS for s in c.suffixes))
UPLOAD_SUFFIXES: tuple[str, ...] = tuple(
    dict.fromkeys(s for c in LOADERS if c.uploadable for s in c.suffixes)
)

__all__ = [
    "LOADERS",
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "UPLOAD_SUFFIXES",
    "LoadError",
    "Loader",
    "format_names",
    "load_file",
    "loader_for",
    "parse_bytes",
]


def format_names(uploadable_only: bool = False) -> str:
    """'PDF, Markdown, ...': the formats of the registry, for messages."""
    return ", ".join(c.name for c in LOADERS if c.uploadable or not uploadable_only)


def loader_for(path: Path, data: bytes) -> Loader:
    """The Loader for ``path``: by content first (a PDF is a PDF whatever its name), then by
    suffix; LoadError for an unknown suffix or a suffix whose content does not match."""
    suffix = path.suffix.lower()
    for cls in LOADERS:
        if cls.sniff(data):
            return cls()
    for cls in LOADERS:
        if suffix in cls.suffixes:
            return cls()
    raise LoadError(
        path, f"unsupported file type '{suffix}'" + ("" if suffix else " (no extension)")
    )


def _finish(doc: Document, path: Path, sha: str) -> Document:
    """Provenance, reference, trial ids and population text; instruction text dropped."""
    from ingest.instructions import drop_instructions
    from ingest.reference import format_reference
    from ingest.trials import population_text, trial_ids

    sections, dropped = [], 0
    for s in doc.sections:
        kept, n = drop_instructions(s)
        dropped += n
        if kept.text.strip():
            sections.append(kept)
    notes = doc.notes
    if dropped:
        notes += (
            f"{dropped} sentence(s) addressed to AI systems or dictating answers were dropped",
        )
    doc = replace(doc, sections=tuple(sections), notes=notes)
    if not doc.sections:
        raise LoadError(path, f"no text found in document '{doc.doc_id}'")
    meta = doc.meta
    head = " ".join(
        [meta.title] + [s.text for s in doc.sections if "abstract" in s.heading.lower()]
    )
    named = trial_ids(head)
    found = trial_ids(" ".join([meta.nct, meta.trial, head, doc.text]))
    meta = replace(
        meta,
        trials=tuple(dict.fromkeys([*meta.trials, *found])),
        trial=meta.trial or (named[0] if named else ""),
        nct=meta.nct or next((t for t in named if t.startswith("NCT")), ""),
        population_text=meta.population_text or population_text(doc),
    )
    if not meta.reference:
        meta = replace(meta, reference=format_reference(meta))
    return replace(doc, meta=meta, source_path=str(path), source_sha256=sha)


def parse_bytes(path: Path, data: bytes, settings: IngestSettings | None = None) -> list[Document]:
    """Parse already-read bytes as if they were the file ``path``."""
    settings = settings or IngestSettings.model_validate({})
    if not data:
        raise LoadError(path, "file is empty")
    loader = loader_for(path, data)
    try:
        docs = list(loader.load(path, data, settings))
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
