"""Sentence splitting for clinical and scientific prose, with offsets.

One splitter for the whole project: the chunker stores every chunk's sentence spans with it,
and the answerers quote and parse single sentences. Written for speed (one regex pass per
block) and for scientific prose: it does not split after abbreviations (e.g., i.e., et al.,
vs., Dr., Fig., approx., No. 5, U.S.), initials, or inside decimals (94.8, P < .0001); it does
split at blank lines, before list items and headings on new lines, but not at plain line wraps
(PDF text). Citation markers directly after a sentence's final period stay with that sentence.
"""

from __future__ import annotations

import re

# A citation marker: "[1]", "[1, 3]", "[1-3]", "[Source 2]".
MARKER_RE = re.compile(
    r"\[\s*(?:(?:source|sources|passage|ref|reference|doc)\.?\s*)?"
    r"\d+(?:\s*[-–,;]\s*(?:(?:source|passage|ref|reference|doc)\.?\s*)?\d+)*\s*\]",
    re.IGNORECASE,
)

# Always abbreviations (lowercased, without the final period).
_ABBREV = frozenset(
    [
        "e.g",
        "i.e",
        "eg",
        "ie",
        "al",
        "vs",
        "cf",
        "ca",
        "approx",
        "est",
        "resp",
        "incl",
        "viz",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "fig",
        "figs",
        "u.s",
        "u.k",
        "e.u",
        "n.b",
        "suppl",
        "et",
    ]
)
# Titles: abbreviations only when written with a capital ("Ms.", "Dr."); "ms." after a number is
# milliseconds, and may end a sentence.
_TITLES = frozenset(["dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st"])
# Abbreviations only when a number follows ("No. 5", "Vol. 3", "p. 12", "Dec. 2024").
_ABBREV_BEFORE_DIGIT = frozenset(
    [
        "no",
        "nos",
        "vol",
        "vols",
        "p",
        "pp",
        "ref",
        "refs",
        "eq",
        "eqs",
        "tab",
        "chap",
        "sec",
        "art",
        "ch",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "abstr",
        "abs",
    ]
)

# Sentence end: terminators, closing quotes/brackets, then any citation markers, then a space.
_END_RE = re.compile(
    r"(?:[.!?…]+)[\"'’”)\]]*(?:\s*" + MARKER_RE.pattern + r")*(?=\s)",
    re.IGNORECASE,
)
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LIST_ITEM_RE = re.compile(
    r"\n[ \t]*(?=(?:[-*•▪◦‣–—]|\d{1,2}[.)]|[a-z][.)]|\(\d{1,2}\)|\([a-z]\))[ \t])"
)
_SPACE_RE = re.compile(r"\s+")
_NEWLINE_RE = re.compile(r"\n")
_NEXT_LINE_RE = re.compile(r"[ \t]*(\S)")
_CONNECTORS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "per",
        "than",
        "that",
        "the",
        "to",
        "vs.",
        "vs",
        "with",
    ]
)
_WORD_BEFORE_RE = re.compile(r"(\S+)$")
_OPENERS = "\"'“‘([{-•*"
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([.,;:!?)\]])(?![0-9])")


def _heading_break(text: str, nl: int) -> bool:
    """Is the single line break at ``nl`` the end of a heading-like line (or a "label:")?"""
    line_start = text.rfind("\n", 0, nl) + 1
    line = text[line_start:nl].strip()
    nxt = _NEXT_LINE_RE.match(text, nl + 1)
    if not line or nxt is None:
        return False
    if line.startswith("#") or nxt.group(1) == "#":
        return True
    if line.endswith(":"):
        return True
    if not nxt.group(1).isupper() or line[-1] in ".,;!?-–(":
        return False
    words = line.split()
    return len(line) <= 50 and len(words) <= 8 and words[-1].lower() not in _CONNECTORS


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans separated by blank lines, list items, headings on their own line."""
    cuts = {m.start() for m in _BLANK_LINE_RE.finditer(text)}
    cuts |= {m.start() for m in _LIST_ITEM_RE.finditer(text)}
    cuts |= {m.start() for m in _NEWLINE_RE.finditer(text) if _heading_break(text, m.start())}
    spans, start = [], 0
    for c in sorted(cuts):
        if c < start:
            continue
        spans.append((start, c))
        start = c + 1
    spans.append((start, len(text)))
    return spans


def _is_abbreviation(text: str, term_start: int, next_char: str) -> bool:
    """Is the '.' at ``term_start`` the end of an abbreviation or an initial?"""
    if text[term_start] != ".":
        return False
    m = _WORD_BEFORE_RE.search(text, max(0, term_start - 40), term_start)
    if not m:
        return False
    word = m.group(1).lstrip("([{\"'“‘").lower()
    if not word:
        return False
    if word in _TITLES:  # "Ms. Smith", "Dr. Lee"; "61 ms. Prolonged" ends a sentence
        return m.group(1).lstrip("([{\"'“‘")[:1].isupper()
    if word in _ABBREV:
        return True
    if word in _ABBREV_BEFORE_DIGIT and next_char.isdigit():
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith", "Gupta S. Rau RE."
        return True
    # Dotted acronyms: "U.S", "e.g", "a.m"
    return len(word) <= 6 and word.count(".") >= 1 and word.replace(".", "").isalpha()


def _split_block(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    sent_start = start
    for m in _END_RE.finditer(text, start, end):
        nxt = m.end()
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt >= end:
            break
        c = text[nxt]
        if not (c.isupper() or c.isdigit() or c in _OPENERS):
            continue
        if _is_abbreviation(text, m.start(), c):
            continue
        _append_trimmed(text, sent_start, m.end(), out)
        sent_start = nxt
    _append_trimmed(text, sent_start, end, out)


def _append_trimmed(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append((a, b))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences of ``text`` (whitespace trimmed, none empty)."""
    out: list[tuple[int, int]] = []
    for a, b in _blocks(text):
        _split_block(text, a, b, out)
    return out


def sentences(text: str) -> list[str]:
    """The sentence strings of ``text``."""
    return [text[a:b] for a, b in split_sentences(text)]
