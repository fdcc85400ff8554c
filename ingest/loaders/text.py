"""Text decoding, normalisation helpers and the plain-text loader.

``decode_text`` turns bytes into ``str`` (UTF-8 with or without BOM, UTF-16 with BOM, else
cp1252 when the result looks like text) and refuses binary data. The plain-text loader handles
``.txt`` files without front matter: ClinicalTrials.gov-style registry texts (``NCT*.txt``)
become ``trial-registry`` documents, anything else one document of blank-line paragraphs.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from citeqa.models import Document, Metadata, Section
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError

BINARY_REASON = "binary or undecodable text file"

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_WS = re.compile(r"[^\S\n]+")
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
_NCT = re.compile(r"\bNCT\d{8}\b")
_QUINT = re.compile(r"^\((?:first|second|third|fourth|fifth)Quint\)", re.IGNORECASE)
_HIGHLIGHT = "@highlight"


def decode_text(data: bytes) -> str | None:
    """Decode ``data`` to text with ``\\n`` newlines, or ``None`` when it looks binary."""
    text: str | None
    if data.startswith(codecs.BOM_UTF8):
        text = _try_decode(data[len(codecs.BOM_UTF8) :], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(data, "utf-16")
    else:
        text = _try_decode(data, "utf-8")
        if text is None:
            text = _try_decode(data, "cp1252")
    if text is None or not looks_like_text(text):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def looks_like_text(text: str) -> bool:
    """False for NULs or more than 1% control characters (tab, newline, CR, FF allowed)."""
    if "\x00" in text:
        return False
    if not text:
        return True
    controls = len(_CONTROL.findall(text))
    return controls <= len(text) * 0.01


def decode_or_raise(path: Path, data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise LoadError(path, BINARY_REASON)
    return text


def collapse(line: str) -> str:
    """Collapse runs of whitespace within one line and strip it."""
    return _WS.sub(" ", line).strip()


def paragraphs(text: str) -> list[str]:
    """Split on blank lines; each paragraph's lines are joined with spaces."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        para = " ".join(collapse(x) for x in block.split("\n") if x.strip())
        if para:
            out.append(para)
    return out


def join_paragraphs(paras: list[str]) -> str:
    return "\n\n".join(p for p in paras if p)


def slugify(value: str, max_len: int = 80) -> str:
    """Lowercase ASCII slug: runs of other characters become one '-'; 'doc' if nothing is left."""
    slug = _SLUG_BAD.sub("-", value.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "doc"


KNOWN_HEADINGS = (
    "abstract|summary|background|introduction|objectives?|aims?|purpose|"
    "methods?|materials and methods|patients and methods|methods and materials|"
    "subjects and methods|study design|methodology|results|findings|discussion|"
    "results and discussion|conclusions?|conclusions and relevance|interpretation|"
    "limitations|strengths and limitations|study limitations|case report|case presentation|"
    "references|bibliography|literature cited|acknowledge?ments|funding|declarations|"
    "competing interests|conflicts? of interests?|disclosures?|authors'? contributions|"
    "author contributions|data availability|availability of data and materials|"
    "abbreviations|supplementary (?:information|material)|appendix|publisher's note"
)
_KNOWN_HEADING = re.compile(
    rf"^(?:(?:\d{{1,2}}(?:\.\d{{1,2}})*\.?|[IVX]{{1,4}}\.)\s+)?({KNOWN_HEADINGS})\s*:?$",
    re.IGNORECASE,
)


def match_heading(line: str) -> str:
    """Canonical heading name if ``line`` is a known section heading, else ''."""
    text = collapse(line).replace("’", "'")
    if len(text) > 60:
        return ""
    m = _KNOWN_HEADING.match(text)
    if not m:
        return ""
    name = m.group(1)
    return name.capitalize() if name.isupper() or name.islower() else name


def is_trial_text(path: Path, text: str) -> bool:
    """A registry text: file named ``NCT<8 digits>`` or the '(xQuint)Title' layout."""
    head = text.lstrip()[:200]
    return bool(_NCT.fullmatch(path.stem.upper())) or bool(_QUINT.match(head))


def trial_document(path: Path, text: str) -> Document:
    """Registry text: first line is the title; the '@highlight' block is the brief summary."""
    body = text.strip()
    first, _, rest = body.partition("\n")
    title = _QUINT.sub("", first).strip().rstrip(".").strip()
    m = _NCT.search(path.stem.upper()) or _NCT.search(text)
    nct = m.group(0) if m else ""
    description, summary = rest, ""
    if _HIGHLIGHT in rest:
        idx = rest.index(_HIGHLIGHT)
        line_start = rest.rfind("\n", 0, idx) + 1
        description = rest[:line_start]
        summary = rest[idx + len(_HIGHLIGHT) :]
    desc_paras = [p for p in paragraphs(description) if p.strip(". ")]
    sections = [
        Section(heading, join_paragraphs(paras))
        for heading, paras in (("Description", desc_paras), ("Brief summary", paragraphs(summary)))
        if paras
    ]
    meta = Metadata(
        doc_id=nct.lower() if nct else slugify(path.stem),
        title=title,
        doc_type="trial-registry",
        venue="ClinicalTrials.gov",
        nct=nct,
        trial=nct,
        url=f"https://clinicaltrials.gov/study/{nct}" if nct else "",
    )
    return Document(meta=meta, sections=tuple(sections))


def plain_document(path: Path, text: str) -> Document:
    """Plain text: one document, one untitled section of blank-line paragraphs."""
    paras = paragraphs(text)
    sections = (Section("", join_paragraphs(paras)),) if paras else ()
    return Document(meta=Metadata(doc_id=slugify(path.stem)), sections=sections)


class TextLoader(Loader):
    """``.txt`` files. Files with YAML front matter go to the markdown loader."""

    name = "text"
    suffixes = (".txt",)

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        from ingest.loaders.markdown import has_front_matter, markdown_document

        text = decode_or_raise(path, data)
        if has_front_matter(text):
            yield markdown_document(path, text)
        elif is_trial_text(path, text):
            yield trial_document(path, text)
        else:
            yield plain_document(path, text)
