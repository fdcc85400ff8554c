"""PDF metadata: the document info dictionary, XMP (Dublin Core, PRISM) and the first page.

Authors come from XMP ``dc:creator`` (all of them) before the info ``/Author``; the journal,
volume, issue and pages from PRISM; the DOI from either or the first page. The document type is
only "journal-article" when the metadata says the file is a journal's (PRISM aggregation type
"journal" or a journal name with a DOI); otherwise "unknown": a PDF is never peer-reviewed by
default. citeqa's own PDFs carry their front matter in ``/Keywords`` (key=value pairs).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from citeqa.models import Metadata
from ingest.loaders.markdown import metadata_from_pairs
from ingest.loaders.pdf_layout import Line
from ingest.loaders.text import collapse, slugify

if TYPE_CHECKING:
    from pypdf import PdfReader

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_COPYRIGHT_YEAR = re.compile(r"©\s*(?:the\s+author\(s\)\s*)?((?:19|20)\d{2})", re.IGNORECASE)
_PRISM = re.compile(r"<prism:(\w+)>([^<]*)</prism:\1>")
_NO_AUTHOR = frozenset({"anonymous", "unknown", "author", "admin", "user"})
_VANCOUVER = re.compile(r"^((?:[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)? [A-Z]{1,3}(?:, |\.|$))+)")


class Xmp(TypedDict):
    """What the XMP packet says: Dublin Core creators and title, PRISM fields by name."""

    creators: list[str]
    title: str
    prism: dict[str, str]


def pdf_info(reader: PdfReader) -> dict[str, str]:
    """The document info dictionary's text entries ('/Title', '/Author'...), collapsed."""
    try:
        info = reader.metadata
        items = info.items() if info is not None else ()
        return {str(k): collapse(str(v)) for k, v in items if isinstance(v, str)}
    except Exception:
        return {}


def xmp(reader: PdfReader) -> Xmp:
    """The XMP packet's creators, title and PRISM fields (empty when absent or unreadable)."""
    out = Xmp(creators=[], title="", prism={})
    try:
        x = reader.xmp_metadata
        if x is None:
            return out
        out["creators"] = [collapse(c) for c in x.dc_creator or [] if collapse(c)]
        out["title"] = collapse((x.dc_title or {}).get("x-default", ""))
        text = x.stream.get_data().decode("utf-8", "replace")
        out["prism"] = {k: collapse(v) for k, v in _PRISM.findall(text) if collapse(v)}
    except Exception:
        pass
    return out


def author_names(raw: list[str] | str) -> tuple[str, ...]:
    """'Amir Sadeghi' -> 'Sadeghi A' (Vancouver); 'Abe R' stays."""
    parts = re.split(r";|,|\band\b", raw) if isinstance(raw, str) else raw
    names = []
    for part in parts:
        if part.strip().lower() in _NO_AUTHOR:
            continue
        words = [w for w in part.split() if w.replace("-", "").replace(".", "").isalpha()]
        if len(words) == 2 and words[1].isupper() and len(words[1]) <= 3:
            names.append(" ".join(words))  # already 'Surname IN'
        elif words:
            given = "".join(w[0].upper() for w in words[:-1])
            names.append(f"{words[-1]} {given}".strip())
    return tuple(names)


def byline_authors(text: str) -> tuple[str, ...]:
    """Authors of a Vancouver byline ('Abe R, Costa M, Nilsen T. Group, 2024.'), else ()."""
    m = _VANCOUVER.match(text)
    if not m or m.group(1).count(" ") < 1:
        return ()
    return tuple(a.strip(" .") for a in re.split(r", |\.", m.group(1)) if a.strip(" ."))


def usable_title(title: str) -> bool:
    low = title.lower()
    bad = low.endswith((".pdf", ".doc", ".docx", ".tex")) or "microsoft word" in low
    return len(title) > 5 and not bad and low not in ("untitled", "title")


# The share of a stored title's words page 1 must show for the stored title to be kept
# (a longer form of the title block passes; a tool's name for the file does not).
TITLE_ON_PAGE = 0.6


def visible_title(stored: str, font_title: str, first_page: str) -> str:
    """The stored (Info or XMP) title when page 1 uses most of its words (it may be a longer
    form of the title block), else the title block set in the largest type on page 1: tools
    store names like "Two-column trial report: columns" while the page says "... in the
    CORMORANT-2 trial"."""
    if not font_title or not stored:
        return stored or font_title
    words = _words(stored)
    on_page = _words(first_page)
    return stored if len(words & on_page) >= TITLE_ON_PAGE * len(words) else font_title


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _doc_type(prism: dict[str, str], venue: str, doi: str) -> str:
    kind = prism.get("aggregationType", "").lower()
    if kind == "journal" or (venue and doi and kind in ("", "journal")):
        return "journal-article"
    return "unknown"


def pdf_metadata(
    path: Path, reader: PdfReader, lines: list[Line], font_title: str, byline: str
) -> Metadata:
    """Metadata of a PDF (see the module docstring)."""
    info, x = pdf_info(reader), xmp(reader)
    prism: dict[str, str] = x["prism"]
    first_page = " ".join(ln.text for ln in lines if ln.page == 1)
    title = visible_title(
        next((t for t in (info.get("/Title", ""), x["title"]) if usable_title(t)), ""),
        font_title,
        first_page,
    )
    title = title or next((ln.text for ln in lines if len(ln.text.split()) >= 2), "")
    doi = prism.get("doi") or info.get("/doi", "")
    if not doi and (m := _DOI.search(first_page)):
        doi = m.group(0).rstrip(".,;)")
    year_m = _COPYRIGHT_YEAR.search(first_page)
    date = prism.get("coverDate") or prism.get("publicationDate") or ""
    year = int(date[:4]) if re.match(r"\d{4}", date) else (int(year_m.group(1)) if year_m else None)
    venue = prism.get("publicationName", "")
    authors = author_names(x["creators"])
    if not authors:
        authors = max(author_names(info.get("/Author", "")), byline_authors(byline), key=len)
    meta = Metadata(
        doc_id=slugify(path.stem),
        title=title,
        authors=authors,
        venue=venue,
        year=year,
        doc_type=_doc_type(prism, venue, doi),
        doi=doi,
        volume=prism.get("volume", ""),
        issue=prism.get("number", ""),
        pages="-".join(
            p for p in (prism.get("startingPage", ""), prism.get("endingPage", "")) if p
        ),
    )
    front = metadata_from_pairs(
        path, info.get("/Keywords", ""), title=title, reference=info.get("/Subject", "")
    )
    if front is None:
        return meta
    found = {k: getattr(meta, k) for k in ("title", "authors", "year", "doi")}
    return replace(front, **{k: v for k, v in found.items() if v and not getattr(front, k)})
