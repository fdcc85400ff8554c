"""Sentence splitting for clinical prose: abbreviation- and number-aware, offsets kept.

Used by the chunker (every chunk stores its sentence spans) and by the answerers, which quote
single sentences. Line breaks between list items or headings are boundaries too.
"""

from __future__ import annotations

import re

# Tokens that end with a period but do not end a sentence.
ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "et",
        "al",
        "vs",
        "v",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "fig",
        "figs",
        "approx",
        "no",
        "nos",
        "vol",
        "ed",
        "eds",
        "inc",
        "ltd",
        "co",
        "corp",
        "st",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "e.u",
        "ca",
        "cf",
        "resp",
        "ref",
        "refs",
        "suppl",
        "dept",
        "univ",
        "min",
        "max",
        "mo",
        "yr",
        "yrs",
        "wk",
        "wks",
        "h",
        "hr",
        "hrs",
        "sec",
        "pt",
        "pts",
        "iv",
        "i.v",
        "p.o",
        "med",
        "approx",
        "incl",
        "est",
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
    ]
)

# Candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*(?=\s+)")
_LINEBREAK = re.compile(r"\n+")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` belongs to an abbreviation or initial."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'":
        start -= 1
    token = text[start:dot].lower().rstrip(".")
    if not token:
        return False
    if token in ABBREVIATIONS:
        return True
    # Single capital initial ("Gupta S. et al", "J. Smith"), but not a lone "I".
    return len(token) == 1 and token.isalpha() and text[start].isupper() and token != "i"


def _next_starts_sentence(text: str, pos: int) -> bool:
    """A sentence starts at the next non-space char if it is upper-case, a digit or a bracket."""
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    if pos >= n:
        return True
    ch = text[pos]
    return ch.isupper() or ch.isdigit() or ch in "\"'([•-–*"


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _BOUNDARY.finditer(text, start, end):
        punct_end = m.end()
        first_dot = m.start()
        if text[first_dot] == "." and _is_abbreviation(text, first_dot):
            continue
        if not _next_starts_sentence(text, punct_end):
            continue
        spans.append((cur, punct_end))
        cur = punct_end
    spans.append((cur, end))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text``, stripped of surrounding space."""
    out: list[tuple[int, int]] = []
    line_start = 0
    for m in [*_LINEBREAK.finditer(text), None]:
        line_end = m.start() if m else len(text)
        for a, b in _split_line(text, line_start, line_end):
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                out.append((a, b))
        if m:
            line_start = m.end()
    return out


def sentences(text: str) -> list[str]:
    """The sentence strings of ``text``."""
    return [text[a:b] for a, b in split_sentences(text)]
