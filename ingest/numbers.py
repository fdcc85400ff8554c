"""Numbers in prose, for checking that an answer's figures come from its sources.

The one number-notation module: :data:`NOTATIONS` lists every notation understood (each is a
test case in tests/test_numbers.py); :func:`extract_numbers` reads them all and
:func:`numbers_equal` is the one equality everyone uses. Text is folded first
(``ingest.textnorm.fold``: Unicode minus and dashes, the Lancet decimal point, superscript
exponents, special spaces), and spans are given in the caller's text.

Rules:

- ``1,444`` and ``1 444`` (thin or no-break space) are 1444; ``94.8%`` / ``94.8 %`` / ``94·8%``
  / ``94,8%`` are 94.8; ``P < .0001`` is 0.0001 with ``bound`` "<" (also ≤ ≥ > ~ ≈).
- Scientific notation is one value: ``50×10^9``, ``50×10⁹``, ``1.5x10^9``, ``2.1 × 10³``,
  ``10⁻⁴``, ``10^-4``, ``1.2e-3``.
- ``4-year`` and ``15mg`` are numbers (digits followed by a hyphen or a unit).
- Ranges ``0.24-0.64`` / ``36–108`` / ``1.01 to 1.35`` give two numbers. A sign is read only
  from the minus sign (U+2212) or a dash right after ``(``, ``[``, ``=``, ``:``, ``<``/``>``
  or at the start (a dash between numbers is a range).
- Digits glued to letters before them are identifiers, not numbers: ``AALL1731``,
  ``NCT03914625``, the ``2`` of ``m2`` and ``m^2``; so are digits after a letter-hyphen
  (``COVID-19``, ``IL-6``) and digit-letter-digit codes (``9p21``, ``3A4``).
- Citation markers (``[3]``, ``[1, 2]``, ``[1-3]``) are not numbers. Years (2025) are numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.sentences import MARKER_RE
from ingest.textnorm import fold

_MANT = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
# A number may not start right after a word character, '.', '^', nor after "letter-".
_NUM_RE = re.compile(
    r"(?<![\w.^])(?<![^\W\d_]-)"
    r"(?:(?P<mant>" + _MANT + r")\s?[×xX*]\s?10\s?\^\s?(?P<exp>[+-]?[0-9]{1,3})"
    r"|10\s?\^\s?(?P<exp2>[+-]?[0-9]{1,3})"
    r"|(?P<num>" + _MANT + r")(?:[eE](?P<exp3>[+-]?[0-9]{1,3})(?![\w]))?)"
    r"(?P<pct>\s?%)?"
)
# Digits followed by letters then digits ("9p21", "3A4", "5q31"): an identifier.
_CODE_TAIL_RE = re.compile(r"[^\W\d_]+[0-9]")
# Same-length rewrites before folding: thousands after a thin/no-break space, a decimal comma
# before a percent sign ("94,8 %").
_THIN_THOUSANDS = re.compile(r"(?<=[0-9])[\u2009\u202f\u00a0\u2007](?=[0-9]{3}(?![0-9]))")
_DECIMAL_COMMA = re.compile(r"(?<![0-9,])([0-9]{1,3}),(?=[0-9]{1,2}\s?%)")
_BOUND_RE = re.compile(r"(<=|>=|[<>≤≥~≈])\s?$")
_SIGN_BEFORE = re.compile(r"(?:^|[(\[=:<>≤≥]\s?)$")
_MINUS_SIGNS = "\u2212\ufe63\uff0d"


@dataclass(frozen=True, slots=True)
class Number:
    """A number found in text: its value, the raw matched text, its [start, end) span and the
    bound written before it ("<", "≤", ">", "≥", "~", "≈" or "")."""

    value: float
    raw: str
    start: int
    end: int
    bound: str = ""


# Every notation understood: (name, example, values). tests/test_numbers.py checks each one.
NOTATIONS: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("decimal point", "DFS was 94.8%", (94.8,)),
    ("leading decimal point", "P < .0001", (0.0001,)),
    ("Lancet middle-dot decimal", "DFS 94·8% (P=0·003)", (94.8, 0.003)),
    ("decimal comma before a percent sign", "EFS 94,8 %", (94.8,)),
    ("comma thousands", "1,444 patients", (1444.0,)),
    ("thin-space thousands", "1\u2009444 patients", (1444.0,)),
    ("no-break-space thousands", "12\u00a0345 cells", (12345.0,)),
    ("percent with a space", "85 %", (85.0,)),
    ("hyphen range", "HR 0.41 (0.24-0.64)", (0.41, 0.24, 0.64)),
    ("en-dash range", "36–108 months", (36.0, 108.0)),
    ("range with 'to'", "1.01 to 1.35", (1.01, 1.35)),
    ("confidence interval", "HR 1.09; 95% CI, 0.89–1.35", (1.09, 95.0, 0.89, 1.35)),
    ("plus-minus", "44.1 ± 40.2", (44.1, 40.2)),
    ("Unicode minus sign", "difference −2.3 points", (-2.3,)),
    ("dash as a sign after a bracket", "(–0.5 to 1.2)", (-0.5, 1.2)),
    ("typographic hyphen in a compound", "3‐year EFS", (3.0,)),
    ("times ten to the power (caret)", "50×10^9 per liter", (5e10,)),
    ("times ten to the power (superscript)", "10×10⁹/L", (1e10,)),
    ("x as the times sign", "1.5x10^9/L", (1.5e9,)),
    ("negative superscript exponent", "MRD 10⁻⁴ or higher", (1e-4,)),
    ("negative caret exponent", "MRD of 10^−4", (1e-4,)),
    ("E notation", "1.2e-3 mg", (0.0012,)),
    ("bound below", "P<0.001", (0.001,)),
    ("bound at least", "MRD ≥ 0.01%", (0.01,)),
    ("approximately", "~20% of patients", (20.0,)),
    ("count of total", "2 of 62 (3.2%)", (2.0, 62.0, 3.2)),
    ("ratio with a slash", "12/45 responded", (12.0, 45.0)),
    ("unit exponent is not a number", "15 mg/m² per day", (15.0,)),
)


def mask_markers(text: str) -> str:
    """``text`` with citation markers blanked out (same length, so offsets are unchanged)."""
    return MARKER_RE.sub(lambda m: " " * len(m.group(0)), text)


def _prepare(text: str) -> str:
    """Same-length rewrites that fold() cannot make (they depend on the digits around)."""
    if text.isascii():
        return _DECIMAL_COMMA.sub(r"\1.", text)
    return _DECIMAL_COMMA.sub(r"\1.", _THIN_THOUSANDS.sub(",", text))


def _value(m: re.Match[str]) -> float:
    if m.group("mant") is not None:
        return float(m.group("mant").replace(",", "")) * 10.0 ** int(m.group("exp"))
    if m.group("exp2") is not None:
        return 10.0 ** int(m.group("exp2"))
    value = float(m.group("num").replace(",", ""))
    return value * 10.0 ** int(m.group("exp3")) if m.group("exp3") else value


def _negative(text: str, folded: str, at: int, display_at: int) -> bool:
    """Is the dash just before ``at`` (folded text) a sign?"""
    if at == 0 or folded[at - 1] != "-":
        return False
    if display_at > 0 and text[display_at - 1] in _MINUS_SIGNS:
        return True
    return bool(_SIGN_BEFORE.search(folded[max(0, at - 3) : at - 1]))


def extract_numbers(text: str) -> list[Number]:
    """All numbers in ``text`` in order of appearance (see the module rules)."""
    f = fold(_prepare(text))
    masked = mask_markers(f.text)
    out: list[Number] = []
    for m in _NUM_RE.finditer(masked):
        end = m.start("pct") if m.group("pct") is not None else m.end()
        if m.group("num") is not None and _CODE_TAIL_RE.match(masked, end):
            continue
        a, b = f.to_display(m.start(), m.end())
        value = _value(m)
        if _negative(text, masked, m.start(), a):
            value, a = -value, a - 1
        bound = _BOUND_RE.search(masked, max(0, m.start() - 3), m.start())
        out.append(Number(value, text[a:b], a, b, bound.group(1) if bound else ""))
    return out


def numbers_equal(a: float | Number, b: float | Number) -> bool:
    """The one number equality: equal values, whatever the notation (94.8 / 94.80 / 94·8,
    1444 / 1,444, 50×10^9 / 5e10). Bounds are not compared (use ``Number.bound``)."""
    x = a.value if isinstance(a, Number) else a
    y = b.value if isinstance(b, Number) else b
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _key(value: float) -> float:
    """Comparison key, consistent with :func:`numbers_equal` for values as printed."""
    if value == 0:
        return 0.0
    return float(f"{value:.9g}")


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
