"""PDF loader: pypdf checks the file, pdfminer.six (through pdfplumber) reads the layout.

Checks run before parsing so that each failure has a distinct reason: no PDF objects
(corrupt), no ``%%EOF`` at the tail (truncated), encryption (an empty user password is tried
first), too many pages, decompression bombs and oversized text (pypdf's limits), no text layer.
Then, per page, the layout (``pdf_layout``): visible lines in reading order (columns apart,
invisible, tiny, off-page and rotated text dropped, superscripts as exponents or dropped
markers). Running headers and footers go by position (``running_lines``), the title block and
byline go to the metadata, tables become table-row passages (``pdf_tables``), words hyphenated
across lines are re-joined, reference lists are dropped, and sections run across page breaks
with their page span (``pdf_text``). Pages without a text layer are read by OCR when it is on
and Tesseract is installed (``ingest.ocr``); otherwise they are named in the document's notes
("needs OCR"), and a file with no readable page fails.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from citeqa.models import Document, Section
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError
from ingest.loaders.pdf_layout import Line, body_size, page_lines, running_lines
from ingest.loaders.pdf_meta import author_names, byline_authors, pdf_metadata, xmp
from ingest.loaders.pdf_tables import PdfTable, find_tables
from ingest.loaders.pdf_text import build_sections, dehyphenate, split_sections, title_block
from ingest.loaders.text import collapse

if TYPE_CHECKING:
    from pdfplumber.page import Page
    from pypdf import PdfReader

ENCRYPTED_REASON = "PDF is encrypted"
# Hostile-input limits (a dense page holds ~6,000 characters; pypdf's own stream limit is 75 MB)
MAX_PAGE_CHARS, MAX_TEXT_CHARS, MAX_STREAM_MB = 200_000, 20_000_000, 32
TRUNCATED_REASON = "PDF is truncated: no %%EOF marker"
NO_TEXT_REASON = "PDF has no text layer (image-only or scanned)"
MIN_PAGE_CHARS = 5  # a page with fewer text-layer characters has no text layer
EOF_WINDOW = 2048
_TABLE_MARK = "\x00table:"


def _corrupt(exc: BaseException) -> str:
    if type(exc).__name__ == "LimitReachedError":  # pypdf.errors: our stream limits
        return f"PDF stream larger than {MAX_STREAM_MB} MB decompressed (decompression bomb?)"
    msg = collapse(str(exc))[:160] or type(exc).__name__
    return f"corrupt PDF: {msg}"


def pypdf_limits() -> contextlib.AbstractContextManager[object]:
    """Lower pypdf (>= 7) decompression limits for this parse; older pypdf keeps its own."""
    kinds = ("zlib", "lzw", "run_length", "brotli", "jbig2", "array_based_stream")
    try:
        from pypdf import apply_configuration, get_configuration  # type: ignore[attr-defined]

        limits = {f"{k}_maximum_output_length": MAX_STREAM_MB << 20 for k in kinds}
        return apply_configuration(get_configuration().with_overwrites(**limits))  # type: ignore[no-any-return]
    except (ImportError, TypeError):
        return contextlib.nullcontext()


def check_structure(path: Path, data: bytes) -> None:
    """Fail fast on byte-level problems pypdf would report confusingly."""
    head = data[:1024]
    if b"%PDF-" not in head:
        raise LoadError(path, "not a PDF file: no %PDF header")
    if b"obj" not in data:
        raise LoadError(path, "corrupt PDF: no PDF objects found")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise LoadError(path, TRUNCATED_REASON)


def open_reader(path: Path, data: bytes) -> PdfReader:
    """A decrypted ``PdfReader`` (empty password tried), or LoadError."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = bool(reader.is_encrypted)
    except Exception as exc:
        raise LoadError(path, _corrupt(exc)) from None
    try:
        ok = not encrypted or bool(reader.decrypt(""))
    except Exception:
        ok = False
    if not ok:
        raise LoadError(path, ENCRYPTED_REASON)
    return reader


class _TextLimit(Exception):
    """Raised from the text visitor to stop extracting an oversized page early."""


def text_counts(path: Path, reader: PdfReader, max_pages: int) -> list[int]:
    """Characters in the text layer of every page (pypdf, under its stream limits: this pass
    also rejects decompression bombs and oversized text before the layout pass)."""
    try:
        n = len(reader.pages)
    except Exception as exc:
        raise LoadError(path, _corrupt(exc)) from None
    if n == 0:
        raise LoadError(path, "PDF has no pages")
    if n > max_pages:
        raise LoadError(path, f"PDF has too many pages ({n} > limit {max_pages})")
    counts: list[int] = []
    for i in range(n):
        seen = [0]
        total = sum(counts)

        def visit(
            text: str, *_: object, seen: list[int] = seen, total: int = total, i: int = i
        ) -> None:
            seen[0] += len(text.strip())
            if seen[0] > MAX_PAGE_CHARS or total + seen[0] > MAX_TEXT_CHARS:
                raise _TextLimit(i + 1)

        try:
            reader.pages[i].extract_text(visitor_text=visit)
        except _TextLimit:
            msg = f"more than {MAX_PAGE_CHARS:,} characters on a page or {MAX_TEXT_CHARS:,} in all"
            raise LoadError(path, f"PDF text too long (page {i + 1}): {msg}") from None
        except Exception as exc:
            reason = _corrupt(exc)
            if reason.startswith("corrupt PDF: "):
                raise LoadError(path, f"corrupt PDF: page {i + 1}: {reason[13:]}") from None
            raise LoadError(path, f"{reason} (page {i + 1})") from None
        counts.append(seen[0])
    return counts


def _pages_label(pages: list[int]) -> str:
    if len(pages) == 1:
        return f"page {pages[0]}"
    runs, start = [], pages[0]
    for a, b in zip(pages, [*pages[1:], None], strict=True):
        if b != a + 1:
            runs.append(f"{start}-{a}" if a != start else str(a))
            start = b if b is not None else start
    return "pages " + ", ".join(runs)


def _scanned(page: Page) -> bool:
    """A page whose images cover at least a quarter of it (a scan, worth OCR)."""
    try:
        area = float(page.width) * float(page.height)
        covered = sum(
            abs(float(i["x1"]) - float(i["x0"])) * abs(float(i["bottom"]) - float(i["top"]))
            for i in page.images
        )
    except Exception:
        return False
    return area > 0 and covered >= 0.25 * area


def _read_pages(
    path: Path, data: bytes, counts: list[int], settings: IngestSettings
) -> tuple[list[list[Line]], list[Page], Counter[str], list[str]]:
    """Lines of every page (layout, or OCR for pages without a text layer), the pdfplumber
    pages, what was dropped as invisible, and notes for the ingest report."""
    import pdfplumber

    from ingest.ocr import ocr_page, ocr_unavailable

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    dropped: Counter[str] = Counter()
    pages: list[list[Line]] = []
    empty = [i + 1 for i, n in enumerate(counts) if n < MIN_PAGE_CHARS]
    why = "OCR is off (ingest.ocr)" if not settings.ocr else ocr_unavailable()
    try:
        pdf = pdfplumber.open(io.BytesIO(data), password="", laparams={})
    except Exception as exc:
        raise LoadError(path, _corrupt(exc)) from None
    plumbed = list(pdf.pages)
    empty = [n for n in empty if _scanned(plumbed[n - 1])]  # blank pages need nothing
    for i, page in enumerate(plumbed):
        if i + 1 in empty and not why:
            pages.append(ocr_page(data, i, settings.ocr_dpi, settings.ocr_lang))
        else:
            pages.append([] if i + 1 in empty else page_lines(page, i + 1, dropped))
    notes = []
    if empty and why:
        notes.append(f"{_pages_label(empty)} have no text layer and need OCR: {why}")
    elif empty:
        notes.append(f"{_pages_label(empty)} read by OCR (no text layer)")
    if sum(dropped.values()):
        what = ", ".join(f"{n} {k}" for k, n in sorted(dropped.items()))
        notes.append(f"characters not visible to a reader were dropped ({what})")
    if not any(pages):
        hint = f"; {why}" if why and empty else ""
        raise LoadError(path, f"{NO_TEXT_REASON}{hint}")
    return pages, plumbed, dropped, notes


def _front_matter(
    lines: list[Line], body: float, authors: tuple[str, ...]
) -> tuple[str, str, set[int]]:
    """(title, byline, indices to drop): the title block, what precedes it on page 1, and the
    byline (author lines right after it) are metadata, not quotable body text."""
    title, end = title_block(lines, body)
    if not title:
        return "", "", set()
    start = next(i for i, x in enumerate(lines) if x.page == 1 and x.size == lines[end - 1].size)
    drop = set(range(0, end)) if lines[start].page == 1 else set(range(start, end))
    surnames = {a.split()[0].lower() for a in authors if a.split()}
    byline, tops = "", list[float]()
    for i in range(end, min(len(lines), end + 12)):
        x = lines[i]
        words = {w.strip(",.*").lower() for w in x.text.split()}
        near = any(abs(x.top - t) < 16 for t in tops)
        if x.page != 1 or not (byline_authors(x.text) or words & surnames or near):
            if tops:
                break
            continue
        drop.add(i)
        tops.append(x.top)
        byline = f"{byline} {x.text}".strip()
    return title, byline, drop


def _mark_tables(pages: list[list[Line]], plumbed: list[Page], body: float) -> dict[str, PdfTable]:
    """Replace each table's lines by one marker line (where its caption was)."""
    found: dict[str, PdfTable] = {}
    for p, lines in enumerate(pages):
        if not lines or lines[0].ocr:
            continue
        for t in find_tables(plumbed[p], lines, body):
            key = f"{_TABLE_MARK}{len(found)}"
            found[key] = t
            first = min(t.lines)
            lines[first] = lines[first]._replace(text=key)
            t.lines.discard(first)
        pages[p] = [
            x
            for i, x in enumerate(lines)
            if x.text.startswith(_TABLE_MARK)
            or not any(i in t.lines for t in found.values() if t.page == p + 1)
        ]
    return found


def _sections(lines: list[Line], body: float, tables: dict[str, PdfTable]) -> list[Section]:
    out: list[Section] = []
    for heading, group in split_sections(lines, body):
        text_lines = [x for x in group if not x.text.startswith(_TABLE_MARK)]
        out.extend(build_sections([(heading, text_lines)]) if text_lines else [])
        for x in group:
            if x.text in tables:
                out.extend(tables[x.text].sections(heading))
    return out


def pdf_document(path: Path, data: bytes, settings: IngestSettings | None = None) -> Document:
    """Parse a PDF into one Document (LoadError with a specific reason)."""
    settings = settings or IngestSettings.model_validate({})
    check_structure(path, data)
    with pypdf_limits():
        reader = open_reader(path, data)
        counts = text_counts(path, reader, settings.max_pdf_pages)
        pages, plumbed, _, notes = _read_pages(path, data, counts, settings)
        body = body_size(x for p in pages for x in p if not x.ocr)
        running = running_lines(pages, body)
        pages = [[x for i, x in enumerate(p) if (x.page, i) not in running] for p in pages]
        tables = _mark_tables(pages, plumbed, body)
        lines = [x for p in pages for x in p]
        authors = author_names(xmp(reader)["creators"])
        title, byline, drop = _front_matter(lines, body, authors)
        vocabulary = [x._replace(text=f". {x.text} .") for x in lines]  # every word counts
        lines = dehyphenate([x for i, x in enumerate(lines) if i not in drop], vocabulary)
        sections = _sections(lines, body, tables)
        if not sections:
            raise LoadError(path, NO_TEXT_REASON)
        meta = pdf_metadata(path, reader, [x for p in pages for x in p], title, byline)
    return Document(meta=meta, sections=tuple(sections), notes=tuple(notes))


class PdfLoader(Loader):
    name = "PDF"
    suffixes = (".pdf",)

    @classmethod
    def sniff(cls, data: bytes) -> bool:
        return data.lstrip()[:5] == b"%PDF-"

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        yield pdf_document(path, data, settings)
