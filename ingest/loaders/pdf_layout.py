"""PDF page layout with pdfminer.six (through pdfplumber): lines in reading order, cleaned.

pdfminer's layout analysis groups characters into text boxes and orders the boxes (columns
come one after the other, however the file draws them). On top of it, from each character's
position, size and colour:

- invisible text is dropped: white or near-white fill, tiny glyphs (< ``TINY_PT``), glyphs off
  the page, rotated glyphs (margin notes, watermarks): none of it is what a reader sees;
- raised small glyphs are superscripts: after ``10`` or a unit they are exponents, written
  ``10^9`` / ``m^2``; anywhere else footnote or affiliation markers, dropped (``11.58¹`` stays
  ``11.58``, never ``11.581``);
- lines keep their position, so running headers and footers are found by position on short
  documents too (``running_lines``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pdfminer.layout import LTChar, LTTextLine
    from pdfplumber.page import Page

TINY_PT = 3.0  # glyphs smaller than this are not meant to be read
WHITE = 0.92  # colour components at or above this (gray/RGB) count as white
SUPER_SCALE = 0.82  # a glyph this much smaller than its line ...
SUPER_RISE = 0.18  # ... and raised by this share of the line size is a superscript
MARGIN = 0.085  # top and bottom share of the page height holding running heads and feet
_EXPONENT_BASE = re.compile(r"(?:(?<![\d.,])10|(?<![A-Za-z])(?:m|cm|mm|km|µm|kg|L|dL|s|h)|[)ηχ])$")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)


class Line(NamedTuple):
    """One visual line: its text, page (1-based), dominant font size and position (points from
    the page top; -1 when unknown); ``box`` numbers the layout block on its page."""

    text: str
    page: int
    size: float = 0.0
    top: float = -1.0
    bottom: float = -1.0
    height: float = 0.0  # the page height
    box: int = 0
    ocr: bool = False
    x0: float = 0.0
    x1: float = 0.0


def _white(color: object) -> bool:
    if isinstance(color, int | float):
        return color >= WHITE
    if not isinstance(color, tuple | list) or not color:
        return False
    vals = [float(c) for c in color if isinstance(c, int | float)]
    if len(vals) == 4:  # CMYK: white is no ink at all
        return all(v <= 1 - WHITE for v in vals)
    return bool(vals) and all(v >= WHITE for v in vals)


def drop_reason(ch: LTChar, width: float, height: float) -> str:
    """Why a glyph is not visible to a reader ('' when it is)."""
    if not ch.upright:
        return "rotated"
    if ch.size < TINY_PT:
        return "tiny"
    if ch.x1 < 0 or ch.x0 > width or ch.y1 < 0 or ch.y0 > height:
        return "off-page"
    if _white(ch.graphicstate.ncolor):  # the fill colour of the glyph
        return "invisible"
    return ""


def _superscript_text(run: str, before: str) -> str:
    """An exponent after a base that takes one ('10', a unit), else '' (a footnote marker)."""
    digits = run.replace("−", "-").replace("–", "-").strip()
    if re.fullmatch(r"[-+]?\d{1,3}", digits) and _EXPONENT_BASE.search(before.rstrip()):
        return "^" + digits
    return ""


def line_text(
    line: LTTextLine, width: float, height: float, dropped: Counter[str]
) -> tuple[str, float]:
    """Visible text of one pdfminer text line and its dominant font size."""
    from pdfminer.layout import LTChar

    chars = [c for c in line if isinstance(c, LTChar)]
    sizes: Counter[float] = Counter(round(c.size, 1) for c in chars)
    size = max(sizes, key=sizes.__getitem__, default=0.0)
    base = sorted(c.y0 for c in chars if round(c.size, 1) == size)
    baseline = base[len(base) // 2] if base else 0.0
    out: list[str] = []
    run: list[str] = []
    for item in line:
        if isinstance(item, LTChar):
            reason = drop_reason(item, width, height)
            if reason:
                dropped[reason] += 1
                continue
            raised = item.y0 - baseline > SUPER_RISE * size
            if size and item.size < SUPER_SCALE * size and raised:
                run.append(item.get_text())
                continue
        if run:
            out.append(_superscript_text("".join(run), "".join(out)))
            run = []
        text = item.get_text()
        out.append(" " if text == "\n" else text)
    if run:
        out.append(_superscript_text("".join(run), "".join(out)))
    return " ".join("".join(out).split()), size


def page_lines(page: Page, number: int, dropped: Counter[str]) -> list[Line]:
    """Visible lines of one pdfplumber page in pdfminer's reading order."""
    from pdfminer.layout import LTTextBox

    width, height = float(page.width), float(page.height)
    out: list[Line] = []
    for box_no, box in enumerate(b for b in page.layout if isinstance(b, LTTextBox)):
        for line in box:
            text, size = line_text(line, width, height, dropped)
            if text:
                top, bottom = height - line.y1, height - line.y0
                out.append(
                    Line(text, number, size, top, bottom, height, box_no, False, line.x0, line.x1)
                )
    return out


def _running_key(line: Line) -> str:
    return re.sub(r"\d+", "#", line.text.lower())


def in_margin(line: Line) -> bool:
    if line.top < 0 or not line.height:
        return False
    return line.bottom < MARGIN * line.height or line.top > (1 - MARGIN) * line.height


def running_lines(pages: list[list[Line]], body: float) -> set[tuple[int, int]]:
    """(page, index) of running headers, footers and page numbers.

    A line in the top or bottom margin band is running when its digit-normalised text recurs
    in the margin of another page, when it is a page number ('Page 2 of 2', '7'), or when it
    is set smaller than the body text. Lines outside the margins never are: body lines that
    differ only in their numbers stay."""
    keys: Counter[str] = Counter()
    for p in pages:
        keys.update({_running_key(x) for x in p if in_margin(x)})
    out: set[tuple[int, int]] = set()
    for p in pages:
        for i, x in enumerate(p):
            if not in_margin(x):
                continue
            small = bool(body) and 0 < x.size < body - 0.4
            if keys[_running_key(x)] >= 2 or _PAGE_NUMBER.match(x.text) or small:
                out.add((x.page, i))
    return out


def body_size(lines: Iterable[Line]) -> float:
    """The font size carrying the most characters."""
    weight: Counter[float] = Counter()
    for x in lines:
        weight[x.size] += len(x.text)
    return max(weight, key=weight.__getitem__, default=0.0)
