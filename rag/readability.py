"""Readability scores for plain-language text: Flesch-Kincaid grade and Flesch reading ease.

Pure and offline (pyphen ships its dictionaries; ``textstat`` is not used because it downloads
NLTK data). The counting rules, chosen to be simple, documented and slightly strict:

Text clean-up
    A leading YAML front matter block (``---`` ... ``---``) is dropped. Markdown syntax is
    removed: heading hashes, list and quote markers, emphasis marks, inline code ticks, table
    pipes and rules, HTML tags; links keep their text, bare URLs are dropped.

Sentences
    Every heading line, list item and table row is its own sentence (they are read as units
    and carry no full stop). Running text is split after ``.``, ``!`` or ``?`` when followed
    by white space or the end of the text, so decimals such as ``94.8`` do not split. A
    sentence without any word is not counted.

Words
    White-space separated tokens that contain a letter or a digit. Hyphenated or slashed
    compounds (``disease-free``, ``4-year``, ``ug/m2/day``) are one word whose syllables are
    the sum of their parts. Apostrophes are dropped (``child's`` -> ``childs``).

Syllables
    * Letters: the larger of pyphen's en_US hyphenation count and a vowel-group heuristic.
      Both mostly under-count (pyphen will not split short words or word ends: "fever",
      "medicine", "leukemia"); taking the larger errs towards a higher, stricter grade.
    * Acronyms of 2-4 capital letters (``MRD``, ``CRS``, ``IV``) are read letter by letter:
      one syllable per letter. Longer capitalised tokens (``ICANS``) are read as words.
    * Numbers (``94.8``, ``1,444``) count as one syllable; a ``%`` sign adds the two
      syllables of "percent". This under-states long spoken numbers, so plain-language text
      should use few of them.

Empty text (no words) scores 0.0 rather than raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>+\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HTML = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`+)")
_UNDERSCORE_EMPH = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_PART = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*|[.,]\d+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
_HIATUS = re.compile(r"(?<![tsc])i[ao]|iu")
_ACRONYM = re.compile(r"^[A-Z]{2,4}$")


@dataclass(frozen=True, slots=True)
class TextStats:
    """Counts behind the readability formulas."""

    sentences: int
    words: int
    syllables: int


@lru_cache(maxsize=1)
def _pyphen() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def _silent_ending(w: str) -> bool:
    """Final silent 'e' ("make"), '-ed' not after t/d ("called"), '-es' not after a sibilant."""
    if w.endswith("e"):
        return not re.search(r"[^aeiouy]le$", w) and not w.endswith("ee")
    if w.endswith("ed") and len(w) > 3:
        return w[-3] not in "td"
    if w.endswith("es") and len(w) > 3:
        return not re.search(r"(?:[sxzgc]|ch|sh)es$", w)
    return False


def _heuristic_syllables(word: str) -> int:
    """Vowel groups, minus silent endings, plus common two-vowel hiatuses ("leukemia")."""
    w = word.lower()
    if w.startswith("y"):
        w = w[1:]
    count = len(_VOWEL_GROUP.findall(w))
    if count > 1 and _silent_ending(w):
        count -= 1
    count += len(_HIATUS.findall(w))
    return max(1, count)


@lru_cache(maxsize=8192)
def _alpha_syllables(word: str) -> int:
    if _ACRONYM.match(word):
        return len(word)
    lower = word.lower()
    try:
        by_pyphen = len(_pyphen().positions(lower)) + 1
    except Exception:  # pragma: no cover - dictionary missing: heuristic alone
        by_pyphen = 1
    return max(by_pyphen, _heuristic_syllables(lower))


def syllables(word: str) -> int:
    """Syllables in one word or compound token (0 if it holds no letter or digit)."""
    token = word.replace("'", "").replace("\u2019", "")
    total = 0
    for part in _PART.findall(token):
        total += 1 if part[0].isdigit() or part[0] in ".," else _alpha_syllables(part)
    if total and "%" in token:
        total += 2
    return total


def _clean_line(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    line = _URL.sub(" ", line)
    line = _HTML.sub(" ", line)
    line = _EMPHASIS.sub("", line)
    line = _UNDERSCORE_EMPH.sub("", line)
    return " ".join(line.replace("|", " ").split())


def _is_unit_line(line: str) -> bool:
    """Headings, list items and table rows are sentences on their own."""
    return bool(_HEADING.match(line) or _LIST_ITEM.match(line) or line.lstrip().startswith("|"))


def split_sentences(text: str) -> list[str]:
    """Sentences of (markdown) text after clean-up, following the module's rules."""
    body = _FRONT_MATTER.sub("", text, count=1)
    units: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            units.extend(_SENTENCE_END.split(" ".join(paragraph)))
            paragraph.clear()

    in_code = False
    for raw in body.splitlines():
        if raw.strip().startswith("```"):
            in_code = not in_code
            flush()
            continue
        if in_code or _TABLE_RULE.match(raw) or _HR.match(raw):
            continue
        if not raw.strip():
            flush()
            continue
        if _is_unit_line(raw):
            flush()
            stripped = _QUOTE.sub("", _LIST_ITEM.sub("", _HEADING.sub("", raw)))
            units.extend(_SENTENCE_END.split(_clean_line(stripped)))
            continue
        paragraph.append(_clean_line(_QUOTE.sub("", raw)))
    flush()
    return [u.strip() for u in units if _words(u)]


def _words(sentence: str) -> list[str]:
    return [t for t in sentence.split() if any(c.isalnum() for c in t)]


@lru_cache(maxsize=8192)  # the same units are graded question after question
def text_stats(text: str) -> TextStats:
    """Sentence, word and syllable counts of ``text``."""
    n_sent = n_words = n_syl = 0
    for sentence in split_sentences(text):
        words = _words(sentence)
        n_sent += 1
        n_words += len(words)
        n_syl += sum(max(1, syllables(w)) for w in words)
    return TextStats(sentences=n_sent, words=n_words, syllables=n_syl)


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level: 0.39*words/sentences + 11.8*syllables/words - 15.59."""
    s = text_stats(text)
    if s.words == 0:
        return 0.0
    return 0.39 * s.words / s.sentences + 11.8 * s.syllables / s.words - 15.59


def reading_ease(text: str) -> float:
    """Flesch reading ease: 206.835 - 1.015*words/sentences - 84.6*syllables/words."""
    s = text_stats(text)
    if s.words == 0:
        return 0.0
    return 206.835 - 1.015 * s.words / s.sentences - 84.6 * s.syllables / s.words
