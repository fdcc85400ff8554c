"""Matching an answer against expectations: numbers, facts, sources, citation markers.

Pure functions on plain data (no I/O, no models); :mod:`evals.qmetrics` builds the verdicts.

Matching rules
    * A *fact* with numbers in it (``"94.8%"``, ``"1,444"``, ``"HR 0.39"``) matches when every
      number of the fact occurs among the numbers of the answer text (compared as values, so
      ``1,444`` = ``1444`` and ``94.8%`` = ``94.8``) and every remaining word of the fact occurs
      in the answer as a whole word, case-insensitively. Numbers follow ``ingest.numbers`` rules
      (``AALL1731`` is an identifier, not a number; citation markers are not numbers).
    * A fact without numbers matches as a case-insensitive phrase (white space collapsed, dashes
      and micro signs normalised).
    * An *absent* string (text that must not appear) matches literally: a case-insensitive
      phrase, with white space, dashes and micro signs normalised but no number semantics, so
      ``"56 ug"`` is not triggered by an unrelated ``56%``.
    * A *source* matches when it occurs, case-insensitively, in the reference, doc_id or title
      of some citation of the answer.

Answer sentences and citations
    The answer text is split into sentences; each sentence carries the ``[n]`` markers written
    in it or right after its full stop (``[1]``, ``[1][2]``, ``[1, 2]``, ``[1-3]``). A marker is
    *valid* when the answer has a citation with that number. A sentence's numbers are
    *grounded* when they occur in the quotes of the valid citations it carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.numbers import extract_numbers

# ---------------------------------------------------------------------------------------------
# Numbers and facts

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "µ": "u", "μ": "u", "≥": ">="})
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def number_key(value: float) -> float:
    """Comparison key of a number: equal for formatting-only differences (94.8 / 94.80)."""
    return round(value, 6)


def numbers_of(text: str) -> list[float]:
    """The values of the numbers in ``text`` (``"1,444 children, 94.8%"`` -> [1444, 94.8])."""
    return [n.value for n in extract_numbers(text)]


def parse_number(text: str) -> float | None:
    """The single number ``text`` denotes (``"1,444"`` -> 1444.0, ``"94.8%"`` -> 94.8), else None."""
    found = numbers_of(text)
    return found[0] if len(found) == 1 else None


def normalise_text(text: str) -> str:
    """Case-folded text with collapsed white space and normalised dashes and micro signs."""
    return " ".join(text.translate(_DASHES).casefold().split())


def _without_numbers(text: str) -> str:
    out = list(text)
    for n in extract_numbers(text):
        out[n.start : n.end] = [" "] * (n.end - n.start)
    return "".join(out)


def _has_word(word: str, text: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text) is not None


def fact_in(fact: str, answer_text: str) -> bool:
    """Whether ``fact`` occurs in ``answer_text`` (see the module rules)."""
    fact_numbers = numbers_of(fact)
    norm_answer = normalise_text(answer_text)
    if not fact_numbers:
        return normalise_text(fact) in norm_answer
    available = {number_key(v) for v in numbers_of(answer_text)}
    if any(number_key(v) not in available for v in fact_numbers):
        return False
    words = _WORD_RE.findall(normalise_text(_without_numbers(fact)))
    return all(_has_word(w, norm_answer) for w in words)


def text_in(text: str, answer_text: str) -> bool:
    """Literal, case-insensitive occurrence of ``text`` (for ``absent`` strings)."""
    return normalise_text(text) in normalise_text(answer_text)


def facts_found(facts: Iterable[str], answer_text: str) -> tuple[list[str], list[str]]:
    """``(found, missing)`` facts of ``answer_text``."""
    found: list[str] = []
    missing: list[str] = []
    for f in facts:
        (found if fact_in(f, answer_text) else missing).append(f)
    return found, missing


def source_hit(sources: Iterable[str], citations: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any expected source occurs in some citation's reference, doc_id or title."""
    fields = [
        normalise_text(" ".join(str(c.get(k, "")) for k in ("reference", "doc_id", "title")))
        for c in citations
    ]
    return any(normalise_text(s) in f for s in sources for f in fields)


# ---------------------------------------------------------------------------------------------
# Citation markers and answer sentences

_MARKER = re.compile(r"\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")
_MARKERS = rf"(?:\s*{_MARKER.pattern})+"
_ABBREV = re.compile(r"(?:\b(?:vs|e\.g|i\.e|al|approx|fig|no|dr|ca|cf|incl)\.)$", re.I)
_END = re.compile(r"[.!?][\"')]*\s+(?=[^\s\[])|(?<=\])\s+(?=[A-Z])")


def parse_marker(marker: str) -> list[int]:
    """Citation numbers of one marker: ``[1]`` -> [1], ``[1, 2]`` -> [1, 2], ``[2-4]`` -> [2, 3, 4]."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", marker.strip().strip("[]").strip()):
        if not part:
            continue
        bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
        if len(bounds) == 2 and bounds[0] <= bounds[1] and bounds[1] - bounds[0] < 50:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.extend(bounds)
    return out


def parse_markers(text: str) -> list[int]:
    """Every citation number of ``text`` in order of first appearance (``"a [1][2] b [1, 3]"``)."""
    seen: dict[int, None] = {}
    for m in _MARKER.finditer(text):
        for n in parse_marker(m.group(0)):
            seen.setdefault(n, None)
    return list(seen)


def strip_markers(text: str) -> str:
    """``text`` without citation markers (and without the space they leave before a stop)."""
    return re.sub(r"\s+([.!?,;:])(?=\s|$)", r"\1", " ".join(_MARKER.sub(" ", text).split()))


@dataclass(frozen=True)
class CitedSentence:
    text: str  # without markers
    citations: tuple[int, ...]


def split_sentences(answer_text: str) -> list[CitedSentence]:
    """Answer sentences with the markers each carries (markers after a full stop belong to it)."""
    # "A. [1] B." -> "A [1]. B." so that every marker sits before its sentence's end.
    text = re.sub(rf"([.!?])({_MARKERS})", lambda m: f"{m.group(2)}{m.group(1)}", answer_text)
    pieces: list[str] = []
    start = 0
    for m in _END.finditer(text):
        head = text[start : m.start() + 1].rstrip()
        nxt = text[m.end() : m.end() + 1]
        if _ABBREV.search(head) or (nxt.islower() and not head.endswith("]")):
            continue
        pieces.append(text[start : m.end()])
        start = m.end()
    pieces.append(text[start:])
    out = []
    for p in pieces:
        plain = strip_markers(p)
        if any(ch.isalnum() for ch in plain):
            out.append(CitedSentence(plain, tuple(parse_markers(p))))
    return out


@dataclass
class CitationStats:
    """Counts over the sentences of one answer (summed over answers by :func:`summarise`)."""

    sentences: int = 0
    cited: int = 0  # sentences carrying at least one valid citation
    with_markers: int = 0  # sentences carrying at least one marker
    precise: int = 0  # marked sentences: all markers valid, all numbers in their quotes
    numbers: int = 0
    grounded: int = 0  # numbers found in the quotes of their sentence's valid citations
    ungrounded: list[str] = field(default_factory=list)  # "sentence: number" for the report

    def add(self, other: CitationStats) -> None:
        self.sentences += other.sentences
        self.cited += other.cited
        self.with_markers += other.with_markers
        self.precise += other.precise
        self.numbers += other.numbers
        self.grounded += other.grounded
        self.ungrounded.extend(other.ungrounded)


def citation_stats(answer_text: str, quotes: Mapping[int, str]) -> CitationStats:
    """Citation and number-grounding counts of one answer; ``quotes`` maps n -> quote text."""
    stats = CitationStats()
    for s in split_sentences(answer_text):
        stats.sentences += 1
        valid = [n for n in s.citations if n in quotes]
        stats.cited += bool(valid)
        available = {number_key(v) for n in valid for v in numbers_of(quotes[n])}
        values = numbers_of(s.text)
        missing = [v for v in values if number_key(v) not in available]
        stats.numbers += len(values)
        stats.grounded += len(values) - len(missing)
        stats.ungrounded.extend(f"{v:g} in: {s.text[:80]}" for v in missing)
        if s.citations:
            stats.with_markers += 1
            stats.precise += len(valid) == len(s.citations) and not missing
    return stats


def quotes_of(answer: Mapping[str, Any]) -> dict[int, str]:
    return {int(c["n"]): str(c.get("quote", "")) for c in answer.get("citations", [])}


def first_unit(answer_text: str) -> str:
    """The first cited unit of an answer: its text up to and including the first citation
    marker (a sentence, or a list with its lead-in); the whole text when nothing is cited."""
    m = _MARKER.search(answer_text)
    return answer_text[: m.end()] if m else answer_text
