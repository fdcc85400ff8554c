"""Typed data at each stage: Document -> Chunk -> ScoredChunk (-> rag.Answer).

Plain frozen dataclasses: cheap to build in bulk, hashable, trivially JSON-serialisable.
Ids are derived from content hashes so re-ingesting the same content yields the same ids.
"""

from __future__ import annotations

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
        return d


@dataclass(frozen=True, slots=True)
class Section:
    """A contiguous piece of a document's text with its heading and (for PDFs) page."""

    heading: str
    text: str
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed source file: metadata plus ordered sections of text."""

    meta: Metadata
    sections: tuple[Section, ...]
    source_path: str = ""
    source_sha256: str = ""

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
    """A retrievable passage with full provenance."""

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

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def locator(self) -> str:
        """Human locator: page and/or section."""
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
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
        }
        return out

    @classmethod
    def from_store(cls, chunk_id: str, text: str, md: dict[str, Any]) -> Chunk:
        meta_d = json.loads(str(md["meta"]))
        meta_d["authors"] = tuple(meta_d.get("authors") or ())
        meta_d["evidence"] = tuple(meta_d.get("evidence") or ())
        meta = Metadata(**meta_d)
        page = int(md.get("page", -1))
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
