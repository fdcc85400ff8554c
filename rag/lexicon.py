"""Words of the question and of the index: tokens, stems, document frequencies, abbreviations.

``IndexLexicon`` is built once per store version from every indexed chunk (title, section and
text): the stemmed vocabulary with document frequencies (for IDF weights), the surface word
forms (for spelling), and the "long form (SHORT)" abbreviation pairs the documents define
(Schwartz & Hearst 2003, simplified), so a user's own folder brings its own abbreviations.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from citeqa.models import Chunk

# A word: letters (any script) or digits, with inner hyphens, apostrophes, dots between digits,
# "::" (gene fusions), "+" (Ph+) and "/" between letters kept whole.
_TOKEN = re.compile(r"[^\W_](?:[^\W_]|[-'’](?=[^\W_])|\.(?=\d)|::(?=\w)|/(?=[^\W\d_]))*\+?")
_PARTS = re.compile(r"[-'/]|::")  # where words() splits a compound
_NORM = re.compile(r"[\s\-.:_]")
_PAIR = re.compile(r"([^()\n]{3,160}?)\s*\(\s*([^()\s,;]{2,12})\s*\)")
_SHORT = re.compile(r"\(\s*[^()\s,;]{2,12}\s*\)")  # the "(SHORT)" that ends a _PAIR


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


STOPWORD_FILE = Path(__file__).resolve().parents[1] / "citeqa" / "profiles" / "stopwords-en.txt"


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """English function words: the Glasgow IR list (citeqa/profiles/stopwords-en.txt), the
    BM25 tokenizer's list, and question words and contractions."""
    from bm25s.stopwords import STOPWORDS_EN

    listed = [w.strip() for w in STOPWORD_FILE.read_text(encoding="utf-8").splitlines()]
    extra = (
        "what which who whom whose when where why how does did do can could would should will "
        "may might must shall without within among across through whether while although "
        "though unless toward towards despite onto beyond along upon around still yet either "
        "neither both each every anyone anything something nothing everyone vs versus per via "
        "whats what's im i'm ive i've dont don't doesnt doesn't isnt isn't wasnt wasn't its it's "
        "hes he's shes she's were we're theyre they're thats that's there's theres u ur pls plz "
        # the part before the apostrophe of "wasn't", "doesn't"... (words split it there)
        "wasn isn doesn didn aren weren hasn haven hadn couldn wouldn shouldn don ain mustn needn "
        "aren't weren't hasn't haven't hadn't didn't couldn't wouldn't shouldn't can't won't "
        "ain't mustn't needn't you're you've we've they've i'd you'd he'd she'd we'd they'd "
        "i'll you'll he'll she'll we'll they'll"
    )
    words = {w for w in listed if w and not w.startswith("#")}
    return frozenset(STOPWORDS_EN) | frozenset(extra.split()) | frozenset(words)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower()))


def tokens(text: str) -> list[str]:
    """Word tokens of ``text`` as written (unicode letters kept whole: "leucémie", "Gökbuget")."""
    return _TOKEN.findall(text)


def words(text: str) -> list[str]:
    """Lower-case word tokens with compound parts too ("relapse-free" -> relapse-free, relapse,
    free), as the BM25 tokenizer splits them."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        low = tok.lower().replace("’", "'")
        out.append(low)
        if "-" in low or "'" in low or "/" in low or ":" in low:
            parts = [p for p in _PARTS.split(low) if p]
            if len(parts) > 1:
                out.extend(parts)
    return out


def norm(name: str) -> str:
    """Comparison key of a name: lower case, hyphens, spaces, dots and colons removed."""
    return _NORM.sub("", name.lower())


def content_stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` (no stopwords, no one-letter words)."""
    return list(_content_stems(text))


@lru_cache(maxsize=16384)
def _content_stems(text: str) -> tuple[str, ...]:
    # the same units and passages come back question after question: their stems are kept
    stop = stopwords()
    return tuple(stem(w) for w in words(text) if len(w) > 1 and w not in stop and not w.isdigit())


@dataclass(frozen=True)
class Abbreviation:
    short: str
    long: str
    count: int


def _long_form(before: str, short: str) -> str:
    """The fewest words before "(SHORT)" that spell it: the first word starts with its first
    letter and every letter occurs in order (Schwartz & Hearst 2003)."""
    ws = before.split()
    letters = [c.lower() for c in short if c.isalpha()]
    if not letters or len(ws) == 0:
        return ""
    window = ws[-min(len(ws), len(letters) + 5) :]
    for start in reversed(range(len(window))):  # the shortest long form that spells it
        cand = window[start:]
        if cand[0][:1].lower() != letters[0]:
            continue
        text = " ".join(cand).lower()
        if _spells(letters, text):
            return " ".join(cand).strip(" ,;:")
    return ""


def _spells(letters: list[str], text: str) -> bool:
    """Every letter of the short form occurs in order in ``text``, the last one inside it."""
    i = len(text) - 1
    for ch in reversed(letters):
        i = text.rfind(ch, 0, i + 1)
        if i < 0:
            return False
        i -= 1
    return True


def mine_abbreviations(texts: Iterable[str]) -> dict[str, Abbreviation]:
    """``{SHORT: Abbreviation}`` defined in ``texts`` as "long form (SHORT)" (most frequent
    long form wins)."""
    seen: Counter[tuple[str, str]] = Counter()
    for text in texts:
        seen.update(abbreviation_pairs(text))
    return best_abbreviations(seen)


def abbreviation_pairs(text: str) -> list[tuple[str, str]]:
    """The ``(SHORT, long form)`` pairs ``text`` defines, in order (one per definition)."""
    out = []
    for m in pair_matches(text):
        short = m.group(2).strip()
        if not any(c.isupper() for c in short) or short.lower() in stopwords():
            continue
        long = _long_form(m.group(1), short)
        if long and len(long) > len(short) + 2:
            out.append((short, long.lower()))
    return out


def pair_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_PAIR.finditer(text)``, found fast: the pattern is only tried in a
    window before each "(SHORT)" (its long form is at most 160 characters and then spaces),
    instead of from every character of the text. Same matches, same order."""
    pos = 0
    for m in _SHORT.finditer(text):
        q = m.start()
        if q < pos:
            continue
        w = q
        while w > pos and text[w - 1].isspace():
            w -= 1
        hit = _PAIR.search(text, max(pos, w - 160), m.end())
        if hit is not None:
            yield hit
            pos = hit.end()


def best_abbreviations(seen: Counter[tuple[str, str]]) -> dict[str, Abbreviation]:
    """``{SHORT: Abbreviation}`` from pair counts (the most frequent long form wins; ties:
    the pair counted first)."""
    best: dict[str, Abbreviation] = {}
    for (short, long), n in seen.most_common():
        if short not in best:
            best[short] = Abbreviation(short, long, n)
    return best


@dataclass
class IndexLexicon:
    """Vocabulary statistics of the indexed chunks (see the module docstring)."""

    n_docs: int = 0
    df: Counter[str] = field(default_factory=Counter)  # stem -> chunks containing it
    surface: Counter[str] = field(default_factory=Counter)  # lower-case word -> occurrences
    abbreviations: dict[str, Abbreviation] = field(default_factory=dict)

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> IndexLexicon:
        lex = cls(n_docs=len(chunks))
        titles = {}
        for c in chunks:
            text = f"{c.meta.title}\n{c.section}\n{c.match()}"
            ws = words(text)
            lex.surface.update(ws)
            lex.df.update({stem(w) for w in ws})
            titles[c.doc_id] = c.meta.title
        lex.abbreviations = mine_abbreviations(
            [c.text for c in chunks] + [t for t in titles.values() if t]
        )
        return lex

    @cached_property
    def normalized(self) -> frozenset[str]:
        """:func:`norm` of every surface word (computed once; a lexicon is not changed after
        it is built)."""
        return frozenset(norm(w) for w in self.surface)

    def idf(self, stem_: str) -> float:
        """BM25-style inverse document frequency of a stem (rare terms weigh more)."""
        n = self.df.get(stem_, 0)
        return math.log(1.0 + (self.n_docs - n + 0.5) / (n + 0.5))

    def knows(self, word: str) -> bool:
        """Whether the index uses ``word`` (as written, or its stem)."""
        low = word.lower()
        return low in self.surface or stem(low) in self.df


def says(cues: Iterable[str], text: str) -> bool:
    """Whether ``text`` says one of ``cues`` (whole words; lower-case cues in any case)."""
    low = f" {' '.join(words(text))} {text.lower()} "
    for cue in cues:
        pat = re.escape(cue) if not cue[0].isalnum() else rf"(?<![\w-]){re.escape(cue)}(?![\w-])"
        if re.search(pat, low if cue.islower() else f" {text} "):
            return True
    return False
