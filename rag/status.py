"""A marker's status asked for or stated: "Ph+", "MRD-negative", "CD19 positive".

A question about the patients with one status of a marker ("BLAST outcomes for the Ph+
patients") is not answered by a sentence about the patients with the other status ("In the
Ph-negative subgroup of BLAST, RFS was 54%"): the status is a hard slot. A sentence conflicts
when it states the marker only with the other status; one that names both (a comparison, a
limitation: "its results do not cover MRD-positive disease") or neither does not.

The severity scope of an adverse-event figure is read the same way, as the marker "grade":
"any grade" against "grade 3 or higher" ("any-grade CRS in TOWER?" is not answered by "grade
≥ 3 CRS occurred in 4.9%").

A marker is a word written with capitals or digits ("MRD", "BCR::ABL1"), an abbreviation the
indexed documents define, or one of the profile's ``vocabulary.marker_names`` (which also
give a long name's short form: "Philadelphia chromosome" -> "Ph"). Typed in lower case ("ph+",
"mrd positive"), a known abbreviation or marker name is still read.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

Status = tuple[str, str]  # (marker, lower case, short form; "+" or "-", or a grade scope)

_MARKER = r"[A-Za-z][A-Za-z0-9:]*(?:\s[A-Za-z][A-Za-z0-9:]*)?"
_SIGN = (
    r"(?:\+(?![\w+])|\s\+(?=\s*(?:[,.;:?)]|$))|[-\s]pos(?:itive)?\b"  # "HR + CI": a plus
    r"|[-\s]neg(?:ative)?\b|\s?[−–](?=[\s,.;)]|$)|-(?=[\s,.;)]|$))"
)
_STATUS = re.compile(rf"(?<![\w:+-])({_MARKER}?)({_SIGN})", re.I)
# The severity scope of an adverse-event figure: any grade, or grade 3 and above.
_ANY_GRADE = re.compile(
    r"\b(?:any|all)[- ]grades?\b|\bof any grade\b|\bgrades? 1\s?(?:-|–|to)\s?[45]\b", re.I
)
_HIGH_GRADE = re.compile(
    r"\bgrade\s?(?:(?:≥|>=)\s?3|>\s?2|3\s?(?:\+|plus\b|or (?:higher|more|above|worse)\b|(?:-|–|to|and|/)\s?[45]\b))"
    r"|≥\s?grade\s?3|\bgrade (?:III|3) (?:or|and|to|-|–) ?(?:IV|V|4|5)\b",
    re.I,
)
_NOT = re.compile(
    r"\b(?:not(?: just| only)?|other than|excluding|except|besides|apart from)\W*$", re.I
)
_FOR = re.compile(
    r"\b(positive|negative)\s+for\s+(?:the\s+)?([A-Za-z][\w:]*(?:\s[A-Za-z][\w:]*){0,2})", re.I
)


def _sign(written: str) -> str:
    s = written.strip().lower()
    return "+" if s.lstrip("-").startswith(("+", "pos")) else "-"


def _marker(name: str, known: Collection[str], aliases: Mapping[str, str]) -> tuple[str, int]:
    """The short form of ``name`` when it is a marker ("" when it is not) and how many of its
    last words name it: the last two words as a profile alias, or the last word written as a
    marker, a known abbreviation or an alias."""
    parts = name.split()
    two = " ".join(parts[-2:]).lower()
    if len(parts) > 1 and two in aliases:
        return aliases[two].lower(), 2
    last = parts[-1] if parts else ""
    low = last.lower()
    if low in aliases:
        return aliases[low].lower(), 1
    if low in known or re.search(r"[0-9:]|[A-Z].*[A-Z]|^[A-Z][a-z]$", last):
        return low, 1
    return "", 0


def status_spans(
    text: str, known: Collection[str], aliases: Mapping[str, str]
) -> list[tuple[Status, str]]:
    """Each (marker, sign) stated in ``text`` with its words as written ("Ph+"), in order;
    ``known``: lower-case abbreviations the index defines; ``aliases``: lower-case marker
    name -> short form."""
    out = []
    for m in _STATUS.finditer(text):
        marker, n = _marker(m.group(1), known, aliases)
        if marker:
            start = m.end(1) - len(" ".join(m.group(1).split()[-n:]))
            out.append(((marker, _sign(m.group(2))), text[start : m.end()].strip()))
    for pattern, scope in ((_ANY_GRADE, "any"), (_HIGH_GRADE, "3+")):
        out += [(("grade", scope), m.group(0)) for m in pattern.finditer(text)]
    for m in _FOR.finditer(text):  # "negative for minimal residual disease"
        parts = m.group(2).split()
        for n in (3, 2, 1):
            name = " ".join(parts[:n])
            marker = aliases.get(name.lower(), "") or (
                _marker(name, known, aliases)[0] if n == 1 else ""
            )
            if marker and len(parts) >= n:
                out.append(((marker.lower(), _sign(m.group(1))), f"{m.group(1)} for {name}"))
                break
    return [(st, w) for st, w in out if not _NOT.search(text[: text.find(w)][-24:])]


def statuses(text: str, known: Collection[str], aliases: Mapping[str, str]) -> frozenset[Status]:
    """The (marker, sign) pairs stated in ``text`` (see :func:`status_spans`)."""
    return frozenset(s for s, _ in status_spans(text, known, aliases))


def conflicts(asked: Collection[Status], stated: Collection[Status]) -> bool:
    """Whether a text stating ``stated`` states an asked marker only with signs not asked
    (asked both "Ph+" and "Ph-negative", a comparison, a unit about either does not conflict)."""
    wanted: dict[str, set[str]] = {}
    for marker, sign in asked:
        wanted.setdefault(marker, set()).add(sign)
    for marker, signs in wanted.items():
        said = {s for m, s in stated if m == marker}
        if said and not said & signs:
            return True
    return False
