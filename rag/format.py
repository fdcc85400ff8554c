"""Pure formatting of an Answer for terminals and chat content."""

from __future__ import annotations

from collections.abc import Sequence

from citeqa.answer import Answer, Citation
from citeqa.models import DOC_TYPE_LABELS


def doc_type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, DOC_TYPE_LABELS["other"])


def format_citation(c: Citation) -> str:
    """``[n] Reference (type; locator). "quote" link``"""
    where = "; ".join(p for p in (doc_type_label(c.doc_type), c.locator) if p)
    ref = c.reference or c.title or c.doc_id
    line = f"[{c.n}] {ref} ({where})"
    if c.quote:
        line += f'\n    "{c.quote}"'
    if c.url:
        line += f"\n    {c.url}"
    return line


def format_answer(ans: Answer, timings: bool = True) -> str:
    """The answer, the notice, the glossary and the references, as plain text."""
    parts = [ans.answer]
    if ans.notice:
        parts.append(ans.notice)
    if ans.glossary:
        words = "\n".join(f"- {g.term}: {g.definition}" for g in ans.glossary)
        parts.append(f"What these words mean:\n{words}")
    if ans.citations:
        parts.append("References:\n" + "\n".join(format_citation(c) for c in ans.citations))
    if ans.abstained and ans.nearest:
        parts.append("Nearest sources:\n" + "\n".join(format_citation(c) for c in ans.nearest))
    if timings and ans.timings_ms:
        t = ", ".join(f"{k} {v:.0f} ms" for k, v in ans.timings_ms.items())
        grade = ans.readability.get("fk_grade") if ans.audience == "family" else None
        parts.append(f"({t}; reading grade {grade:.1f})" if grade is not None else f"({t})")
    return "\n\n".join(parts)


def references_markdown(cites: Sequence[Citation]) -> str:
    """A references section for chat content (OpenAI-compatible responses)."""
    lines = ["References:"]
    for c in cites:
        loc = f", {c.locator}" if c.locator else ""
        link = f" {c.url}" if c.url else ""
        lines.append(f"[{c.n}] {c.reference or c.title} ({doc_type_label(c.doc_type)}{loc}){link}")
    return "\n".join(lines)
