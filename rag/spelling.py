"""Spelling: ordinary words and misspelt drug names are corrected; trial names never are.

Corrections come from the index's own words (symspellpy over them): a correction to a word the
index never uses would not help find anything. Whether a word is known at all is read from the
index, ``wordfreq`` (ordinary English) and a medical word list read from the system at run time
(Debian ``hunspell-en-med``: /usr/share/hunspell/en_med_glut.dic; GPL, never copied into the
project; missing -> said once, skipped).

- A misspelled word (known nowhere) within two edits of an index word is corrected
  ("diffrence" -> "difference").
- A real word the index does not use but spells one edit apart ("randomised", "leukaemia",
  "paediatric") is kept, and the index's spelling is searched too.
- Tokens with digits, identifiers and acronyms are never corrected: when one is unknown but
  close to a name the index uses ("AALL1371" for AALL1731), the question gets "Did you mean
  ...?" and the answer abstains until asked again (another number may be another trial).
- A drug-like word that is no real word (not English, not on the medical word list) with one
  nearest index word ("blinatumamab", "blinatumumab") is a misspelling of it and is corrected,
  shown as "Searched for"; a real drug name ("cetuximab" in an index that names rituximab) is
  never changed nor offered as another name, and a tie between two near names still asks
  "Did you mean ...?".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.entities import looks_like_identifier, norm
from rag.lexicon import IndexLexicon, stopwords, tokens

log = logging.getLogger("citeqa.spelling")
MEDICAL_WORDS = Path("/usr/share/hunspell/en_med_glut.dic")
_MAX_EDIT = 2


@lru_cache(maxsize=1)
def medical_words() -> frozenset[str]:
    """The system's medical word list (empty, said once, when it is not installed)."""
    if not MEDICAL_WORDS.exists():
        log.warning(
            "medical word list %s not installed (apt install hunspell-en-med)", MEDICAL_WORDS
        )
        return frozenset()
    words = set()
    for line in MEDICAL_WORDS.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        w = line.split("/")[0].strip().lower()
        if w.isalpha():
            words.add(w)
    return frozenset(words)


def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def is_ordinary(word: str) -> bool:
    return zipf(word) >= 2.5


def drug_like(tok: str, suffixes: tuple[str, ...]) -> bool:
    """A long word with a drug-name ending that is not ordinary English ("asparaginase",
    "tisagenlecleucel"; not "increase", "disease")."""
    low = tok.lower()
    return len(low) > 6 and low.endswith(suffixes) and not is_ordinary(low)


def _swap(text: str, word: str, new: str) -> str:
    """``text`` with the whole word ``word`` written as ``new``."""
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", new, text)


@dataclass(frozen=True)
class Correction:
    text: str  # misspellings corrected
    did_you_mean: tuple[str, ...]  # known names close to unknown name-like tokens
    variants: tuple[str, ...]  # the index's spelling of words it spells differently
    originals: tuple[str, ...] = ()  # the question's spelling of each of ``variants``


class Speller:
    """Corrections against the index, English and medical word lists (module docstring)."""

    def __init__(
        self,
        lexicon: IndexLexicon,
        names: Iterable[str],
        drug_suffixes: Iterable[str],
        variant_zipf: float,
        shorthand: Iterable[str] = (),
    ):
        """``variant_zipf``: real words rarer than this may be another spelling of an index
        word (randomised, leukaemia); commoner ones ("deal") are other words
        (``answer.variant_zipf``). ``shorthand``: the profile's own short forms ("nejm",
        "blina", "soc"), read in any case and never corrected."""
        from symspellpy import SymSpell

        self.lexicon = lexicon
        self.names = {norm(n): n for n in names}
        self.drug_suffixes = tuple(drug_suffixes)
        self.variant_zipf = variant_zipf
        self.shorthand = {w.lower() for w in shorthand}
        self.index_sym = SymSpell(max_dictionary_edit_distance=_MAX_EDIT, prefix_length=7)
        for w, n in lexicon.surface.items():
            if w.isalpha() and len(w) > 3:
                self.index_sym.create_dictionary_entry(w, n)
        self.medical = medical_words()

    def is_word(self, word: str) -> bool:
        """A real word: ordinary English or on the medical word list."""
        low = word.lower()
        return low in stopwords() or low in self.medical or is_ordinary(low)

    def correct(self, text: str) -> Correction:
        """``text`` with misspellings corrected, the index's spelling of real words it spells
        differently, and "did you mean" names for unknown names close to known ones."""
        did_you_mean: list[str] = []
        variants: list[str] = []
        originals: list[str] = []
        out = text
        for tok in dict.fromkeys(tokens(text)):
            if self._is_name(tok):
                near = self._near_names(tok)
                if self._misspelt_drug(tok, near):
                    out = _swap(out, tok, near[0])
                else:
                    did_you_mean += near
                continue
            if len(tok) < 4 or not tok.isalpha() or self.lexicon.knows(tok):
                continue
            if tok.lower() in self.shorthand:  # "nejm" is no misspelling of "team"
                continue
            word = self.is_word(tok)
            if word and zipf(tok) >= self.variant_zipf:
                continue  # a common word the index does not use: nothing to correct
            fix = self._suggest(tok.lower(), 1 if word else _MAX_EDIT)
            if not fix:
                continue
            if word:
                variants.append(fix)
                originals.append(tok)
            else:
                out = _swap(out, tok, fix)
        names = tuple(dict.fromkeys(did_you_mean))
        return Correction(out, names, tuple(variants), tuple(originals))

    def _is_name(self, tok: str) -> bool:
        return (
            any(ch.isdigit() for ch in tok)
            or looks_like_identifier(tok)
            or (len(tok) >= 2 and tok.isupper())
            or self._drug_like(tok)
        )

    def _drug_like(self, tok: str) -> bool:
        return drug_like(tok, self.drug_suffixes)

    def _misspelt_drug(self, tok: str, near: list[str]) -> bool:
        """A drug-like non-word with exactly one nearest index word (module docstring)."""
        return len(near) == 1 and not looks_like_identifier(tok) and self._drug_like(tok)

    def _near_names(self, tok: str) -> list[str]:
        """The known names nearest (at most two edits) to an unknown name-like token."""
        from symspellpy.editdistance import DistanceAlgorithm, EditDistance

        if norm(tok) in self.names or self.lexicon.knows(tok):
            return []
        if looks_like_identifier(tok):
            pool = {k: n for k, n in self.names.items() if any(c.isdigit() for c in k)}
            key = norm(tok)
        elif self._drug_like(tok) and not self.is_word(tok):  # a real drug is another drug
            pool = {w: w for w in self.lexicon.surface if w.isalpha() and len(w) > 6}
            key = tok.lower()
        else:
            return []
        dist = EditDistance(DistanceAlgorithm.DAMERAU_OSA)
        close = [(d, n) for k, n in pool.items() if (d := dist.compare(key, k, _MAX_EDIT)) >= 0]
        best = min((d for d, _ in close), default=-1)
        return sorted(n for d, n in close if d == best)

    def _suggest(self, word: str, max_edit: int) -> str:
        """The index word closest to ``word`` (the most frequent among the closest)."""
        from symspellpy import Verbosity

        hits = self.index_sym.lookup(word, Verbosity.TOP, max_edit_distance=max_edit)
        return str(hits[0].term) if hits else ""
