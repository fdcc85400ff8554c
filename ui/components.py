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
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlparse

import streamlit as st

from citeqa.answer import Answer, Citation
from citeqa.settings import Settings, get_settings
from rag.format import card_notes, doc_type_label, table_markdown
from rag.pipeline import Pipeline, build_pipeline

# Every ASCII punctuation character that means something to (GitHub/Streamlit) markdown.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&^=\"'@%])")
_MARKER_MD = re.compile(r"\\\[\d+(?:,\s*\d+)*\\\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

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


def answer_markdown(text: str) -> str:
    """Escaped answer text with its citation markers ``[n]`` in bold."""
    return _MARKER_MD.sub(lambda m: f"**{m.group(0)}**", escape_markdown(text))


def stream_words(text: str) -> Iterator[str]:
    """The answer's words one by one (escaped), for st.write_stream."""
    words = text.split(" ")
    for i, w in enumerate(words):
        yield answer_markdown(w) + (" " if i < len(words) - 1 else "")


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


def highlight_html(passage: str, quote: str) -> str:
    """The passage as escaped HTML with the quoted sentence(s) wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for a, b in quote_spans(passage, quote):
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


def grade_text(ans: Answer) -> str:
    grade = ans.readability.get("fk_grade")
    if grade is None:
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


# -- Streamlit rendering -------------------------------------------------------------------------
def render_source_card(c: Citation, key: str, cites: Sequence[Citation] = ()) -> None:
    """One numbered source: type badge, locator, title, reference, quote, passage and link."""
    label, color, icon = badge_style(c.doc_type)
    with st.container(border=True, key=key):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(f"**\\[{c.n}\\]**", width="content")
            st.badge(label, color=color, icon=icon)  # type: ignore[arg-type]
            if c.locator:
                st.caption(escape_markdown(c.locator), width="content")
        ref = c.reference or c.title or c.doc_id
        st.html(f'<div class="citeqa-ref">{html.escape(ref)}</div>')
        if card_notes(c, cites):
            st.caption(escape_markdown(card_notes(c, cites)))
        if c.quote:
            st.html(f'<blockquote class="citeqa-quote">{html.escape(c.quote)}</blockquote>')
        if c.passage:
            with st.expander("Show the quote in its passage", icon=":material/search:"):
                st.html(highlight_html(c.passage, c.quote))
        url = safe_url(c.url)
        if url:
            st.link_button(
                f"Open on {link_name(url)}", url, icon=":material/open_in_new:", type="tertiary"
            )


def render_sources(cites: Sequence[Citation], prefix: str, heading: str) -> None:
    if not cites:
        return
    st.markdown(f"**{heading}**")
    for c in cites:
        render_source_card(c, key=f"source-card-{prefix}-{c.n}", cites=cites)


def render_glossary(ans: Answer) -> None:
    if not ans.glossary:
        return
    with st.expander("What these words mean", expanded=True, icon=":material/menu_book:"):
        for g in ans.glossary:
            st.markdown(f"**{escape_markdown(g.term)}**: {escape_markdown(g.definition)}")


def render_answer(
    ans: Answer,
    prefix: str,
    stream: bool = False,
    feedback: Callable[[], None] | None = None,
) -> None:
    """The whole assistant message of one answer (inside an ``st.chat_message``)."""
    if ans.abstained:
        st.warning(escape_markdown(ans.answer), icon=":material/search_off:")
        st.caption(
            "citeqa only answers from its indexed sources. The closest passages it found are "
            "below; they do not answer the question."
        )
    elif stream:
        slot = st.empty()
        with slot.container():
            st.write_stream(stream_words(ans.answer))
        slot.markdown(answer_markdown(ans.answer))
    else:
        st.markdown(answer_markdown(ans.answer))
    if ans.table is not None:
        st.markdown(table_markdown(ans.table, escape_markdown))
    if ans.notice:
        st.info(escape_markdown(ans.notice), icon=":material/medical_services:")
    if ans.evidence_summary:
        st.caption(escape_markdown(ans.evidence_summary))
    if ans.audience == "family":
        render_glossary(ans)
        if not ans.abstained and grade_text(ans):
            st.caption(grade_text(ans))
    if ans.abstained:
        render_sources(ans.nearest, prefix, "Nearest sources")
    else:
        render_sources(ans.citations, prefix, "Sources")
    if feedback is not None:
        feedback()
