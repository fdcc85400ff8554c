"""Text normalisation: the one place that decides how typography is folded for matching.

Two texts exist for every passage (see ``citeqa.models.Chunk``):

- the **display text**: verbatim from the source (what a quote shows), except that exponents
  the source marks up (``10<sup>9</sup>``, MathML ``msup``, raised small PDF glyphs) are written
  ``10^9`` before anything else, so they never flatten into ``109``;
- the **match text**: ``fold(display)``, which matching, BM25, embeddings and number checks
  use. Folding replaces ligatures (``ﬁ`` -> ``fi``), special spaces (no-break, thin, figure...)
  by a space, drops zero-width characters and soft hyphens, turns typographic hyphens and
  dashes, the minus sign and the Lancet decimal point (``94·8``) into ASCII, superscript and
  subscript digits into ``^9`` / plain digits, and curly quotes into straight ones. It is not
  blanket NFKC: NFKC turns ``10⁹`` into ``109`` and ``µ`` into ``μ``; here ``µ`` is kept and the
  Greek ``μ`` is folded to it.

``fold`` returns a :class:`Folded` with an offset map, so a span found in the match text maps
back to the display text (``Folded.to_display``) and the other way round (``to_match``).
The map is stored compactly as breakpoints ``(match_offset, display_offset)``: between two
breakpoints both texts advance together.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# One display character -> its match-text replacement (may be longer, or "" to drop it).
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))
FOLD: dict[str, str] = {
    # ligatures
    "ﬀ": "ff",
    "ﬁ": "fi",
    "ﬂ": "fl",
    "ﬃ": "ffi",
    "ﬄ": "ffl",
    "ﬅ": "st",
    "ﬆ": "st",
    # spaces (no-break, en/em quads and spaces, thin, hair, figure, narrow no-break, ideographic)
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009", " "),
    **dict.fromkeys("\u200a\u202f\u205f\u3000", " "),
    # invisible: soft hyphen, zero-width space/joiners, word joiner, BOM
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
    # hyphens, dashes and minus signs
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
    # decimal point written as a middle dot (Lancet style) or one-dot leader
    "·": ".",
    "\u2024": ".",
    # quotes and primes
    **dict.fromkeys("‘’‚‛′", "'"),
    **dict.fromkeys("“”„‟″", '"'),
    # letters that look alike: Greek mu -> micro sign (the sign is what units use)
    "μ": "µ",
    # operators written in several ways
    "⩽": "≤",
    "⩾": "≥",
    **_SUBSCRIPTS,
}
_SUPER_RUN = re.compile("[" + "".join(_SUPERSCRIPTS) + "]+")
_FOLD_RE = re.compile(_SUPER_RUN.pattern + "|[" + re.escape("".join(FOLD)) + "]")


def _caret(run: str) -> str:
    return "^" + "".join(_SUPERSCRIPTS[c] for c in run)


@dataclass(frozen=True, slots=True)
class Folded:
    """A match text and its map back to the display text it was folded from.

    ``breaks``: sorted ``(match_offset, display_offset)`` pairs; from one break to the next
    both texts advance by one character per character. ``display_len`` closes the map."""

    text: str
    breaks: tuple[tuple[int, int], ...]
    display_len: int

    def _display_at(self, i: int) -> int:
        if not self.breaks:
            return min(i, self.display_len)
        k = bisect.bisect_right(self.breaks, (i, self.display_len + 1)) - 1
        if k < 0:
            return min(i, self.display_len)
        m, d = self.breaks[k]
        cap = self.breaks[k + 1][1] if k + 1 < len(self.breaks) else self.display_len
        return min(d + (i - m), cap)

    def to_display(self, start: int, end: int) -> tuple[int, int]:
        """The display span ``[a, b)`` of the match-text span ``[start, end)``; a span ending
        inside an expansion (the ``f`` of a folded ``ﬁ``) takes the whole source character."""
        a = self._display_at(start)
        b = self._display_at(end) if end > start else a
        return a, max(a, b)

    def to_match(self, start: int, end: int) -> tuple[int, int]:
        """The match span of the display span ``[start, end)`` (inverse of ``to_display``)."""
        if not self.breaks:
            return start, end
        disp = [d for _, d in self.breaks]

        def at(j: int) -> int:
            k = bisect.bisect_right(disp, j) - 1
            if k < 0:
                return j
            m, d = self.breaks[k]
            return m + (j - d)

        return at(start), max(at(start), at(end))


def fold(text: str) -> Folded:
    """Fold ``text`` into match text with its offset map (see the module docstring)."""
    if text.isascii():
        return Folded(text, (), len(text))
    out: list[str] = []
    breaks: list[tuple[int, int]] = []
    last = 0
    m_pos = 0
    for m in _FOLD_RE.finditer(text):
        i, j, src = m.start(), m.end(), m.group(0)
        out.append(text[last:i])
        m_pos += i - last
        rep = _caret(src) if src[0] in _SUPERSCRIPTS else FOLD[src]
        last = j
        if len(rep) == len(src):  # one for one: offsets stay aligned
            out.append(rep)
            m_pos += len(rep)
            continue
        # the replacement maps to the display span [i, j); what follows maps on from j
        breaks.append((m_pos, i))
        out.append(rep)
        m_pos += len(rep)
        breaks.append((m_pos, j))
    out.append(text[last:])
    return Folded("".join(out), tuple(breaks), len(text))


def match_text(text: str) -> str:
    """Only the folded text (no map)."""
    return fold(text).text


def superscript_to_caret(text: str) -> str:
    """Display form of superscript characters: ``10⁹`` -> ``10^9``, ``10⁻⁴`` -> ``10^-4``.
    Used by loaders that turn markup into text; the display text then never hides an exponent."""
    return _SUPER_RUN.sub(lambda m: _caret(m.group(0)), text)


_HYPHEN_CHARS = "\u2010\u2011"


def plain_hyphens(text: str) -> str:
    """``text`` with typographic hyphens (U+2010, U+2011) as ASCII ``-`` (same length)."""
    return text.translate({ord(c): "-" for c in _HYPHEN_CHARS})
