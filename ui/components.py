"""Rendering helpers of the chat: answers, notices, glossary and numbered source cards.

Everything that comes from documents or answers is shown AS TEXT. Markdown output is escaped
(``escape_markdown``: every markdown-significant character gets a backslash, so ``<script>``,
``[x](javascript:...)``, ``$math$`` or ``:red[...]`` show literally). The passage with its quote
highlighted is HTML built by ``highlight_html``: the text is ``html.escape``d first and only then
is the quote wrapped in ``<mark>``; ``st.html`` (DOMPurify-sanitised, scripts never run) shows it.
``unsafe_allow_html`` is never used.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlparse

from citeqa.answer import Answer, Citation
from citeqa.settings import Settings, get_settings
from rag.format import doc_type_label
from rag.pipeline import Pipeline, build_pipeline

# Every ASCII punctuation character that means something to (GitHub/Streamlit) markdown.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&^=\"'@%])")
_MARKER_MD = re.compile(r"\\\[\d+(?:,\s*\d+)*\\\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PAGE = re.compile(r"\bp\.\s*(\d+)\b")

DOC_TYPE_STYLE: dict[str, tuple[str, str]] = {  # doc_type -> (badge colour, icon)
    "conference-abstract": ("orange", ":material/record_voice_over:"),
    "journal-article": ("green", ":material/verified:"),
    "drug-label": ("violet", ":material/medication:"),
    "trial-registry": ("gray", ":material/fact_check:"),
    "plain-language": ("blue", ":material/family_restroom:"),
    "other": ("gray", ":material/description:"),
}
LINK_NAMES = {
    "pubmed.ncbi.nlm.nih.gov": "PubMed",
    "doi.org": "DOI",
    "clinicaltrials.gov": "ClinicalTrials.gov",
}


# -- pure helpers --------------------------------------------------------------------------------
def escape_markdown(text: str) -> str:
    """``text`` that st.markdown shows literally (no links, HTML, math, directives, emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def anchor_id(prefix: str, n: int) -> str:
    """The HTML id of citation ``n``'s place in its source card (``prefix``: the turn id)."""
    return f"cite-{re.sub(r'[^A-Za-z0-9_-]', '', prefix)}-{n}"


def _marker_links(marker: str, prefix: str) -> str:
    numbers = [int(x) for x in re.findall(r"\d+", marker)]
    links = ", ".join(f"[{n}](#{anchor_id(prefix, n)})" for n in numbers)
    return f"**\\[{links}\\]**"


def answer_markdown(text: str, prefix: str = "") -> str:
    """Escaped answer text with its citation markers ``[n]`` in bold; with ``prefix`` (the
    turn id) each number links to its place in the source cards. A quoted list ("- " lines
    after its lead-in) is shown as a list, set apart from the sentences around it."""
    escaped = _as_lists(escape_markdown(text))
    if not prefix:
        return _MARKER_MD.sub(lambda m: f"**{m.group(0)}**", escaped)
    return _MARKER_MD.sub(lambda m: _marker_links(m.group(0), prefix), escaped)


def _as_lists(escaped: str) -> str:
    """Lines of escaped text that start "\\- " become Markdown list items, with a blank line
    before and after each run of them (so a following sentence is not read into the list)."""
    out: list[str] = []
    was_item = False
    for line in escaped.split("\n"):
        item = line.startswith("\\- ")
        if out and item != was_item:
            out.append("")
        out.append("- " + line[3:] if item else line)
        was_item = item
    return "\n".join(out)


def stream_words(text: str, prefix: str = "") -> Iterator[str]:
    """The answer's words one by one (escaped), for st.write_stream."""
    words = text.split(" ")
    for i, w in enumerate(words):
        yield answer_markdown(w, prefix) + (" " if i < len(words) - 1 else "")


def _flexible(piece: str) -> re.Pattern[str] | None:
    words = piece.split()
    return re.compile(r"\s+".join(re.escape(w) for w in words)) if words else None


def quote_spans(passage: str, quote: str) -> list[tuple[int, int]]:
    """Where the quoted sentence(s) sit in ``passage`` (whitespace-insensitive), in order.

    The quote is looked up whole; failing that sentence by sentence (a citation may quote two
    sentences that are not adjacent in the passage). Pieces not found are left out."""
    whole = _flexible(quote)
    if whole is None:
        return []
    m = whole.search(passage)
    if m:
        return [(m.start(), m.end())]
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in _SENTENCE_END.split(quote):
        pat = _flexible(piece)
        found = pat.search(passage, pos) if pat else None
        if found is None and pat is not None:
            found = pat.search(passage)
        if found is not None and all(found.start() >= b or found.end() <= a for a, b in spans):
            spans.append((found.start(), found.end()))
            pos = found.end()
    return sorted(spans)


def citation_spans(c: Citation) -> list[tuple[int, int]]:
    """Where ``c``'s quote sits in its passage: the answerer's ``quote_spans`` when they are
    valid offsets, else found by text (answers stored before spans existed)."""
    spans = sorted((int(a), int(b)) for a, b in c.quote_spans)
    n = len(c.passage)
    valid = all(0 <= a < b <= n for a, b in spans) and all(
        spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1)
    )
    if spans and valid:
        return spans
    return quote_spans(c.passage, c.quote)


def highlight_html(passage: str, quote: str, spans: Sequence[tuple[int, int]] | None = None) -> str:
    """The passage as escaped HTML with the quoted sentence(s) wrapped in ``<mark>``
    (at ``spans`` when given, else where the quote is found)."""
    out: list[str] = []
    pos = 0
    for a, b in spans if spans is not None else quote_spans(passage, quote):
        out.append(html.escape(passage[pos:a]))
        out.append(f"<mark>{html.escape(passage[a:b])}</mark>")
        pos = b
    out.append(html.escape(passage[pos:]))
    return f'<div class="citeqa-passage">{"".join(out)}</div>'


def safe_url(url: str) -> str:
    """``url`` if it is an http(s) link with a host, else ''."""
    try:
        u = urlparse(url.strip())
    except ValueError:
        return ""
    return url.strip() if u.scheme in ("http", "https") and u.hostname else ""


def link_name(url: str) -> str:
    host = (urlparse(url).hostname or "").lower()
    for domain, name in LINK_NAMES.items():
        if host == domain or host.endswith("." + domain):
            return name
    return "Source"


def badge_style(doc_type: str) -> tuple[str, str, str]:
    """(label, colour, icon) of a document type's badge."""
    color, icon = DOC_TYPE_STYLE.get(doc_type, DOC_TYPE_STYLE["other"])
    return doc_type_label(doc_type), color, icon


def page_of(locator: str) -> int | None:
    """The page number in a citation's locator ("p. 3, Results" -> 3), or None."""
    m = _PAGE.search(locator or "")
    return int(m.group(1)) if m else None


def grade_text(ans: Answer) -> str:
    """The family answer's reading level; clinician answers have none (no target to meet)."""
    grade = ans.readability.get("fk_grade")
    if grade is None or ans.audience != "family":
        return ""
    return f"Reading level: about school grade {max(1, round(grade))} (Flesch-Kincaid)"


# -- shared resources ------------------------------------------------------------------------------
def current_settings() -> Settings:
    """Settings from the environment (CITEQA_*), read on every run (cheap)."""
    return get_settings()


def load_pipeline(settings: Settings) -> Pipeline:
    """The process's pipeline for ``settings`` (built once by the builder, shared by sessions)."""
    return build_pipeline(settings)


def indexed_documents(settings: Settings) -> list[dict[str, object]]:
    """The indexed documents (read from the index's manifest)."""
    return load_pipeline(settings).documents()
