"""PDF loader (pypdf): text per page, heuristic section headings, page numbers kept.

Checks run before parsing so that each failure has a distinct reason: no PDF objects
(corrupt), no ``%%EOF`` at the tail (truncated), encryption (an empty user password is
tried first), too many pages, no text layer. Running headers/footers are removed, words
hyphenated across lines are re-joined, reference lists are dropped.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, NamedTuple

from citeqa.models import Document, Metadata, Section
from ingest.loaders.base import LoadError
from ingest.loaders.markdown import metadata_from_pairs
from ingest.loaders.text import collapse, match_heading, slugify

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

ENCRYPTED_REASON = "PDF is encrypted"
# Hostile-input limits (a dense page holds ~6,000 characters; pypdf's own stream limit is 75 MB)
MAX_PAGE_CHARS, MAX_TEXT_CHARS, MAX_STREAM_MB = 200_000, 20_000_000, 32
TRUNCATED_REASON = "PDF is truncated: no %%EOF marker"
NO_TEXT_REASON = "PDF has no text layer (image-only or scanned); OCR is not supported"
MIN_TEXT_CHARS = 20
EOF_WINDOW = 2048

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_COPYRIGHT_YEAR = re.compile(r"©\s*(?:the\s+author\(s\)\s*)?((?:19|20)\d{2})", re.IGNORECASE)


class Line(NamedTuple):
    text: str
    page: int  # 1-based
    size: float = 0.0  # dominant font size (0 = unknown)


def _corrupt(exc: BaseException) -> str:
    if type(exc).__name__ == "LimitReachedError":  # pypdf.errors: our stream limits
        return f"PDF stream larger than {MAX_STREAM_MB} MB decompressed (decompression bomb?)"
    msg = collapse(str(exc))[:160] or type(exc).__name__
    return f"corrupt PDF: {msg}"


class _TextLimit(Exception):
    """Raised from the text visitor to stop extracting an oversized page early."""


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


def _font_size(font_size: float, cm: list[float], tm: list[float]) -> float:
    scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
    return round(font_size * (scale or 1.0), 1)


def _page_lines(page: PageObject, number: int, left: list[int] | None = None) -> list[Line]:
    """Lines of one page with the dominant font size of each (pypdf text visitor); ``left``:
    characters allowed on this page and in the rest of the document (_TextLimit beyond)."""
    frags: list[tuple[str, float]] = []
    left = left or [MAX_PAGE_CHARS, MAX_TEXT_CHARS]

    def visit(
        text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float
    ) -> None:
        if text:
            frags.append((text, _font_size(float(size or 0), list(cm), list(tm))))
            left[0], left[1] = left[0] - len(text), left[1] - len(text)
            if min(left) < 0:
                raise _TextLimit(number)

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    parts: list[str] = []
    weight: Counter[float] = Counter()
    for text, size in [*frags, ("\n", 0.0)]:
        for k, piece in enumerate(text.split("\n")):
            if k:
                line = tidy(collapse("".join(parts)))
                if line:
                    size = max(weight, key=weight.__getitem__, default=0.0)
                    lines.append(Line(line, number, size))
                parts, weight = [], Counter()
            parts.append(piece)
            weight[size] += len(piece.strip())
    return lines


def page_lines(path: Path, reader: PdfReader, max_pages: int) -> list[list[Line]]:
    """Non-empty collapsed lines of every page, or LoadError (page count, no text layer)."""
    try:
        n = len(reader.pages)
    except Exception as exc:
        raise LoadError(path, _corrupt(exc)) from None
    if n == 0:
        raise LoadError(path, "PDF has no pages")
    if n > max_pages:
        raise LoadError(path, f"PDF has too many pages ({n} > limit {max_pages})")
    pages, budget = [], [MAX_PAGE_CHARS, MAX_TEXT_CHARS]
    for i in range(n):
        budget[0] = MAX_PAGE_CHARS
        try:
            pages.append(_page_lines(reader.pages[i], i + 1, budget))
        except _TextLimit:
            msg = f"more than {MAX_PAGE_CHARS:,} characters on a page or {MAX_TEXT_CHARS:,} in all"
            raise LoadError(path, f"PDF text too long (page {i + 1}): {msg}") from None
        except Exception as exc:
            reason = _corrupt(exc)
            if reason.startswith("corrupt PDF: "):
                raise LoadError(path, f"corrupt PDF: page {i + 1}: {reason[13:]}") from None
            raise LoadError(path, f"{reason} (page {i + 1})") from None
    if sum(len(x.text.replace(" ", "")) for p in pages for x in p) < MIN_TEXT_CHARS:
        raise LoadError(path, NO_TEXT_REASON)
    return pages


# --- lines -----------------------------------------------------------------------------


EDGE_LINES = 3
_BULLET = re.compile(r"^(?:[•▪◦●‣∙·*]\s*|-\s+)")
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")
_WORD = re.compile(r"[A-Za-z]+")
# (?<!...) keeps these linear on long letter runs (hostile input), with the same matches
_HYPHENATED = re.compile(r"(?<![A-Za-z])[A-Za-z]+-[A-Za-z]+")
_TRAILING_HYPHEN = re.compile(r"(?<![A-Za-z])([A-Za-z]+)( ?)-$")
_SPACE_PUNCT = re.compile(r"(?<=\w) +([,;])")
_LEADING_WORD = re.compile(r"^([a-z][A-Za-z]*)([^\sA-Za-z]*)(.*)$")


def tidy(text: str) -> str:
    """Drop the space pypdf leaves before commas and semicolons ('However , their')."""
    return _SPACE_PUNCT.sub(r"\1", text)


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def strip_running_lines(pages: list[list[Line]]) -> list[Line]:
    """All lines minus running headers and footers.

    A line among the first/last three of a page is running when its digit-normalised form
    sits at a page edge on at least three pages and 30% of all pages.
    """
    counts: Counter[str] = Counter()
    for p in pages:
        counts.update({_running_key(x.text) for x in p[:EDGE_LINES] + p[-EDGE_LINES:]})
    running = {k for k, c in counts.items() if c >= max(3.0, 0.3 * len(pages))}
    return [
        x
        for p in pages
        for i, x in enumerate(p)
        if not ((i < EDGE_LINES or i >= len(p) - EDGE_LINES) and _running_key(x.text) in running)
    ]


def _join_hyphen(left: str, spaced: bool, right: str, words: set[str], compounds: set[str]) -> str:
    """How to re-join 'left-' + 'right': without the hyphen unless it looks like a compound."""
    joined, compound = left + right, f"{left}-{right}"
    if joined.lower() in words:
        return joined
    if compound.lower() in compounds:
        return compound
    if spaced:
        return joined
    if len(left) >= 3 and len(right) >= 3 and left.lower() in words and right.lower() in words:
        return compound
    return joined


def dehyphenate(lines: list[Line]) -> list[Line]:
    """Re-join words broken across lines ('coun-' + 'seling'), also across pages."""
    # vocabulary without line-initial words and line-final fragments (they may be halves)
    words = {w.lower() for x in lines for w in _WORD.findall(x.text)[1:-1]}
    compounds = {w.lower() for x in lines for w in _HYPHENATED.findall(x.text)}
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            head = _TRAILING_HYPHEN.search(pending.text)
            nxt = _LEADING_WORD.match(line.text)
            if head and nxt:
                word = _join_hyphen(
                    head.group(1), bool(head.group(2)), nxt.group(1), words, compounds
                )
                word += nxt.group(2)  # punctuation glued to the second half
                pending = pending._replace(text=pending.text[: head.start()] + word)
                rest = nxt.group(3).strip()
                if not rest:
                    continue
                line = line._replace(text=rest)
            out.append(pending)
        pending = line
    if pending is not None:
        out.append(pending)
    return out


def typical_widths(lines: list[Line]) -> dict[int, float]:
    """Median length of the longer lines of each page."""
    by_page: dict[int, list[int]] = {}
    for x in (x for x in lines if len(x.text) >= 20):
        by_page.setdefault(x.page, []).append(len(x.text))
    return {page: float(median(v)) for page, v in by_page.items()}


def _paragraphs(lines: list[str], width: float) -> list[str]:
    paras: list[str] = []
    current: list[str] = []
    for text in lines:
        bullet = _BULLET.match(text)
        if bullet:
            if current:
                paras.append(" ".join(current))
            current, text = [], text[bullet.end() :]
        current.append(text)
        if _SENTENCE_END.search(text) and len(text) < 0.8 * width:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return [p for p in paras if p]


def paragraphs_by_page(lines: list[Line], widths: dict[int, float]) -> list[tuple[int, str]]:
    """(page, text) per run of same-page lines; paragraphs end at short sentence-final lines."""
    runs: list[tuple[int, list[str]]] = []
    for x in lines:
        if runs and runs[-1][0] == x.page:
            runs[-1][1].append(x.text)
        else:
            runs.append((x.page, [x.text]))
    out = []
    for page, texts in runs:
        text = "\n\n".join(_paragraphs(texts, widths.get(page, 80.0)))
        if text:
            out.append((page, text))
    return out


# --- headings --------------------------------------------------------------------------

_REFERENCES = frozenset({"references", "bibliography", "literature cited"})
HEADING_SCALE = 1.15


def body_size(lines: list[Line]) -> float:
    """The font size carrying the most characters."""
    weight: Counter[float] = Counter()
    for x in lines:
        weight[x.size] += len(x.text)
    return max(weight, key=weight.__getitem__, default=0.0)


def title_block(lines: list[Line], body: float) -> tuple[str, int]:
    """(title, index after it): the first run of largest-font lines on page 1, if large."""
    first = [x for x in lines if x.page == 1]
    top = max((x.size for x in first), default=0.0)
    if not first or not body or top < HEADING_SCALE * body:
        return "", 0
    start = next(i for i, x in enumerate(lines) if x.size == top)
    end = start
    while end < len(lines) and lines[end].size == top and lines[end].page == 1:
        end += 1
    return " ".join(x.text for x in lines[start:end]), end


def _font_heading(line: Line, body: float) -> str:
    """A short line set clearly larger than the body text is a heading."""
    text = line.text.rstrip(":").strip()
    if not body or line.size < HEADING_SCALE * body or len(text) > 80 or len(text.split()) > 12:
        return ""
    return text if text[-1:] not in ".,;" and any(c.isalpha() for c in text) else ""


def split_sections(
    lines: list[Line], body: float = 0.0, skip: int = 0
) -> list[tuple[str, list[Line]]]:
    """Group lines under the latest heading (known name or larger font, not in the first
    ``skip`` lines); wrapped font headings are merged; reference lists are dropped."""
    groups: list[tuple[str, list[Line]]] = [("", [])]
    last_size = -1.0
    for i, line in enumerate(lines):
        name = match_heading(line.text) or (_font_heading(line, body) if i >= skip else "")
        if not name:
            groups[-1][1].append(line)
            last_size = -1.0
        elif line.size == last_size and not groups[-1][1] and len(groups) > 1:
            groups[-1] = (f"{groups[-1][0]} {name}", [])  # heading wrapped over two lines
        else:
            groups.append((name, []))
            last_size = line.size
    return [(h, ls) for h, ls in groups if ls and h.lower() not in _REFERENCES]


# --- metadata --------------------------------------------------------------------------


def _pdf_info(reader: PdfReader) -> dict[str, str]:
    try:
        info = reader.metadata
        items = info.items() if info is not None else ()
        return {str(k): collapse(str(v)) for k, v in items if isinstance(v, str)}
    except Exception:
        return {}


def _authors(raw: str) -> tuple[str, ...]:
    names = []
    for part in re.split(r";|,|\band\b", raw):
        words = [w for w in part.split() if w.replace("-", "").replace(".", "").isalpha()]
        if words:
            given = "".join(w[0].upper() for w in words[:-1])
            names.append(f"{words[-1]} {given}".strip())
    return tuple(names)


def _usable_title(title: str) -> bool:
    low = title.lower()
    bad = low.endswith((".pdf", ".doc", ".docx", ".tex")) or "microsoft word" in low
    return len(title) > 5 and not bad and low not in ("untitled", "title")


def pdf_metadata(path: Path, reader: PdfReader, lines: list[Line], font_title: str) -> Metadata:
    info = _pdf_info(reader)
    first_page = " ".join(x.text for x in lines if x.page == 1)
    title = info.get("/Title", "")
    if not _usable_title(title):
        title = font_title or next((x.text for x in lines if len(x.text.split()) >= 2), "")
    doi = info.get("/doi", "")
    if not doi and (m := _DOI.search(first_page)):
        doi = m.group(0).rstrip(".,;)")
    year_m = _COPYRIGHT_YEAR.search(first_page)
    meta = Metadata(
        doc_id=slugify(path.stem),
        title=title,
        authors=_authors(info.get("/Author", "")),
        year=int(year_m.group(1)) if year_m else None,
        doc_type="journal-article",
        doi=doi,
    )
    front = metadata_from_pairs(
        path,
        info.get("/Keywords", ""),
        title=title,
        reference=info.get("/Subject", ""),
    )
    if front is None:
        return meta
    found = {k: getattr(meta, k) for k in ("title", "authors", "year", "doi")}
    return replace(front, **{k: v for k, v in found.items() if v and not getattr(front, k)})


def pdf_document(path: Path, data: bytes, max_pages: int = 2000) -> Document:
    check_structure(path, data)
    with pypdf_limits():
        return _pdf_document(path, data, max_pages)


def _pdf_document(path: Path, data: bytes, max_pages: int) -> Document:
    reader = open_reader(path, data)
    lines = dehyphenate(strip_running_lines(page_lines(path, reader, max_pages)))
    body = body_size(lines)
    font_title, skip = title_block(lines, body)
    widths = typical_widths(lines)
    sections = [
        Section(heading, text, page)
        for heading, group in split_sections(lines, body, skip)
        for page, text in paragraphs_by_page(group, widths)
    ]
    if not sections:
        raise LoadError(path, NO_TEXT_REASON)
    meta = pdf_metadata(path, reader, lines, font_title)
    return Document(meta=meta, sections=tuple(sections))


class PdfLoader:
    suffixes: tuple[str, ...] = (".pdf",)

    def __init__(self, max_pages: int = 2000) -> None:
        self.max_pages = max_pages

    def load(self, path: Path, data: bytes) -> Iterator[Document]:
        yield pdf_document(path, data, self.max_pages)
