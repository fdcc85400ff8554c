"""A conversation, or one answer, as Markdown with its references (Vancouver style).

Each answer keeps its own numbering ``[n]``; its references follow it as a numbered list in the
citations' Vancouver form (``Citation.reference``), each with its PubMed, DOI or registry link
and the quoted sentence(s). Pure functions: the chat offers the text as a download and a copy
button.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from citeqa.answer import Answer, Citation
from ui.components import link_name, safe_url

NOT_ADVICE = "Information from published studies, not medical advice."
AUDIENCE_NAMES = {"clinician": "Clinician", "family": "Family"}


@dataclass(frozen=True, slots=True)
class ExportTurn:
    question: str
    answer: Answer


def _quote_block(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()]


def reference_lines(cites: Sequence[Citation]) -> list[str]:
    """One numbered Vancouver reference per citation number, with its link and quote."""
    out: list[str] = []
    for c in sorted(cites, key=lambda c: c.n):
        ref = (c.reference or c.title or c.doc_id).strip()
        where = f" ({c.locator})" if c.locator else ""
        line = f"{c.n}. {ref}{where}"
        url = safe_url(c.url)
        if url:
            line += f" {link_name(url)}: <{url}>"
        out.append(line)
        if c.quote:
            out.append(f'   Quoted: "{" ".join(c.quote.split())}"')
    return out


def understood_lines(ans: Answer) -> list[str]:
    """'Searched for' / 'Read as' lines when the question was understood differently."""
    q = ans.query
    if q is None:
        return []
    out = []
    if q.resolved and q.resolved.strip() != q.text.strip():
        out.append(f"*Read as:* {q.resolved}")
    if q.shown and q.shown.strip() != q.text.strip():
        out.append(f"*Searched for:* {q.shown}")
    return out


def answer_markdown_export(ans: Answer, question: str = "") -> str:
    """One answer (with its question, when given) and its references, as Markdown."""
    lines: list[str] = []
    if question:
        lines += ["**Question**", "", *_quote_block(question), ""]
    lines += understood_lines(ans)
    if lines and lines[-1]:
        lines.append("")
    label = "Answer" if not ans.abstained else "No answer in the indexed sources"
    lines += [f"**{label}** ({AUDIENCE_NAMES.get(str(ans.audience), str(ans.audience))})", ""]
    lines.append(ans.answer.strip())
    if ans.abstained and ans.abstain_reason is not None and ans.abstain_reason.text:
        lines += ["", f"*Why:* {ans.abstain_reason.text}"]
    for notice in ans.notices:
        lines += ["", f"*Note:* {notice.text}"]
    if ans.notice and not ans.notices:
        lines += ["", f"*Note:* {ans.notice}"]
    cites = ans.citations if not ans.abstained else ()
    if cites:
        lines += ["", "**References**", "", *reference_lines(cites)]
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(
    title: str, turns: Sequence[ExportTurn], when: float | None = None
) -> str:
    """A whole conversation as one Markdown document."""
    day = time.strftime("%Y-%m-%d", time.localtime(time.time() if when is None else when))
    parts = [f"# {' '.join(title.split()) or 'Conversation'}", "", f"*citeqa, {day}. {NOT_ADVICE}*"]
    for i, t in enumerate(turns, start=1):
        parts += ["", f"## {i}.", "", answer_markdown_export(t.answer, t.question).rstrip()]
    return "\n".join(parts) + "\n"
