"""Vancouver-style references and short human labels for citations.

``format_reference`` builds e.g.
``Gupta S, Rau R, Kairalla J, et al. Title. N Engl J Med. 2025;392(9):875-891. doi:... PMID: ...``
and ``human_label`` e.g. ``Gupta 2025, ASH abstract 758, Results``. Missing parts are omitted.
"""

from __future__ import annotations

import re

from citeqa.models import Metadata

MAX_AUTHORS = 6
ET_AL = "et al."
SHORT_VENUE_CHARS = 30
SHORT_TITLE_CHARS = 60

_STOPWORDS = frozenset({"the", "of", "and", "for", "in", "on", "a", "an", "&", "de", "la"})
_MEETING_WORDS = frozenset(
    {"annual", "meeting", "congress", "conference", "exposition", "symposium", "scientific"}
)
_REGIONS = frozenset({"US", "USA", "UK", "EU"})
_INITIALS = re.compile(r"^[A-Z][A-Z.\-]{0,5}$")


def _sentence(text: str) -> str:
    """Strip and end with a full stop unless it already ends with . ? or !."""
    text = " ".join(text.split())
    if not text:
        return ""
    return text if text[-1] in ".?!" else text + "."


def _is_et_al(name: str) -> bool:
    return name.strip().lower().rstrip(".") == "et al"


def format_authors(authors: tuple[str, ...]) -> str:
    """'A B, C D, et al.': up to six names, then 'et al.'; an explicit 'et al.' entry is kept."""
    names = [" ".join(a.split()) for a in authors if a and a.strip()]
    et_al = False
    if names and _is_et_al(names[-1]):
        names, et_al = names[:-1], True
    names = [n for n in names if not _is_et_al(n)]
    if len(names) > MAX_AUTHORS:
        names, et_al = names[:MAX_AUTHORS], True
    if not names:
        return ""
    if et_al:
        names.append(ET_AL)
    return _sentence(", ".join(names))


def _volume_part(meta: Metadata) -> str:
    """'392(9):875-891' with any missing piece left out."""
    out = meta.volume.strip()
    if meta.issue.strip():
        out += f"({meta.issue.strip()})"
    if meta.pages.strip():
        out += f":{meta.pages.strip()}" if out else meta.pages.strip()
    return out


def _journal_source(meta: Metadata) -> str:
    venue = _sentence(meta.venue)
    vol = _volume_part(meta)
    year = "" if meta.year is None else str(meta.year)
    date = ";".join(x for x in (year, vol) if x) if year else vol
    return " ".join(p for p in (venue, _sentence(date)) if p)


def _meeting_source(meta: Metadata) -> str:
    venue = " ".join(meta.venue.split()).rstrip(".")
    if venue and meta.year is not None:
        source = f"{venue}; {meta.year}."
    elif venue or meta.year is not None:
        source = _sentence(venue or str(meta.year))
    else:
        source = ""
    if meta.abstract_number.strip():
        source = f"{source} Abstract {meta.abstract_number.strip()}.".strip()
    return source


def _registry_source(meta: Metadata) -> str:
    venue = " ".join(meta.venue.split()).rstrip(".") or "ClinicalTrials.gov"
    source = f"{venue}; {meta.year}." if meta.year is not None else f"{venue}."
    if meta.nct:
        source += f" Identifier: {meta.nct}."
    return source


def _identifiers(meta: Metadata) -> list[str]:
    parts = []
    if meta.doi.strip():
        parts.append(f"doi:{meta.doi.strip()}.")
    if meta.pmid.strip():
        parts.append(f"PMID: {meta.pmid.strip()}.")
    if not parts and meta.url.strip():
        parts.append(f"Available from: {meta.url.strip()}")
    return parts


def format_reference(meta: Metadata) -> str:
    """Vancouver-style reference built from whatever metadata is present."""
    parts = [format_authors(meta.authors), _sentence(meta.title)]
    if meta.doc_type == "conference-abstract":
        parts.append(_meeting_source(meta))
    elif meta.doc_type == "trial-registry":
        parts.append(_registry_source(meta))
    elif meta.doc_type == "journal-article":
        parts.append(_journal_source(meta))
    else:
        parts.append(_meeting_source(meta) if meta.abstract_number else _journal_source(meta))
    parts.extend(_identifiers(meta))
    return " ".join(p for p in parts if p)


def surname(author: str) -> str:
    """Family name of 'Gupta S' / 'O'Byrne PM' / 'van der Berg AB'; collective names as-is."""
    tokens = author.split()
    if len(tokens) > 1 and _INITIALS.match(tokens[-1]):
        tokens = tokens[:-1]
    return " ".join(tokens)


def _acronym(text: str) -> str:
    """'The New England Journal of Medicine' -> 'NEJM'; a leading US/UK/EU is dropped."""
    words = [w for w in re.split(r"[\s\-/]+", text) if w and w.lower() not in _STOPWORDS]
    if len(words) > 2 and words[0].replace(".", "") in _REGIONS:
        words = words[1:]
    return "".join(w[0].upper() for w in words if w[0].isalpha())


def short_venue(venue: str) -> str:
    """A short name for a venue: as-is when short, else an acronym ('JAMA', 'ASH', 'NEJM')."""
    venue = " ".join(venue.split()).rstrip(".")
    if not venue:
        return ""
    words = [
        w
        for w in venue.split()
        if not re.fullmatch(r"\(?\d{4}\)?|\d+(st|nd|rd|th)", w) and w.lower() not in _MEETING_WORDS
    ]
    while words and words[-1].lower() in _STOPWORDS:
        words.pop()
    while words and words[0].lower() in _STOPWORDS:
        words.pop(0)
    core = " ".join(words) or venue
    if len(core) <= SHORT_VENUE_CHARS and (len(words) <= 3 or len(core) <= 15):
        return core
    return _acronym(core) or core[:SHORT_VENUE_CHARS]


def short_title(title: str) -> str:
    """Title up to its first colon or question mark, cut at a word boundary near 60 chars."""
    title = " ".join(title.split()).rstrip(".")
    head = re.split(r"(?<=\?)\s|:\s| - | — ", title, maxsplit=1)[0].strip() or title
    if len(head) <= SHORT_TITLE_CHARS:
        return head
    cut = head[:SHORT_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;")
    return cut + "…"


def _venue_label(meta: Metadata) -> str:
    if meta.doc_type == "conference-abstract":
        label = short_venue(meta.venue)
        number = meta.abstract_number.strip()
        abstract = f"abstract {number}" if number else "abstract"
        return f"{label} {abstract}".strip()
    if meta.doc_type == "trial-registry":
        return "trial registry"
    return short_venue(meta.venue)


def human_label(meta: Metadata, section: str) -> str:
    """Short citation label, e.g. 'Gupta 2025, ASH abstract 758, Results'."""
    section = " ".join(section.split())
    if meta.audience == "family" or meta.doc_type == "plain-language":
        head = "citeqa explainer"
        title = short_title(meta.title) or meta.doc_id
        return ", ".join(p for p in (f"{head}: {title}", section) if p)
    who = surname(meta.authors[0]) if meta.authors and not _is_et_al(meta.authors[0]) else ""
    if not who and meta.doc_type == "drug-label" and meta.title.strip():
        who = re.split(r"[(,:]", meta.title, maxsplit=1)[0].strip() + " label"
    if not who:
        who = meta.trial.strip() or meta.nct.strip()
    if not who:
        who = short_title(meta.title) or meta.doc_id
    first = f"{who} {meta.year}" if meta.year is not None else who
    venue = _venue_label(meta)
    if meta.doc_type == "trial-registry" and meta.nct and meta.nct not in first:
        venue = f"{venue} {meta.nct}"
    return ", ".join(p for p in (first, venue, section) if p)
