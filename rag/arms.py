"""Sides the question names itself: the arms or subgroups of one study compared ("SR-avg vs
SR-high", "control arms vs blina arms", "between SR-average and SR-high"), as rows of the
comparison table (rag/compare.py).

- :func:`named_sides`: the words on either side of "vs", "versus", "compared with/to", or the
  two parts of "between A and B", each cut at the nearest punctuation or preposition, without
  the outcome, time-point, study and number words the table already shows as columns; each
  side keeps the stems only it has (its *keys*; all of its own when the other side holds them
  all: "blina+chemo vs chemo"), shorthand read in its long form ("blina" -> blinatumomab).
- A quoted sentence often gives both sides ("94.8% in the blinatumomab arms versus 86.9% with
  chemotherapy alone"): :func:`owned_segments` cuts it at "versus", "whereas", "while" and "; "
  and gives each side the segments whose first figure lies nearest one of its keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from citeqa.domain import Vocabulary
from rag.lexicon import content_stems, stem
from rag.timepoint import time_points

_MARK = re.compile(r"\s+(?:vs\.?|versus|compared (?:with|to))\s+", re.I)
_BETWEEN = re.compile(r"\bbetween\s+(.+?)\s+and\s+(.+)", re.I)
_BOUNDARY = re.compile(
    r"[:;,?()\[\]]|\s[-–—]\s|\b(?:in|for|among|at|from|of|between|was|were|and|or|but)\b", re.I
)
_SEGMENT = re.compile(r"\s+(?:versus|vs\.?|compared with)\s+|,\s*(?:whereas|while)\s+|;\s+", re.I)
_TOKEN = re.compile(r"[\w≥≤<>%.+/-]+")
_FIGURE = re.compile(r"\d")
_JOINED = re.compile(r"(?<=\w)[+/](?=\w)")
_COMMON = {"arm", "group", "patient", "pt", "kid", "child", "children", "onli", "both", "cohort"}
_COMMON |= {"total", "overal", "whole", "entir"}  # the whole group: no side of its own
_COMMON |= {"alon", "one", "those", "like"}  # "chemo alone" is the chemo-only side
# one group of people named by what they got: "the ones who only got chemo", "kids on blina",
# "the control arm"
_WHO = r"(?:ones?|those|kids?|child(?:ren)?|patients?|pts|people|infants?|adults?)"
_GOT = r"(?:got|get|gets|received|receive|were on|was on|are on|on|with|given|getting)"
_GROUP = re.compile(
    rf"\b{_WHO}(?:\s+like\s+\w+)?\s+(?:(?:who|that)\s+)?(?:(?:only|just)\s+)?{_GOT}\s+(?P<got>.+)"
    r"|\bthe\s+(?P<named>[\w+/-]+(?:\s+[\w+/-]+)?)\s+(?:arms?|groups?|cohorts?)\b",
    re.I,
)
_MAX_WORDS = 3
# one subgroup a question asks about by name: "for the SR-high group", "within the SR-average
# subgroup of AALL1731", "the EOI MRD >= 0.01% subgroup" (not "each group", "a facebook group",
# nor "the EPIC cohort": a cohort is often a whole study)
_NP = r"[\w≥≤<>=%.+/-]+(?:\s+[\w≥≤<>=%.+/-]+){0,2}?"
_SUBGROUP = re.compile(
    rf"\b(?:for|in|within|among|of)\s+the\s+(?P<named>{_NP})\s+(?:sub)?groups?\b"
    rf"|\b(?:the|a|an)\s+(?P<sub>{_NP})\s+subgroups?\b",
    re.I,
)


Outcome = tuple[str, str]  # an outcome as (short form, long form): ("OS", "overall survival")


def says_outcome(text: str, outcome: Outcome) -> bool:
    """Whether ``text`` names ``outcome``: its short form as a word, or its long form."""
    short, long = outcome
    return bool(re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text)) or long in text.lower()


def outcomes_by_study(
    text: str, studies_in: Callable[[str], list[str]], outcomes: Sequence[Outcome]
) -> tuple[tuple[str, tuple[Outcome, ...]], ...]:
    """Studies compared with an outcome each ("CR rate in TOWER vs complete MRD response in
    BLAST": an outcome named after the first "vs"): for each part of ``text`` naming one
    study, that study and the outcomes named in the part. () when every outcome is asked of
    every study ("DFS: AALL1731 vs E1910")."""
    parts = _MARK.split(text)
    if len(parts) < 2 or not any(says_outcome(p, o) for p in parts[1:] for o in outcomes):
        return ()
    out = []
    for part in parts:
        named = set(studies_in(part))
        if len(named) == 1:
            out.append((named.pop(), tuple(o for o in outcomes if says_outcome(part, o))))
    return tuple(out)


@dataclass(frozen=True)
class NamedSide:
    """One side as the question names it: ``label`` (its own words) and ``keys`` (the stems
    only this side has)."""

    label: str
    keys: frozenset[str]
    words: tuple[tuple[frozenset[str], ...], ...] = ()  # per word, the stem sets naming it

    def named_in(self, text: str) -> bool:
        """``text`` names every word of the side (shared ones too: "EGFR wild-type" is not
        named by "wild-type KRAS"), a compound whole or by its parts, shorthand or long."""
        have = set(content_stems(text))
        return all(any(alt <= have for alt in alts) for alts in self.words)


def named_sides(
    text: str,
    drop: Callable[[str], bool],
    long_forms: Mapping[str, str],
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> list[NamedSide]:
    """The two sides ``text`` compares, or [] when it names no two distinct sides.
    ``drop(word)``: the word is shown elsewhere in the table (an outcome, a time point, a
    study); ``long_forms``: lower-case shorthand -> long form; ``synonyms``: lower-case word
    -> the words that name it too ("boys": male)."""
    between = _BETWEEN.search(text)
    mark = _MARK.search(text)
    if mark and len(_MARK.findall(text)) == 1:
        left, right = text[: mark.start()], text[mark.end() :]
    elif between:
        left, right = between.group(1), between.group(2)
    else:
        return []
    after = _side(_BOUNDARY.split(right)[0], drop)[:_MAX_WORDS]
    before = _side(_BOUNDARY.split(left)[-1], drop)
    sides = [_last(before, sum(bool(_stems([w], long_forms)) for w in after), long_forms), after]
    stems = [_stems(words, long_forms) for words in sides]
    if not all(stems) or stems[0] == stems[1]:
        return []
    # a side inside the other ("blina+chemo vs chemo") keeps its own words
    keys = [(stems[0] - stems[1]) or stems[0], (stems[1] - stems[0]) or stems[1]]
    return [
        NamedSide(" ".join(w), frozenset(k), _words(w, long_forms, synonyms or {}))
        for w, k in zip(sides, keys, strict=True)
    ]


def _words(
    words: list[str], long_forms: Mapping[str, str], synonyms: Mapping[str, Sequence[str]]
) -> tuple[tuple[frozenset[str], ...], ...]:
    """Per word of a side that names something, the stem sets that name it: the compound's
    stem, its parts' stems, and the same of its long form and synonyms."""
    out = []
    for part in (p for w in words for p in _JOINED.split(w)):
        forms = [part, long_forms.get(part.lower(), part), *synonyms.get(part.lower(), ())]
        alts = {a for f in forms for a in _alternatives(f)}
        if alts:
            out.append(tuple(sorted(alts, key=sorted)))
    return tuple(out)


def _alternatives(text: str) -> list[frozenset[str]]:
    own = set(content_stems(text)) - _COMMON
    compounds = frozenset(s for s in own if "-" in s)
    return [x for x in (compounds, frozenset(own - compounds)) if x]


def asked_sides(text: str, vocab: Vocabulary, shown: Callable[[str], bool]) -> list[NamedSide]:
    """:func:`named_sides` of a question, with the profile's shorthand read in its long form
    and without its statistic, generic and time-point words, nor those ``shown`` says are
    shown elsewhere (the outcomes and studies asked)."""
    drop, short, synonyms = _profile_words(vocab, shown)
    return named_sides(text, drop, short, synonyms)


def group_side(text: str, vocab: Vocabulary, shown: Callable[[str], bool]) -> NamedSide | None:
    """The one group a message names by what its people got ("and the ones who only got
    chemo?", "kids on blina", "the control arm"), as a side; None when it names none. Word
    choice as in :func:`asked_sides`."""
    m = _GROUP.search(text)
    return None if m is None else _one_side(m.group("got") or m.group("named"), vocab, shown)


def subgroup_side(text: str, vocab: Vocabulary, shown: Callable[[str], bool]) -> NamedSide | None:
    """The one subgroup a question asks about by name ("4-yr DFS for the SR-high group",
    "the EOI MRD >= 0.01% subgroup"), as a side a quoted unit must name; None when it names
    none. Word choice as in :func:`asked_sides`."""
    m = _SUBGROUP.search(text)
    if m is None:
        return None
    named = m.group("named") or m.group("sub")
    arms = {w.lower() for w in vocab.arm_words}
    whole = _TOKEN.findall(named.lower())
    parts = {*whole, *(p for w in whole for p in re.split(r"[-+/]", w))}
    if parts & arms or any(p.endswith(tuple(vocab.drug_suffixes)) for p in parts):
        return None  # an arm ("the chemo-only group"): sources name it in many ways
    return _one_side(named, vocab, shown)


def _one_side(words: str, vocab: Vocabulary, shown: Callable[[str], bool]) -> NamedSide | None:
    drop, short, synonyms = _profile_words(vocab, shown)
    side = _side(_BOUNDARY.split(words)[0], drop)[:_MAX_WORDS]
    stems = _stems(side, short)
    if not stems:
        return None
    return NamedSide(" ".join(side), frozenset(stems), _words(side, short, synonyms))


def _profile_words(
    vocab: Vocabulary, shown: Callable[[str], bool]
) -> tuple[Callable[[str], bool], dict[str, str], dict[str, Sequence[str]]]:
    """What a side's words are read with: ``drop(word)`` (a statistic, generic or time-point
    word, or one ``shown`` elsewhere), shorthand -> long form, and word -> its synonym group."""
    short = {k.lower(): v for k, v in vocab.abbreviations.items()}
    stats = (w for ws in vocab.statistics.values() for w in ws)
    noise = {w.lower() for w in (*stats, *vocab.generic_words)}

    def drop(w: str) -> bool:
        return w.lower() in noise or bool(time_points(w)) or shown(w)

    synonyms: dict[str, Sequence[str]] = {w.lower(): g for g in vocab.synonyms for w in g}
    return drop, short, synonyms


def _side(part: str, drop: Callable[[str], bool]) -> list[str]:
    return [w for w in _TOKEN.findall(part) if not _FIGURE.search(w) and not drop(w)]


def _last(words: list[str], n: int, long_forms: Mapping[str, str]) -> list[str]:
    """The words before "vs" from the ``n``-th last that names something (as many as the
    other side names: "relapse risk blinatumomab vs chemo" -> "blinatumomab")."""
    named = [i for i, w in enumerate(words) if _stems([w], long_forms)]
    if not named or n < 1:
        return words[-_MAX_WORDS:]
    return words[named[-min(n, len(named))] :]


def _stems(words: list[str], long_forms: Mapping[str, str]) -> set[str]:
    parts = [p for w in words for p in _JOINED.split(w)]  # "blina+chemo"
    text = " ".join(long_forms.get(p.lower(), p) for p in parts)
    return set(content_stems(text)) - _COMMON


def owned_segments(text: str, side: NamedSide, rivals: list[NamedSide]) -> list[str]:
    """The segments of ``text`` that give a figure for ``side``: a rival's key is not nearer
    the segment's first figure than one of the side's keys. A segment without a figure is
    ``side``'s when it names only ``side``. Nothing when ``text`` does not name every word
    of ``side`` (:meth:`NamedSide.named_in`)."""
    if side.words and not side.named_in(text):
        return []
    if not any(_distance(text, r.keys) is not None for r in rivals):
        return [text] if _distance(text, side.keys) is not None else []
    out = []
    for seg in segments(text):
        mine = _distance(seg, side.keys)
        others = [d for r in rivals if (d := _distance(seg, r.keys)) is not None]
        if mine is not None and all(d > mine for d in others):
            out.append(seg)
    return out


def segments(text: str) -> list[str]:
    """``text`` cut at "versus", "vs", "compared with", ", whereas", ", while" and "; ",
    never inside brackets."""
    out, start, depth, cuts = [], 0, 0, {m.start(): m.end() for m in _SEGMENT.finditer(text)}
    i = 0
    while i < len(text):
        depth += text[i] in "(["
        depth -= text[i] in ")]" and depth > 0
        if depth == 0 and i in cuts:
            out.append(text[start:i])
            start = i = cuts[i]
            continue
        i += 1
    out.append(text[start:])
    return [x.strip() for x in out if x.strip()]


def _distance(segment: str, keys: frozenset[str]) -> int | None:
    """Characters between the segment's first figure (or its start) and the nearest word of
    ``keys``; None when it has none."""
    figure = _FIGURE.search(segment)
    at = figure.start() if figure else 0
    best = None
    for m in re.finditer(r"[\w-]+", segment):
        low = m.group().lower()
        if {stem(p) for p in (low, *low.split("-"))} & keys:
            d = abs(m.start() - at)
            best = d if best is None else min(best, d)
    return best
