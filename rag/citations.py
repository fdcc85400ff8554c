"""Sentence splitting and ``[n]`` citation markers.

``split_sentences`` is shared with the chunker, so it is written for speed (one regex pass
per block) and for scientific prose: it does not split after abbreviations (e.g., i.e.,
et al., vs., Dr., Fig., approx., No. 5, U.S.), initials, or inside decimals (94.8,
P < .0001); it does split at blank lines and before list items on new lines. Citation markers
directly after a sentence's final period stay with that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag.numbers import MARKER_RE

MAX_RANGE = 50  # "[1-1000]" is not a citation list worth expanding

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
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "sr",
        "jr",
        "st",
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


def marker_keys(marker: str) -> tuple[int, ...]:
    """Keys of one marker: "[1, 3]" -> (1, 3); "[1-3]" -> (1, 2, 3)."""
    body = re.sub(r"[A-Za-z.]+", "", marker.strip("[] "))
    keys: list[int] = []
    for part in re.split(r"\s*[,;]\s*", body.strip()):
        if not part:
            continue
        rng = re.split(r"\s*[-–]\s*", part)
        if len(rng) == 2 and rng[0].isdigit() and rng[1].isdigit():
            lo, hi = int(rng[0]), int(rng[1])
            if lo <= hi and hi - lo < MAX_RANGE:
                keys.extend(range(lo, hi + 1))
            else:
                keys.extend((lo, hi))
        elif part.isdigit():
            keys.append(int(part))
    return tuple(keys)


def strip_markers(text: str) -> str:
    """``text`` without citation markers, with the spaces they leave tidied."""
    out = MARKER_RE.sub(" ", text)
    out = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", out)
    return _SPACE_RE.sub(" ", out).strip()


def _dedupe(keys: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(keys))


def parse_markers(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of ``text`` (markers removed) each with the keys cited in it, in order.

    A "sentence" that is nothing but markers (e.g. "[2]" on its own line) gives its keys to
    the sentence before it.
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    for a, b in split_sentences(text):
        raw = text[a:b]
        keys = _dedupe(k for m in MARKER_RE.finditer(raw) for k in marker_keys(m.group(0)))
        clean = strip_markers(raw)
        if not any(ch.isalnum() for ch in clean):
            if out and keys:
                prev_text, prev_keys = out[-1]
                out[-1] = (prev_text, _dedupe((*prev_keys, *keys)))
            continue
        out.append((clean, keys))
    return out


def format_markers(ns: Iterable[int]) -> str:
    """(1, 3) -> "[1][3]"."""
    return "".join(f"[{n}]" for n in ns)


def renumber(
    sentences: Sequence[tuple[str, tuple[int, ...]]], known: set[int]
) -> tuple[list[tuple[str, tuple[int, ...]]], dict[int, int]]:
    """Drop unknown keys, then number the rest 1..m by first appearance.

    Returns the renumbered sentences and the mapping {model key: new number}.
    """
    mapping: dict[int, int] = {}
    result: list[tuple[str, tuple[int, ...]]] = []
    for text, keys in sentences:
        new: list[int] = []
        for k in keys:
            if k not in known:
                continue
            if k not in mapping:
                mapping[k] = len(mapping) + 1
            new.append(mapping[k])
        result.append((text, _dedupe(new)))
    return result, mapping
