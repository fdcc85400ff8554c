"""Is a question written in a language other than English? (Conservative by design.)

``detect_language(text, vocabulary_known)`` returns an ISO 639-1 code ("es", "fr", ...) only when
all of these hold, and None otherwise:

1. the text has at least ``MIN_WORDS`` (6) words of letters (tokens with digits, single
   letters and shorthand such as ``w/`` or ``MRD>=0.01%`` are not words here);
2. at most ``MAX_KNOWN_SHARE`` of its longer words (``MIN_LETTERS`` letters or more) are known
   to ``vocabulary_known``, the caller's test for English, medical and index words
   (abbreviations and drug names count as known there). Short words are left out of this share:
   English word lists also hold the short function words of other languages ("de", "los",
   "son", "en"), which would make a Spanish question look mostly English;
3. lingua (a maintained n-gram language detector) names one non-English language with a
   relative confidence of at least ``MIN_CONFIDENCE`` (0.6) and gives English at most
   ``MAX_ENGLISH`` (0.05).

Terse clinical shorthand ("aall1731 4y dfs blina vs chemo?") therefore never counts as another
language: it fails 1 or 2 before the detector is asked. The detector's language models are
loaded once, on first use (about 1 s).

A question in another language is answered from the retrieved passages written in that
language (:func:`passages_in`), when the index has any; otherwise it is declined in it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

MIN_WORDS = 6
MAX_KNOWN_SHARE = 0.5  # at most this share of the longer words may be known English/medical/index
MIN_LETTERS = 4  # words this long or longer count for the known share
MIN_CONFIDENCE = 0.6  # the detector's relative confidence in the best language
MAX_ENGLISH = 0.05  # ... and at most this for English
PASSAGE_CHARS = 600  # a passage's language is read from its beginning
T = TypeVar("T")
# Languages the detector chooses among: English plus widely written languages. Languages whose
# models match English shorthand and drug names by chance (measured on the dev questions:
# Swahili, Tagalog) are left out; a small set keeps short texts from a rare language by chance.
LANGUAGES = (
    "ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE", "ITALIAN", "DUTCH", "POLISH",
    "ROMANIAN", "TURKISH", "RUSSIAN", "UKRAINIAN", "ARABIC", "PERSIAN", "HINDI", "BENGALI",
    "URDU", "CHINESE", "JAPANESE", "KOREAN", "VIETNAMESE", "GREEK", "HEBREW",
)  # fmt: skip

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # letters only (any script)
_TOKEN = re.compile(r"\S+")
# Scripts written without spaces between words: each character counts as one word.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LOCK = threading.Lock()
_DETECTOR: list[Any] = []


def words(text: str) -> list[str]:
    """The words of ``text`` that count for detection: whole tokens made of letters (any
    script), lower-cased. Tokens with digits or symbols inside (``aall1731``, ``4y``,
    ``MRD>=0.01%``, ``w/``) are left out; trailing punctuation is ignored. In Chinese,
    Japanese and Korean text each character counts as a word."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if _UNSPACED.search(token):
            out.extend(_UNSPACED.findall(token))
            continue
        core = token.strip(".,;:!?¿¡()[]{}\"'«»“”‘’…")
        if core and _WORD.fullmatch(core):
            out.append(core.lower())
    return out


def _detector() -> Any:
    with _LOCK:
        if not _DETECTOR:
            from lingua import Language, LanguageDetectorBuilder

            langs = [getattr(Language, name) for name in LANGUAGES]
            _DETECTOR.append(LanguageDetectorBuilder.from_languages(*langs).build())
        return _DETECTOR[0]


def detect_language(text: str, vocabulary_known: Callable[[str], bool]) -> str | None:
    """The ISO 639-1 code of ``text``'s language when it is confidently not English, else None.

    ``vocabulary_known(word)`` tells whether a lower-cased word is an English, medical or index
    word. See the module docstring for the rules; never raises for any text."""
    ws = words(text)
    if len(ws) < MIN_WORDS:
        return None
    longer = [w for w in ws if len(w) >= MIN_LETTERS or _UNSPACED.fullmatch(w)]
    if not longer or sum(1 for w in longer if vocabulary_known(w)) / len(longer) > MAX_KNOWN_SHARE:
        return None
    values = _detector().compute_language_confidence_values(" ".join(ws))
    if not values:
        return None
    best = values[0]
    english = next((v.value for v in values if v.language.name == "ENGLISH"), 0.0)
    if best.language.name == "ENGLISH" or best.value < MIN_CONFIDENCE or english > MAX_ENGLISH:
        return None
    return str(best.language.iso_code_639_1.name.lower())


def passages_in(passages: Sequence[T], code: str, known: Callable[[str], bool]) -> list[T]:
    """The ``passages`` (anything with ``.chunk.text``) written in language ``code``, by the
    same test as questions (their first ``PASSAGE_CHARS`` characters), in their order."""
    return [p for p in passages if detect_language(p.chunk.text[:PASSAGE_CHARS], known) == code]  # type: ignore[attr-defined]
