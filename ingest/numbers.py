"""Numbers in prose, for checking that an answer's figures come from its sources.

Rules (see tests/test_numbers.py):

- ``1,444`` is 1444; ``94.8%`` is 94.8; ``P < .0001`` is 0.0001; ``≥ 0.01%`` is 0.01.
- ``4-year`` and ``15mg`` are numbers (digits followed by a hyphen or a unit).
- Ranges ``0.24-0.64`` / ``36–108`` give two numbers (no negative numbers: ``-`` is never a sign).
- Digits glued to letters before them are identifiers, not numbers: ``AALL1731``,
  ``NCT03914625``, the ``2`` of ``m2``; so are digits after a letter-hyphen (``COVID-19``,
  ``IL-6``) and digit-letter-digit codes (``9p21``, ``3A4``).
- Citation markers (``[3]``, ``[1, 2]``, ``[1-3]``) are not numbers.
- Years (2025) are numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.sentences import MARKER_RE

# Citation markers, replaced by spaces of the same length so spans stay valid.

# A number may not start right after a word character or a '.', nor after "letter-".
_NUM_RE = re.compile(
    r"(?<![\w.])(?<![^\W\d_][-‐‑])"
    r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)"
    r"(?P<pct>\s?%)?"
)
# Digits followed by letters then digits ("9p21", "3A4", "5q31"): an identifier. Exception:
# "1.5x10^9" (scientific notation) keeps its mantissa.
_CODE_TAIL_RE = re.compile(r"(?![xX]10)[^\W\d_]+[0-9]")


@dataclass(frozen=True, slots=True)
class Number:
    """A number found in text: its value, the raw matched text and its [start, end) span."""

    value: float
    raw: str
    start: int
    end: int


def mask_markers(text: str) -> str:
    """``text`` with citation markers blanked out (same length, so offsets are unchanged)."""
    return MARKER_RE.sub(lambda m: " " * len(m.group(0)), text)


def _is_identifier_tail(text: str, end: int) -> bool:
    return bool(_CODE_TAIL_RE.match(text, end))


def extract_numbers(text: str) -> list[Number]:
    """All numbers in ``text`` in order of appearance (see the module rules)."""
    masked = mask_markers(text)
    out: list[Number] = []
    for m in _NUM_RE.finditer(masked):
        num_end = m.start("pct") if m.group("pct") is not None else m.end()
        if _is_identifier_tail(masked, num_end):
            continue
        digits = masked[m.start() : num_end].replace(",", "")
        try:
            value = float(digits)
        except ValueError:  # pragma: no cover - the pattern only matches valid numerals
            continue
        out.append(Number(value=value, raw=text[m.start() : m.end()], start=m.start(), end=m.end()))
    return out


def _key(value: float) -> float:
    """Comparison key: equal for formatting-only differences (94.8 / 94.80, 1444 / 1,444)."""
    return round(value, 9)


def number_values(texts: Iterable[str]) -> set[float]:
    """Comparison keys of every number in ``texts``."""
    return {_key(n.value) for t in texts for n in extract_numbers(t)}


def numbers_supported(sentence: str, passages: Iterable[str]) -> list[Number]:
    """The numbers of ``sentence`` that appear in none of ``passages`` (empty = all supported).

    Despite the name this returns the *unsupported* numbers, so ``not numbers_supported(...)``
    reads as "no number is missing".
    """
    found = extract_numbers(sentence)
    if not found:
        return []
    available = number_values(passages)
    return [n for n in found if _key(n.value) not in available]


# A dose figure: a number attached to a mass or volume unit, or to a per-hour / per-m² / per-kg
# rate ("15 µg/m²/day", "28 mcg", "5 mL/h", "0.5 mg/kg"). Answers to a personal dosing request
# must contain none (issue I); the question benchmark checks the same definition.
_DOSE_RE = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?"
    r"(?:(?:µg|μg|mcg|ug|mg|ml|micrograms?|milligrams?|millilit(?:er|re)s?)(?![^\W\d_])"
    r"|[^\W\d_]*\s?/\s?(?:h|hr|hour|m²|m2|kg)(?![^\W\d_]))",
    re.I,
)


def dose_figures(text: str) -> list[str]:
    """Every dose figure in ``text`` (see ``_DOSE_RE``), as written."""
    return [m.group(0) for m in _DOSE_RE.finditer(text)]
