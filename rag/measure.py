"""What a figure asked for counts: the *measure* of "what % of kids had seizures", "rate of
grade 3+ infections", "isolated CNS relapse %".

A sentence that gives a percentage about the right study but counts something else ("the
4-year cumulative incidence of relapse was 4.4%") does not answer a question about seizures.
The measure is read next to a word asking for a rate, count or median: the words after it
("rate of X", "% of kids who had X", "median follow-up", up to the next preposition or
punctuation) or the words just before it ("X rate", "X %"). Its *head* is its last content
word ("infections" of "grade 3+ infections"). It is a hard slot: a unit whose sentence and
context use neither the head nor a word of its long form or synonyms does not answer
(rag/binding.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from rag.lexicon import content_stems, stem

_STAT = {"%", "percent", "percentage", "proportion", "rate", "rates", "incidence", "frequency"}
_AFTER_ONLY = {"how many", "number of", "risk of"}
_SKIP = {"of", "the", "a", "an", "who", "that", "which", "had", "got", "have", "has", "did",
         "developed", "experienced", "needed", "needing", "with", "went", "on", "to", "were",
         "proceeding", "proceeded", "going", "became", "become", "achieved", "reached",
         "was", "kids", "children", "child", "patients", "pts", "people", "adults", "subjects",
         "participants", "infants", "any", "all"}  # fmt: skip
_STOP = {"in", "during", "for", "with", "among", "by", "after", "before", "on", "at", "vs",
         "versus", "compared", "between", "from", "of", "per", "and", "or", "while", "the",
         "what", "was", "were", "is", "are", "how", "did", "does", "a", "an", "to", "than",
         "overall", "total", "their", "his", "her", "each", "both", "arm", "arms", "higher",
         "lower", "more", "less", "above", "below", "worse", "better", "high", "low",
         # how a rate was estimated, not what it counts ("pooled incidence of X")
         "pooled", "cumulative", "crude", "adjusted", "unadjusted", "annual", "estimated",
         "weighted", "observed"}  # fmt: skip
_TOKEN = re.compile(r"%|[A-Za-z0-9](?:[\w+/≥-]|:(?=[\w:]))*|[,?.;:()]")  # "BCR::ABL1", "blin:"


_ARTICLES = {"a", "an", "the"}
_HAVING = _SKIP - _STOP  # verbs of having and words of people ("got", "had", "kids")
_OPENING = _STOP - _SKIP  # words that end a measure even before its first word


def _after(toks: list[str], i: int) -> list[str]:
    j = i
    out: list[str] = []
    while j < len(toks) and len(out) < 4:
        t = toks[j].lower()
        # an article after a verb of having goes on ("got an infection", "had a seizure")
        had = t in _ARTICLES and j > i and toks[j - 1].lower() in _HAVING
        if not had and (
            not re.match(r"[\w%]", t) or (out and t in _STOP) or (not out and t in _OPENING)
        ):
            break
        if t not in _SKIP:
            out.append(toks[j])
        j += 1
    return out


def _before(toks: list[str], i: int) -> list[str]:
    out: list[str] = []
    j = i - 1
    while j >= 0 and len(out) < 3 and toks[j].lower() not in _STOP | _SKIP:
        if not re.match(r"\w", toks[j]):
            break
        out.insert(0, toks[j])
        j -= 1
    return out


def measure_phrases(text: str) -> list[str]:
    """The measures ``text`` asks a figure of, as written ("seizures", "grade 3+
    infections"), in order."""
    toks = _TOKEN.findall(text)
    low = [t.lower() for t in toks]
    found: list[list[str]] = []
    for i, t in enumerate(low):
        pair = " ".join(low[i : i + 2])
        if pair in _AFTER_ONLY:
            found.append(_after(toks, i + 2))
        elif t == "median":  # "median follow-up": a median of what (its first words only:
            found.append(_after(toks, i + 1)[:2])  # "median f/u nejm report" names a report)
        elif t in _STAT and not (t == "%" and i and low[i - 1][-1].isdigit()):  # "0.01%"
            if t == "%" or low[i + 1 : i + 2] == ["of"]:
                found.append(_after(toks, i + 1))
            found.append(_before(toks, i))
    out: list[str] = []
    for words in found:
        phrase = " ".join(w for w in words if w.lower() not in _STAT)
        if phrase and phrase.lower() not in (p.lower() for p in out):
            out.append(phrase)
    return out


@dataclass(frozen=True)
class Measure:
    """One measure asked for: as written, and per content word its alternatives (each a
    tuple of stems that must all be used: the word itself, its long form, its synonyms)."""

    written: str
    words: tuple[tuple[tuple[str, ...], ...], ...]

    def covered(self, have: Collection[str]) -> bool:
        """Whether a text using the stems ``have`` names this measure: at least half of its
        words ("advanced disease" in "the incidence of advanced gastric cancer")."""
        said = sum(any(all(s in have for s in alt) for alt in word) for word in self.words)
        return 2 * said >= len(self.words)


def measures_of(
    text: str,
    exclude: Collection[str],
    long_forms: Mapping[str, str],
    groups: Sequence[tuple[tuple[str, ...], ...]],
) -> tuple[Measure, ...]:
    """The measures of ``text`` (:func:`measure_phrases`) without the stems of ``exclude``
    (study names, generic words), numbers and grades (the grade scope is its own slot);
    ``long_forms``: abbreviation (as written, or general shorthand in lower case) -> long
    form; ``groups``: synonym groups as
    stems per phrase."""
    out = []
    for phrase in measure_phrases(text):
        words = []
        for w in re.findall(r"[A-Za-z][\w+/:-]*", phrase):
            s = stem(w.lower())
            if s in exclude or "grade" in s or re.search(r"\d", w) or not content_stems(w):
                continue
            alts = {tuple(content_stems(w))}
            long = long_forms.get(w) or long_forms.get(w.lower())
            if long:
                alts.add(tuple(content_stems(long)))
            for group in groups:
                if any(s in phrase_ for phrase_ in group):
                    alts |= set(group)
            words.append(tuple(sorted(alts)))
        if words:
            out.append(Measure(phrase, tuple(words)))
    return tuple(out)
