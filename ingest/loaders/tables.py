"""Table rows as passages, shared by the JATS and PDF loaders.

Each body row becomes one ``table-row`` Section: its text names the table, its caption and
every cell with its column header ("Table 2. Adverse events ... Event: Neurotoxicity;
Patients, n (%): 4 (6.5)."), and ``cells`` keep (header, text, row, column) for display and
checks. Rows that only label a group (text in the first column alone) prefix the rows under
them ("Gender (patient) — Male"). A table row is never merged into body sentences.
"""

from __future__ import annotations

from citeqa.models import Section, TableCell

GROUP_SEP = " — "


def _clean(text: str) -> str:
    return " ".join(text.split())


def row_sections(
    heading: str,
    table: str,
    caption: str,
    headers: list[str],
    rows: list[list[str]],
    page: int | None = None,
) -> list[Section]:
    """One Section per data row of a table (see the module docstring)."""
    caption = _clean(caption).rstrip(".")
    width = max([len(headers), *(len(r) for r in rows)], default=0)
    heads = [_clean(h) for h in headers] + [""] * (width - len(headers))
    out: list[Section] = []
    group = ""
    for r, raw in enumerate(rows):
        cells = [_clean(c) for c in raw] + [""] * (width - len(raw))
        if cells and cells[0] and all(c in ("", cells[0]) for c in cells[1:]):
            group = cells[0]  # a group label row (alone, or spanning the row)
            continue
        if not any(cells):
            continue
        if group and cells[0]:
            cells[0] = f"{group}{GROUP_SEP}{cells[0]}"
        kept = [
            TableCell(heads[c] or f"Column {c + 1}", text, r, c)
            for c, text in enumerate(cells)
            if text
        ]
        head = f"{table}. {caption}." if caption else f"{table}."
        body = "; ".join(f"{c.header}: {c.text}" for c in kept)
        out.append(
            Section(
                heading, f"{head} {body}.", page, kind="table-row", table=table, cells=tuple(kept)
            )
        )
    return out
