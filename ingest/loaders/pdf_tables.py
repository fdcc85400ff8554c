"""Tables in PDFs: found from their caption and the horizontal rules that journals draw.

A table starts at a line reading "Table N ..." that begins a layout block and has a horizontal
rule (pdfplumber edges) just below it. The rule right under the caption opens the header, the
next full-width rule closes it, the lowest rule before the next caption closes the body; small
lines just under it are the table's footnotes. Columns are the gaps in the horizontal coverage
of the body's cell lines (pdfminer gives each cell its own line), rows are cell lines at the
same height. Rows become table-row passages (``ingest.loaders.tables``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citeqa.models import Section
from ingest.loaders.pdf_layout import Line
from ingest.loaders.tables import row_sections

if TYPE_CHECKING:
    from pdfplumber.page import Page

_CAPTION = re.compile(r"^Table\s+(\d{1,3}[A-Za-z]?)\b[.:]?\s*(.*)$")
RULE_GAP = 45.0  # points between a caption and the rule under it
MIN_COL_GAP = 6.0  # points of white space that separate two columns


@dataclass
class PdfTable:
    label: str
    caption: str
    page: int
    lines: set[int] = field(default_factory=set)  # indices (page line list) the table takes
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def sections(self, heading: str) -> list[Section]:
        return row_sections(heading, self.label, self.caption, self.headers, self.rows, self.page)


def _rules(page: Page) -> list[tuple[float, float, float]]:
    """Horizontal rules as (top, x0, x1), segments at one height merged."""
    segs = sorted(
        (round(float(e["top"]), 0), float(e["x0"]), float(e["x1"]))
        for e in page.edges
        if e.get("orientation") == "h" and float(e["x1"]) - float(e["x0"]) > 20
    )
    out: list[tuple[float, float, float]] = []
    for top, x0, x1 in segs:
        if out and abs(out[-1][0] - top) <= 1.5 and x0 <= out[-1][2] + 3:
            out[-1] = (out[-1][0], min(out[-1][1], x0), max(out[-1][2], x1))
        else:
            out.append((top, x0, x1))
    return out


def _columns(cells: list[Line]) -> list[tuple[float, float]]:
    spans = sorted((x.x0, x.x1) for x in cells)
    cols: list[tuple[float, float]] = []
    for a, b in spans:
        if cols and a <= cols[-1][1] + MIN_COL_GAP:
            cols[-1] = (cols[-1][0], max(cols[-1][1], b))
        else:
            cols.append((a, b))
    return cols


def _col_of(x: Line, cols: list[tuple[float, float]]) -> int:
    overlap = [min(b, x.x1) - max(a, x.x0) for a, b in cols]
    best = max(range(len(cols)), key=lambda i: overlap[i])
    if overlap[best] > 0:
        return best
    centre = (x.x0 + x.x1) / 2
    return min(range(len(cols)), key=lambda i: abs((cols[i][0] + cols[i][1]) / 2 - centre))


def _rows(cells: list[Line], cols: list[tuple[float, float]]) -> list[list[str]]:
    rows: list[tuple[float, list[str]]] = []
    for x in sorted(cells, key=lambda x: (x.top, x.x0)):
        if not rows or x.top - rows[-1][0] > 0.6 * (x.size or 8.0):
            rows.append((x.top, [""] * len(cols)))
        c = _col_of(x, cols)
        cell = rows[-1][1]
        cell[c] = f"{cell[c]} {x.text}".strip()
    out: list[list[str]] = []
    for _, cells_ in rows:
        if out and not cells_[0] and any(cells_[1:]) and any(out[-1][1:]):
            # a continuation line (a second value under the same row label)
            out[-1] = [
                f"{a}; {b}" if a and b else a or b for a, b in zip(out[-1], cells_, strict=True)
            ]
        else:
            out.append(cells_)
    return out


def find_tables(page: Page, lines: list[Line], body: float) -> list[PdfTable]:
    """Tables of one page (``lines``: that page's lines in reading order)."""
    rules = _rules(page)
    captions = [
        i
        for i, x in enumerate(lines)
        if _CAPTION.match(x.text) and (i == 0 or lines[i - 1].box != x.box)
    ]
    tables: list[PdfTable] = []
    for n, i in enumerate(captions):
        cap = lines[i]
        below = [r for r in rules if cap.bottom - 2 <= r[0] <= cap.bottom + RULE_GAP]
        if not below:
            continue
        first = below[0]
        limit = lines[captions[n + 1]].top if n + 1 < len(captions) else float("inf")
        spans = [
            r
            for r in rules
            if first[0] <= r[0] < limit and r[2] - r[1] >= 0.8 * (first[2] - first[1])
        ]
        if len(spans) < 2:
            continue
        bottom = spans[-1][0]
        head_end = spans[1][0] if len(spans) > 2 else first[0]
        m = _CAPTION.match(cap.text)
        assert m is not None
        table = PdfTable(f"Table {m.group(1)}", m.group(2), cap.page, {i})
        for k in range(i + 1, len(lines)):  # caption lines go on in the same block
            if lines[k].box != cap.box or lines[k].top >= first[0]:
                break
            table.caption += " " + lines[k].text
            table.lines.add(k)
        inside = [
            k for k, x in enumerate(lines)
            if k not in table.lines and first[0] - 1 <= x.top and x.bottom <= bottom + 1
            and x.x1 >= first[1] - 2 and x.x0 <= first[2] + 2
        ]  # fmt: skip
        body_cells = [lines[k] for k in inside if lines[k].top >= head_end - 1]
        head_cells = [lines[k] for k in inside if lines[k].top < head_end - 1]
        if not body_cells:
            continue
        cols = _columns(body_cells)
        by_col: list[list[Line]] = [[] for _ in cols]
        for x in sorted(head_cells, key=lambda x: (round(x.top / 4), x.x0)):
            by_col[_col_of(x, cols)].append(x)
        table.headers = [" ".join(x.text for x in col) for col in by_col]
        table.rows = _rows(body_cells, cols)
        if not head_cells and table.rows:
            table.headers, table.rows = table.rows[0], table.rows[1:]
        table.lines.update(inside)
        for k, x in enumerate(lines):  # footnotes: small lines right under the bottom rule
            if bottom < x.top < bottom + 40 and body and x.size < body - 0.4:
                table.lines.add(k)
        tables.append(table)
    return tables
