"""PDF text from lines: hyphenation across lines, paragraphs, headings and sections.

Sections run over page breaks: a sentence that starts on one page and ends on the next stays
whole, and the section records where each later page starts (``Section.page_starts``).
Paragraphs end at short sentence-final lines, at the end of a layout block whose last line ends
a sentence, and around figure captions; bullets start a new paragraph, and the items of a
bulleted list are one block, an item a line.
"""

from __future__ import annotations

import re
from statistics import median

from citeqa.models import Section
from ingest.loaders.pdf_layout import Line
from ingest.loaders.text import match_heading

_BULLET = re.compile(r"^(?:[•▪◦●‣∙·*]\s*|-\s+)")
_LONE_BULLET = re.compile(r"^[•▪◦●‣∙·*-]$")
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")
_WORD = re.compile(r"[A-Za-z]+")
# (?<!...) keeps these linear on long letter runs (hostile input), with the same matches
_HYPHENATED = re.compile(r"(?<![A-Za-z])[A-Za-z]+-[A-Za-z]+")
_TRAILING_HYPHEN = re.compile(r"(?<![A-Za-z])([A-Za-z]+)( ?)-$")
_SPACE_PUNCT = re.compile(r"(?<=\w) +([,;])")
_LEADING_WORD = re.compile(r"^([a-z][A-Za-z]*)([^\sA-Za-z]*)(.*)$")


def tidy(text: str) -> str:
    """Drop the space pypdf leaves before commas and semicolons ('However , their')."""
    return _SPACE_PUNCT.sub(r"\1", text)


def _join_hyphen(left: str, spaced: bool, right: str, words: set[str], compounds: set[str]) -> str:
    """How to re-join 'left-' + 'right': without the hyphen unless it looks like a compound."""
    joined, compound = left + right, f"{left}-{right}"
    if joined.lower() in words:
        return joined
    if compound.lower() in compounds:
        return compound
    if spaced:
        return joined
    if len(left) >= 3 and len(right) >= 3 and left.lower() in words and right.lower() in words:
        return compound
    return joined


def dehyphenate(lines: list[Line], vocabulary: list[Line] | None = None) -> list[Line]:
    """Re-join words broken across lines ('coun-' + 'seling'), also across pages; the words of
    ``vocabulary`` (default: ``lines``; pass the title too) decide compound or not."""
    vocab = lines if vocabulary is None else vocabulary
    # vocabulary without line-initial words and line-final fragments (they may be halves)
    words = {w.lower() for x in vocab for w in _WORD.findall(x.text)[1:-1]}
    compounds = {w.lower() for x in vocab for w in _HYPHENATED.findall(x.text)}
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            head = _TRAILING_HYPHEN.search(pending.text)
            nxt = _LEADING_WORD.match(line.text)
            if head and nxt:
                word = _join_hyphen(
                    head.group(1), bool(head.group(2)), nxt.group(1), words, compounds
                )
                word += nxt.group(2)  # punctuation glued to the second half
                pending = pending._replace(text=pending.text[: head.start()] + word)
                rest = nxt.group(3).strip()
                if not rest:
                    continue
                line = line._replace(text=rest)
            out.append(pending)
        pending = line
    if pending is not None:
        out.append(pending)
    return out


# --- headings ---------------------------------------------------------------------------

_REFERENCES = frozenset({"references", "bibliography", "literature cited"})
HEADING_SCALE = 1.15


def title_block(lines: list[Line], body: float) -> tuple[str, int]:
    """(title, index after it): the first run of largest-font lines on page 1, if large."""
    first = [x for x in lines if x.page == 1]
    top = max((x.size for x in first), default=0.0)
    if not first or not body or top < HEADING_SCALE * body:
        return "", 0
    start = next(i for i, x in enumerate(lines) if x.size == top)
    end = start
    while end < len(lines) and lines[end].size == top and lines[end].page == 1:
        end += 1
    return " ".join(x.text for x in lines[start:end]), end


def _font_heading(line: Line, body: float) -> str:
    """A short line set clearly larger than the body text is a heading."""
    text = line.text.rstrip(":").strip()
    if not body or line.size < HEADING_SCALE * body or len(text) > 80 or len(text.split()) > 12:
        return ""
    return text if text[-1:] not in ".,;" and any(c.isalpha() for c in text) else ""


def split_sections(
    lines: list[Line], body: float = 0.0, skip: int = 0
) -> list[tuple[str, list[Line]]]:
    """Group lines under the latest heading (known name or larger font, not in the first
    ``skip`` lines); wrapped font headings are merged; reference lists are dropped."""
    groups: list[tuple[str, list[Line]]] = [("", [])]
    last_size = -1.0
    for i, line in enumerate(lines):
        name = match_heading(line.text) or (_font_heading(line, body) if i >= skip else "")
        if not name:
            groups[-1][1].append(line)
            last_size = -1.0
        elif line.size == last_size and not groups[-1][1] and len(groups) > 1:
            groups[-1] = (f"{groups[-1][0]} {name}", [])  # heading wrapped over two lines
        else:
            groups.append((name, []))
            last_size = line.size
    return [(h, ls) for h, ls in groups if ls and h.lower() not in _REFERENCES]


_CAPTION = re.compile(r"^(?:fig(?:ure)?\.?|supplementary fig(?:ure)?\.?)\s*\d+[a-z]?\b", re.I)


def typical_widths(lines: list[Line]) -> dict[int, float]:
    """Median length (characters) of the longer lines of each page."""
    by_page: dict[int, list[int]] = {}
    for x in (x for x in lines if len(x.text) >= 20):
        by_page.setdefault(x.page, []).append(len(x.text))
    return {page: float(median(v)) for page, v in by_page.items()}


def _para_groups(lines: list[Line], widths: dict[int, float]) -> list[tuple[list[Line], bool]]:
    """Paragraphs of lines, each with whether it is a bulleted list item (bullet dropped)."""
    paras: list[tuple[list[Line], bool]] = []
    current: list[Line] = []
    item = False
    pending = 0  # bullets read as lines of their own, ahead of their items (in order)
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if _LONE_BULLET.match(line.text):
            pending += 1
            continue
        marker = _BULLET.match(line.text)
        bullet = bool(marker) or (pending > 0 and not current)
        pending -= 1 if bullet and not marker else 0
        caption = bool(_CAPTION.match(line.text))
        if (bullet or caption) and current:
            paras.append((current, item))
            current = []
        if marker:
            line = line._replace(text=line.text[marker.end() :])
        if not current:
            item = bullet
        current.append(line)
        ends = bool(_SENTENCE_END.search(line.text))
        short = len(line.text) < 0.8 * widths.get(line.page, 80.0)
        box_end = nxt is None or (nxt.page, nxt.box) != (line.page, line.box)
        if (ends and (short or box_end)) or (
            box_end and current and _CAPTION.match(current[0].text)
        ):
            paras.append((current, item))
            current = []
    if current:
        paras.append((current, item))
    return [(p, it) for p, it in paras if any(x.text for x in p)]


def section_text(lines: list[Line], widths: dict[int, float]) -> tuple[str, list[tuple[int, int]]]:
    """(text, page_starts) of one section's lines: paragraphs joined by blank lines, and the
    items of a bulleted list one a line (a list is one block, as Markdown lists are)."""
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    pos, page = 0, lines[0].page if lines else 0
    prev_item = False
    for para, item in _para_groups(lines, widths):
        if parts:
            sep = "\n" if item and prev_item else "\n\n"
            parts.append(sep)
            pos += len(sep)
        prev_item = item
        for k, line in enumerate(para):
            if k:
                parts.append(" ")
                pos += 1
            if line.page != page:
                starts.append((pos, line.page))
                page = line.page
            parts.append(line.text)
            pos += len(line.text)
    return "".join(parts), starts


def build_sections(groups: list[tuple[str, list[Line]]]) -> list[Section]:
    """Sections of (heading, lines) groups; an OCR run of pages is a section of its own."""
    widths = typical_widths([x for _, ls in groups for x in ls])
    out: list[Section] = []
    for heading, lines in groups:
        runs: list[list[Line]] = []
        for x in lines:
            if runs and runs[-1][-1].ocr == x.ocr:
                runs[-1].append(x)
            else:
                runs.append([x])
        for run in runs:
            text, starts = section_text(run, widths)
            if text:
                out.append(Section(heading, text, run[0].page, tuple(starts), ocr=run[0].ocr))
    return out
