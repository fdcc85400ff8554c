"""How one answer is shown: what was understood, the answer with linked ``[n]`` markers, the
reason of an abstention, notices, and source cards that group one document's quotes.

Everything from documents or answers is shown as text (see ``ui.components``): markdown is
escaped, HTML is built from ``html.escape``d pieces and shown by ``st.html`` (sanitised).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from citeqa.answer import Answer, Citation, Notice, QueryView
from rag.format import card_notes, table_markdown
from ui.components import (
    anchor_id,
    answer_markdown,
    badge_style,
    citation_spans,
    escape_markdown,
    grade_text,
    highlight_html,
    link_name,
    page_of,
    safe_url,
    stream_words,
)

NOTICE_ICONS = {
    "urgent": ":material/emergency:",
    "care-team": ":material/medical_services:",
    "filters": ":material/filter_alt_off:",
    "language": ":material/translate:",
    "injection": ":material/shield:",
    "abstract-only": ":material/record_voice_over:",
    "population": ":material/groups:",
    "data-cut": ":material/event:",
}


@dataclass(frozen=True, slots=True)
class SourceFiles:
    """Which cited documents have a local PDF the chat server can open (doc_id -> URL path)."""

    pdf_urls: dict[str, str]

    def page_link(self, c: Citation) -> str:
        base = self.pdf_urls.get(c.doc_id, "")
        if not base:
            return ""
        page = page_of(c.locator)
        return f"{base}#page={page}" if page else base


NO_FILES = SourceFiles({})


# -- what was understood ----------------------------------------------------------------------
def _differs(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) != " ".join(b.lower().split())


def understood_lines(q: QueryView | None, typed: str) -> list[str]:
    """The 'Read as' / 'Searched for' lines (escaped markdown) to show under a question, only
    where the understanding differs from what was typed."""
    if q is None:
        return []
    out = []
    if q.resolved and _differs(q.resolved, typed):
        out.append(f"Read as: *{escape_markdown(q.resolved)}*")
    if q.shown and _differs(q.shown, typed) and _differs(q.shown, q.resolved or typed):
        out.append(f"Searched for: *{escape_markdown(q.shown)}*")
    return out


def render_understood(
    ans: Answer | None, typed: str, prefix: str, ask: Callable[[str], None] | None
) -> None:
    """Under the user's question: how it was read, and 'Did you mean ...?' choices."""
    if ans is None:
        return
    for line in understood_lines(ans.query, typed):
        st.caption(line)
    suggestions = [s for s in (ans.query.did_you_mean if ans.query else ()) if s.strip()]
    if suggestions and ask is not None:
        with st.container(horizontal=True, vertical_alignment="center", key=f"dym-{prefix}"):
            st.caption("Did you mean", width="content")
            for i, s in enumerate(suggestions[:3]):
                st.button(s, key=f"dym-{prefix}-{i}", type="tertiary", on_click=ask, args=(s,))


# -- the answer -----------------------------------------------------------------------------------
def render_abstention(ans: Answer) -> None:
    st.warning(escape_markdown(ans.answer), icon=":material/search_off:")
    reason = ans.abstain_reason.text.strip() if ans.abstain_reason else ""
    if reason:
        st.markdown(f"**Why:** {escape_markdown(reason)}")
    st.caption(
        "citeqa only answers from its indexed sources. The closest passages it found are "
        "below; they do not answer the question."
    )


def render_notice(n: Notice) -> None:
    icon = NOTICE_ICONS.get(n.kind, ":material/info:")
    text = escape_markdown(n.text)
    if n.kind == "urgent":
        st.error(text, icon=icon)
    else:
        st.info(text, icon=icon)


def render_notices(ans: Answer, skip: Sequence[str] = ()) -> None:
    notices = [n for n in ans.notices if n.kind not in skip]
    for n in notices:
        render_notice(n)
    if not ans.notices and ans.notice:
        st.info(escape_markdown(ans.notice), icon=":material/medical_services:")


def render_table(ans: Answer) -> None:
    if ans.table is not None and ans.table.rows:
        st.markdown(table_markdown(ans.table, escape_markdown))


def render_glossary(ans: Answer) -> None:
    if not ans.glossary:
        return
    with st.expander("What these words mean", expanded=True, icon=":material/menu_book:"):
        for g in ans.glossary:
            st.markdown(f"**{escape_markdown(g.term)}**: {escape_markdown(g.definition)}")


def render_body(ans: Answer, prefix: str, stream: bool) -> None:
    if ans.abstained:
        render_abstention(ans)
    elif stream:
        slot = st.empty()
        with slot.container():
            st.write_stream(stream_words(ans.answer, prefix))
        slot.markdown(answer_markdown(ans.answer, prefix))
    else:
        st.markdown(answer_markdown(ans.answer, prefix))
    render_table(ans)
    if ans.evidence_summary:
        st.caption(escape_markdown(ans.evidence_summary))


def render_answer(
    ans: Answer,
    prefix: str,
    stream: bool = False,
    extras: Callable[[], None] | None = None,
    files: SourceFiles = NO_FILES,
    after_body: Callable[[], None] | None = None,
) -> None:
    """The whole assistant message of one answer (inside an ``st.chat_message``):
    ``after_body`` (filters explained) renders under the answer text, ``extras`` (copy,
    feedback) after the sources."""
    render_body(ans, prefix, stream)
    if after_body is not None:
        after_body()
    render_notices(ans)
    if ans.audience == "family":
        render_glossary(ans)
        if not ans.abstained and grade_text(ans):
            st.caption(grade_text(ans))
    if ans.abstained:
        render_sources(ans.nearest, prefix, "Nearest sources", files)
    else:
        render_sources(ans.citations, prefix, "Sources", files)
    if extras is not None:
        extras()


# -- source cards -----------------------------------------------------------------------------------
def group_by_document(cites: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by document in order of first appearance, numbers ascending."""
    groups: dict[str, list[Citation]] = {}
    for c in sorted(cites, key=lambda c: c.n):
        groups.setdefault(c.doc_id or c.chunk_id, []).append(c)
    return list(groups.values())


def _quote(c: Citation, prefix: str, files: SourceFiles, many: bool) -> None:
    anchor = f' id="{anchor_id(prefix, c.n)}"' if prefix else ""
    number = f"<b>[{c.n}]</b> " if many else ""
    if c.quote:
        body = f"{number}{html.escape(c.quote)}"
        st.html(f'<blockquote class="citeqa-quote"{anchor}>{body}</blockquote>')
    elif anchor:
        st.html(f'<div class="citeqa-anchor"{anchor}></div>')
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        if c.locator:
            st.caption(escape_markdown(c.locator), width="content")
        pdf = files.page_link(c)
        if pdf:
            page = page_of(c.locator)
            label = f"Open the PDF at page {page}" if page else "Open the PDF"
            st.link_button(label, pdf, icon=":material/picture_as_pdf:", type="tertiary")
    if c.passage:
        with st.expander("Show the quote in its passage", icon=":material/search:"):
            st.html(highlight_html(c.passage, c.quote, citation_spans(c)))


def render_source_card(
    group: Citation | Sequence[Citation],
    key: str,
    prefix: str = "",
    files: SourceFiles = NO_FILES,
    cited: Sequence[Citation] = (),
) -> None:
    """One document's card: its numbers, type badge, reference once, then each quote with its
    locator, the passage with the quote highlighted, and the links (PubMed/DOI, local PDF)."""
    cites = [group] if isinstance(group, Citation) else list(group)
    first = cites[0]
    label, color, icon = badge_style(first.doc_type)
    many = len(cites) > 1
    with st.container(border=True, key=key):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            numbers = " ".join(f"\\[{c.n}\\]" for c in cites)
            st.markdown(f"**{numbers}**", width="content")
            st.badge(label, color=color, icon=icon)  # type: ignore[arg-type]
        ref = first.reference or first.title or first.doc_id
        st.html(f'<div class="citeqa-ref">{html.escape(ref)}</div>')
        notes = card_notes(first, cited or cites)  # population; "Earlier report; updated by"
        if notes:
            st.caption(escape_markdown(notes))
        for c in cites:
            _quote(c, prefix, files, many)
        url = safe_url(first.url)
        if url:
            st.link_button(
                f"Open on {link_name(url)}", url, icon=":material/open_in_new:", type="tertiary"
            )


def render_sources(
    cites: Sequence[Citation], prefix: str, heading: str, files: SourceFiles = NO_FILES
) -> None:
    if not cites:
        return
    st.markdown(f"**{heading}**")
    for group in group_by_document(cites):
        render_source_card(group, f"source-card-{prefix}-{group[0].n}", prefix, files, cites)
