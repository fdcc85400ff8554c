"""Pure formatting of an Answer for terminals and chat content."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from citeqa.answer import Answer, Citation, Population, TableOut
from citeqa.models import DOC_TYPE_LABELS

UNKNOWN = "unknown"
EARLIER = "Earlier report; updated by {later}"


def doc_type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, DOC_TYPE_LABELS["other"])


def population_text(p: Population | None) -> str:
    """ "Population: adults, relapsed/refractory, Ph-negative" ("" when nothing is known)."""
    if p is None:
        return ""
    known = [x for x in (p.age_group, p.setting, p.risk_group, p.ph_status) if x != UNKNOWN]
    return f"Population: {', '.join(known)}" if known else ""


def card_notes(c: Citation, cites: Sequence[Citation] = ()) -> str:
    """What a source card says beside the reference: the population, and for an earlier
    report the report that updates it (its number when it is cited too)."""
    notes = [population_text(c.population)]
    if c.report is not None and c.report.status == "earlier":
        later = next((f"[{x.n}]" for x in cites if x.doc_id == c.report.later_doc_id), "")
        notes.append(EARLIER.format(later=later or c.report.later_doc_id))
    return ". ".join(n for n in notes if n)


def _cell(text: str, n: int | None) -> str:
    return f"{text} [{n}]" if n is not None else text


def table_rows(table: TableOut) -> list[list[str]]:
    """The table as text rows: the header, then one row per side (cells end with [n])."""
    head = ["", *table.columns]
    return [head] + [[r.label, *(_cell(v.text, v.citation) for v in r.cells)] for r in table.rows]


def format_table(table: TableOut) -> str:
    """The comparison table with aligned columns, for terminals."""
    rows = table_rows(table)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def table_markdown(table: TableOut, escape: Callable[[str], str] | None = None) -> str:
    """The comparison table as a Markdown table (``escape`` applied to every cell)."""
    esc = escape or (lambda t: t)
    rows = [[esc(c).replace("|", "\\|") for c in r] for r in table_rows(table)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "|".join(" --- " for _ in rows[0]) + "|")
    return "\n".join(lines)


def format_citation(c: Citation, cites: Sequence[Citation] = ()) -> str:
    """``[n] Reference (type; locator). "quote" link``"""
    where = "; ".join(p for p in (doc_type_label(c.doc_type), c.locator) if p)
    ref = c.reference or c.title or c.doc_id
    line = f"[{c.n}] {ref} ({where})"
    notes = card_notes(c, cites)
    if notes:
        line += f"\n    {notes}"
    if c.quote:
        line += f'\n    "{c.quote}"'
    if c.url:
        line += f"\n    {c.url}"
    return line


def format_answer(ans: Answer, timings: bool = True) -> str:
    """The answer, the notice, the glossary and the references, as plain text."""
    parts = [ans.answer]
    if ans.table is not None:
        parts.append(format_table(ans.table))
    if ans.notice:
        parts.append(ans.notice)
    if ans.evidence_summary:
        parts.append(ans.evidence_summary)
    if ans.glossary:
        words = "\n".join(f"- {g.term}: {g.definition}" for g in ans.glossary)
        parts.append(f"What these words mean:\n{words}")
    if ans.citations:
        cards = "\n".join(format_citation(c, ans.citations) for c in ans.citations)
        parts.append("References:\n" + cards)
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
