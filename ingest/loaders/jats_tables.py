"""JATS tables (``<table-wrap>``) as table-row passages (``ingest.loaders.tables``).

Header rows (``thead``, or ``th`` rows) give each column its header; ``colspan`` and
``rowspan`` are expanded so every cell sits under its header. Cell text keeps superscripts as
``^n`` (``ingest.loaders.jats.inline_text``). Tables in a section are filed under that
section; tables in ``<floats-group>`` under the section that first cites them.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from citeqa.models import Section
from ingest.loaders.tables import row_sections

MAX_ROWS = 2000


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _grid(rows: list[Element]) -> list[list[str]]:
    from ingest.loaders.jats import inline_text

    grid: list[list[str]] = []
    carry: dict[int, tuple[int, str]] = {}  # column -> (rows left, text) from rowspan
    for tr in rows[:MAX_ROWS]:
        out: list[str] = []
        cells = [c for c in tr if _local(c.tag) in ("td", "th")]
        k = 0
        while cells or any(col >= len(out) for col in carry):
            col = len(out)
            if col in carry:
                left, text = carry[col]
                out.append(text)
                carry = (
                    {**carry, col: (left - 1, text)}
                    if left > 1
                    else {c: v for c, v in carry.items() if c != col}
                )
                continue
            if k >= len(cells):
                break
            cell = cells[k]
            k += 1
            text = inline_text(cell)
            span = max(1, min(50, int(cell.get("colspan") or 1)))
            down = max(1, min(MAX_ROWS, int(cell.get("rowspan") or 1)))
            for j in range(span):
                if down > 1:
                    carry[col + j] = (down - 1, text)
                out.append(text)
        grid.append(out)
    return grid


def table_sections(wrap: Element, heading: str) -> list[Section]:
    """Row passages of one ``<table-wrap>``."""
    from ingest.loaders.jats import child, inline_text

    label = inline_text(child(wrap, "label")) or "Table"
    caption_el = child(wrap, "caption")
    caption = " ".join(inline_text(c) for c in caption_el) if caption_el is not None else ""
    out: list[Section] = []
    for table in (t for t in wrap.iter() if _local(t.tag) == "table"):
        head_rows = [
            r for h in table if _local(h.tag) == "thead" for r in h if _local(r.tag) == "tr"
        ]
        body_rows = [
            r
            for part in table
            for r in (
                [part]
                if _local(part.tag) == "tr"
                else list(part)
                if _local(part.tag) == "tbody"
                else []
            )
            if _local(r.tag) == "tr"
        ]
        if not head_rows and body_rows and all(_local(c.tag) == "th" for c in body_rows[0]):
            head_rows, body_rows = body_rows[:1], body_rows[1:]
        heads = _grid(head_rows)
        width = max((len(r) for r in heads), default=0)
        headers = [
            " ".join(dict.fromkeys(r[c] for r in heads if c < len(r) and r[c]))
            for c in range(width)
        ]
        out.extend(row_sections(heading, label, caption, headers, _grid(body_rows)))
    return out


def _wraps(elem: Element) -> Iterator[Element]:
    """``table-wrap`` elements of ``elem`` outside nested sections."""
    for c in elem:
        tag = _local(c.tag)
        if tag in ("sec", "app", "floats-group", "ref-list"):
            continue
        if tag == "table-wrap":
            yield c
        else:
            yield from _wraps(c)


def sec_tables(sec: Element, heading: str) -> list[Section]:
    return [s for w in _wraps(sec) for s in table_sections(w, heading)]


def float_tables(root: Element) -> list[Section]:
    """Tables of ``<floats-group>``, each under the section that first cites it."""
    from ingest.loaders.jats import PATH_SEP, child, clean_heading, inline_text

    cited: dict[str, str] = {}

    def walk(elem: Element, path: list[str]) -> None:
        if _local(elem.tag) == "sec":
            title = clean_heading(inline_text(child(elem, "title")))
            path = [*path, title] if title else path
        for c in elem:
            if _local(c.tag) == "xref" and c.get("rid"):
                for rid in (c.get("rid") or "").split():
                    cited.setdefault(rid, PATH_SEP.join(path))
            walk(c, path)

    body = child(root, "body")
    if body is not None:
        walk(body, [])
    out: list[Section] = []
    for group in (g for g in root if _local(g.tag) == "floats-group"):
        for w in (x for x in group.iter() if _local(x.tag) == "table-wrap"):
            out.extend(table_sections(w, cited.get(w.get("id") or "", "Figures and tables")))
    return out
