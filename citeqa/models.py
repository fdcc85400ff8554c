"""Typed data at each stage: Document -> Chunk -> ScoredChunk (-> rag.Answer).

Plain frozen dataclasses: cheap to build in bulk, hashable, trivially JSON-serialisable.
Ids are derived from content hashes so re-ingesting the same content yields the same ids.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

DocType = Literal[
    "conference-abstract",
    "journal-article",
    "drug-label",
    "trial-registry",
    "plain-language",
    "other",
    "unknown",
]
DOC_TYPES: tuple[str, ...] = get_args(DocType)
Audience = Literal["clinician", "family"]

DOC_TYPE_LABELS: dict[str, str] = {
    "conference-abstract": "Conference abstract (not peer-reviewed)",
    "journal-article": "Peer-reviewed article",
    "drug-label": "Drug label",
    "trial-registry": "Trial registry record",
    "plain-language": "Plain-language summary written for citeqa from the cited studies; "
    "not reviewed by your child's care team",
    "other": "Document",
    "unknown": "Document type unknown",
}


def content_hash(*parts: str, length: int = 32) -> str:
    """Stable hex digest of the given string parts (NUL-separated)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:length]


@dataclass(frozen=True, slots=True)
class Metadata:
    """Bibliographic metadata of a document. Everything but ``doc_id`` is optional."""

    doc_id: str
    title: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    year: int | None = None
    doc_type: str = "other"
    trial: str = ""
    nct: str = ""
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""
    url: str = ""
    audience: str = "clinician"
    volume: str = ""
    issue: str = ""
    pages: str = ""
    abstract_number: str = ""
    evidence: tuple[str, ...] = ()  # doc_ids this document rests on (family explainers)
    reference: str = ""  # formatted Vancouver reference; built by ingest.reference if empty
    trials: tuple[str, ...] = ()  # every trial id the document names (NCT..., ISRCTN..., ...)
    population_text: str = ""  # the document's own words on who was enrolled (eligibility)
    # Who was studied (issue N): set by front matter; "" means "extract from the text".
    age_group: str = ""  # infants | children | children and young adults | adults | ...
    setting: str = ""  # newly diagnosed | first relapse | relapsed/refractory | MRD-positive
    risk_group: str = ""  # e.g. standard risk, high risk
    ph_status: str = ""  # Ph-negative | Ph-positive
    design: str = ""  # randomised trial | single-arm trial | survey | ...
    date: str = ""  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD) of publication or presentation

    def link(self) -> str:
        """Best public link: explicit url, else PubMed, else DOI."""
        if self.url:
            return self.url
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        d["evidence"] = list(self.evidence)
        d["trials"] = list(self.trials)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Metadata:
        """Inverse of :meth:`to_dict`; unknown keys (newer writers) are ignored."""
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        for key in ("authors", "evidence", "trials"):
            kw[key] = tuple(kw.get(key) or ())
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class TableCell:
    """One cell of a table-row passage (issue J): its column header and text."""

    header: str
    text: str
    row: int
    column: int


ChunkKind = Literal["text", "table-row"]


@dataclass(frozen=True, slots=True)
class Section:
    """A contiguous piece of a document's text with its heading and (for PDFs) page.

    ``page_starts``: ``(offset, page)`` for each later page the text runs onto (a sentence may
    cross a page break). ``kind`` "table-row": one row of ``table`` (e.g. "Table 2") whose
    ``cells`` the text spells out. ``ocr``: the text was read by OCR from a page image."""

    heading: str
    text: str
    page: int | None = None
    page_starts: tuple[tuple[int, int], ...] = ()
    kind: ChunkKind = "text"
    table: str = ""
    cells: tuple[TableCell, ...] = ()
    ocr: bool = False

    def page_at(self, offset: int) -> int | None:
        """The page of the character at ``offset``."""
        page = self.page
        for start, p in self.page_starts:
            if start > offset:
                break
            page = p
        return page


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed source file: metadata plus ordered sections of text."""

    meta: Metadata
    sections: tuple[Section, ...]
    source_path: str = ""
    source_sha256: str = ""
    notes: tuple[str, ...] = ()  # what the ingest report should tell (pages needing OCR...)

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a chunk; ``start``/``end`` are offsets into ``Chunk.text``."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable passage with full provenance.

    Two texts: ``text`` is the **display text**, verbatim from the source (what a quote shows;
    ``sentences`` are spans of it). The **match text** (``match()``) is the same text folded by
    ``ingest.textnorm.fold`` (ligatures, special spaces, typographic hyphens and minus, decimal
    points, superscripts as ``^n``): use it for matching, BM25 and number checks. Offsets map
    between them with ``to_display(a, b)`` (match span -> display span) and ``to_match``.
    When the texts are equal ``match_text`` is "" and the maps are the identity.

    ``kind`` "table-row": one table row (``table`` e.g. "Table 2", ``cells`` with headers).
    ``page``/``page_end``: first and last page (``page_end`` None: one page). ``ocr``: read by
    OCR from a page image.
    """

    chunk_id: str
    doc_id: str
    text: str
    section: str
    page: int | None
    ordinal: int  # position of the chunk within its document
    char_start: int  # offset of the chunk within its section text
    char_end: int
    sentences: tuple[Sentence, ...]
    label: str  # human label, e.g. "Gupta 2025, ASH abstract 758, Results"
    meta: Metadata = field(compare=False)
    kind: ChunkKind = "text"
    table: str = ""
    cells: tuple[TableCell, ...] = ()
    page_end: int | None = None
    ocr: bool = False
    match_text: str = ""  # folded text when it differs from ``text``
    match_map: tuple[tuple[int, int], ...] = ()  # (match offset, display offset) breakpoints
    page_breaks: tuple[tuple[int, int], ...] = ()  # (offset in text, page) where a page starts

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def match(self) -> str:
        """The match text (folded); equal to ``text`` when nothing needed folding."""
        return self.match_text or self.text

    def _display_at(self, i: int) -> int:
        page_len = len(self.text)
        k = bisect.bisect_right(self.match_map, (i, page_len + 1)) - 1
        if k < 0:
            return min(i, page_len)
        m, d = self.match_map[k]
        cap = self.match_map[k + 1][1] if k + 1 < len(self.match_map) else page_len
        return min(d + (i - m), cap)

    def to_display(self, start: int, end: int) -> tuple[int, int]:
        """Display span of the match-text span ``[start, end)``."""
        a = self._display_at(start)
        return a, max(a, self._display_at(end))

    def to_match(self, start: int, end: int) -> tuple[int, int]:
        """Match-text span of the display span ``[start, end)``."""
        disp = [d for _, d in self.match_map]

        def at(j: int) -> int:
            k = bisect.bisect_right(disp, j) - 1
            return j if k < 0 else self.match_map[k][0] + (j - self.match_map[k][1])

        return at(start), max(at(start), at(end))

    def page_at(self, offset: int) -> int | None:
        """The page of the character at ``offset`` of ``text`` (a sentence's page)."""
        page = self.page
        for start, p in self.page_breaks:
            if start > offset:
                break
            page = p
        return page

    def pages(self) -> str:
        """'4' or '4-5' ('' without a page)."""
        if self.page is None:
            return ""
        if self.page_end is not None and self.page_end != self.page:
            return f"{self.page}-{self.page_end}"
        return str(self.page)

    def locator(self) -> str:
        """Human locator: table, page(s) and/or section ('Table 2, p. 5, Results'); a page
        read by OCR says so ('p. 2 (OCR), Results'), since its text may hold misreadings."""
        parts = [self.table] if self.table else []
        if self.page is not None:
            pages = f"p. {self.pages()}" if "-" not in self.pages() else f"pp. {self.pages()}"
            parts.append(f"{pages} (OCR)" if self.ocr else pages)
        if self.section:
            parts.append(self.section)
        return ", ".join(parts)

    def to_store_metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for the vector store (scalars only)."""
        m = self.meta
        out: dict[str, str | int | float | bool] = {
            "doc_id": self.doc_id,
            "section": self.section,
            "page": -1 if self.page is None else self.page,
            "ordinal": self.ordinal,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "sentences": json.dumps([[s.start, s.end] for s in self.sentences]),
            "label": self.label,
            "title": m.title,
            "doc_type": m.doc_type,
            "audience": m.audience,
            "year": -1 if m.year is None else m.year,
            "trial": m.trial,
            "meta": json.dumps(m.to_dict(), sort_keys=True),
            "kind": self.kind,
            "table": self.table,
            "cells": json.dumps([[c.header, c.text, c.row, c.column] for c in self.cells]),
            "page_end": -1 if self.page_end is None else self.page_end,
            "ocr": self.ocr,
            "match": self.match_text,
            "match_map": json.dumps(self.match_map),
            "page_breaks": json.dumps(self.page_breaks),
        }
        return out

    @classmethod
    def from_store(cls, chunk_id: str, text: str, md: dict[str, Any]) -> Chunk:
        meta = Metadata.from_dict(json.loads(str(md["meta"])))
        page = int(md.get("page", -1))
        page_end = int(md.get("page_end", -1))
        kind: ChunkKind = "table-row" if md.get("kind") == "table-row" else "text"
        return cls(
            chunk_id=chunk_id,
            doc_id=str(md["doc_id"]),
            text=text,
            section=str(md.get("section", "")),
            page=None if page < 0 else page,
            ordinal=int(md.get("ordinal", 0)),
            char_start=int(md.get("char_start", 0)),
            char_end=int(md.get("char_end", len(text))),
            sentences=tuple(Sentence(a, b) for a, b in json.loads(str(md["sentences"]))),
            label=str(md.get("label", "")),
            meta=meta,
            kind=kind,
            table=str(md.get("table", "")),
            cells=tuple(TableCell(*c) for c in json.loads(str(md.get("cells") or "[]"))),
            page_end=None if page_end < 0 else page_end,
            ocr=bool(md.get("ocr", False)),
            match_text=str(md.get("match", "")),
            match_map=tuple((a, b) for a, b in json.loads(str(md.get("match_map") or "[]"))),
            page_breaks=tuple((a, b) for a, b in json.loads(str(md.get("page_breaks") or "[]"))),
        )


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A chunk with the scores it got on its way through retrieval."""

    chunk: Chunk
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # per stage


@dataclass(frozen=True)
class Filters:
    """Metadata filters, store-neutral: every store translates them into its own query
    language (``ingest.store.chroma_where``) and :meth:`matches` is the reference meaning."""

    doc_types: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    trial: str = ""
    audience: str = ""

    def is_empty(self) -> bool:
        return not (self.doc_types or self.year_min or self.year_max or self.trial or self.audience)

    def matches(self, c: Chunk) -> bool:
        m = c.meta
        if self.doc_types and m.doc_type not in self.doc_types:
            return False
        if self.year_min is not None and (m.year is None or m.year < self.year_min):
            return False
        if self.year_max is not None and (m.year is None or m.year > self.year_max):
            return False
        if self.trial and m.trial != self.trial:  # exact, as Chroma matches it
            return False
        return not (self.audience and m.audience != self.audience)
