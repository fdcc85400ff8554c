"""Who a document studied, and who a question is about (issue N).

A document's :class:`~citeqa.answer.Population` (age group, disease setting, risk group, Ph
status) comes from its front matter when set there (``Metadata.age_group`` ...; "unknown" is a
curated answer too), otherwise from its own words: exact ages of a trial record ("Ages: 1 Year
to 30 Years"), then the title, then age ranges and cue words of the population text (the
title, abstract and eligibility sentences kept at ingest, ``Metadata.population_text``). The
cue words are the profile's (``evidence`` in citeqa/profiles/*.yaml). A label is given only
when one label's cues are found (or a combination the profile names); otherwise "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from citeqa.answer import Audience, Population
from citeqa.domain import Evidence
from citeqa.models import Metadata
from ingest.textnorm import match_text

UNKNOWN = "unknown"
ADULT_AGE = 18.0

_UNIT = r"(years?|yrs?|months?|weeks?|days?)"
_EXACT = re.compile(
    rf"\bAges:\s*(any age|\d+(?:\.\d+)?\s*{_UNIT})\s+to\s+(no upper limit|\d+(?:\.\d+)?\s*{_UNIT})",
    re.I,
)
# (regex, which groups are low/high) for age ranges written in text; values in years unless
# the unit group says otherwise.
_RANGES = (
    re.compile(
        rf"\b(?:aged|ages?|age range)\s+(\d+)\s*(?:to|-|–|through)\s*(\d+)\s*{_UNIT}?", re.I
    ),
    re.compile(r"\bbetween the ages of (\d+) and (\d+)", re.I),
    re.compile(rf"\bolder than (\d+) {_UNIT} and younger than (\d+) {_UNIT}", re.I),
)
_OPEN_LOW = re.compile(
    r"\b(?:(?:aged|at least|over)\s+(\d+)\s*(?:years?|yrs?)?(?: of age)?(?:\s*(?:or|and)\s*"
    r"(?:older|over|above))?|(\d+)\s*(?:years?|yrs?)(?: of age)?\s*(?:or|and)\s*(?:older|over|above))",
    re.I,
)
_OPEN_HIGH = re.compile(r"\b(?:younger than|under|below)\s+(\d+)\s*(?:years?|yrs?)\b", re.I)


def _years(value: str, unit: str | None) -> float:
    n = float(value)
    u = (unit or "year").lower()
    if u.startswith("month"):
        return n / 12
    if u.startswith("week"):
        return n / 52
    if u.startswith("day"):
        return n / 365
    return n


def age_group_of_range(low: float, high: float | None) -> str:
    """The age group of an age range in years (``high`` None: no upper limit)."""
    if high is not None and high <= 1:
        return "infants"
    if high is not None and high < ADULT_AGE:
        return "children"
    if low >= ADULT_AGE:
        return "adults"
    if high is not None and high < 40:
        return "children and young adults"
    return "adolescents and adults" if low >= 12 else "children and adults"


def exact_ages(text: str) -> tuple[float, float | None] | None:
    """The age range of a trial record's eligibility ("Ages: 1 Year to 30 Years")."""
    m = _EXACT.search(text)
    if not m:
        return None
    low_s, high_s = m.group(1), m.group(3)
    low = 0.0 if low_s.lower() == "any age" else _years(low_s.split()[0], m.group(2))
    if high_s.lower() == "no upper limit":
        return low, None
    return low, _years(high_s.split()[0], m.group(4))


def text_age_groups(text: str) -> set[str]:
    """Age groups of the age ranges written in ``text`` ("aged 1 to 9 years", "12 years of
    age or older", "younger than 18 years")."""
    found: set[str] = set()
    for rx in _RANGES:
        for m in rx.finditer(text):
            g = [x for x in m.groups()]
            if rx is _RANGES[2]:
                low, high = _years(g[0], g[1]), _years(g[2], g[3]) - 0.01
            else:
                unit = g[2] if len(g) > 2 else None
                low, high = _years(g[0], unit), _years(g[1], unit)
            found.add(age_group_of_range(low, high))
    if not found:
        for m in _OPEN_LOW.finditer(text):
            found.add(age_group_of_range(float(m.group(1) or m.group(2)), None))
        for m in _OPEN_HIGH.finditer(text):
            found.add(age_group_of_range(0.0, float(m.group(1)) - 0.01))
    return found


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


def cues(text: str, patterns: Mapping[str, Iterable[str]]) -> list[str]:
    """The labels of ``patterns`` whose regexes occur in ``text``, sorted."""
    return sorted(k for k, v in patterns.items() if _compiled(tuple(v)).search(text))


def one_label(found: list[str], combined: Mapping[str, str], strict: bool = False) -> str:
    """One cue label, or the profile's name for a combination; otherwise "unknown" ("" when
    nothing was found). ``strict``: only the labels ``combined`` names."""
    if not found:
        return ""
    key = "+".join(found)
    if key in combined:
        return combined[key]
    return found[0] if len(found) == 1 and not strict else UNKNOWN


def _age(title: str, text: str, ev: Evidence) -> str:
    exact = exact_ages(text)
    if exact is not None:
        return age_group_of_range(*exact)
    if re.search(ev.age_veto, f"{title} {text}", re.I):
        return UNKNOWN
    label = one_label(cues(title, ev.age_cues), ev.age_groups, strict=True)
    if label:
        return label
    ranges = text_age_groups(text)
    if ranges:
        return ranges.pop() if len(ranges) == 1 else UNKNOWN
    return one_label(cues(text, ev.age_cues), ev.age_groups, strict=True) or UNKNOWN


def _label(
    title: str, text: str, patterns: Mapping[str, Iterable[str]], combined: Mapping[str, str]
) -> str:
    return (
        one_label(cues(title, patterns), combined)
        or one_label(cues(text, patterns), combined)
        or UNKNOWN
    )


def population_of(meta: Metadata, ev: Evidence) -> Population:
    """The population of ``meta`` (see the module docstring); every field a label or
    "unknown". ``text`` is the document's own population words."""
    title = match_text(meta.title)
    text = match_text(meta.population_text)
    return Population(
        age_group=meta.age_group or _age(title, text, ev),
        setting=meta.setting or _label(title, text, ev.settings, ev.setting_groups),
        risk_group=meta.risk_group or _label(title, text, ev.risk_groups, ev.risk_combined),
        ph_status=meta.ph_status or _label(title, text, ev.ph_status, {}),
        text=meta.population_text,
    )


def design_of(meta: Metadata, ev: Evidence) -> str:
    """The study design: front matter, else the first design whose cues the title or
    population text has, else the doc type's design ("" when none is known)."""
    if meta.design:
        return "" if meta.design == UNKNOWN else meta.design
    text = match_text(f"{meta.title} {meta.population_text}")
    for label, pats in ev.designs.items():
        if _compiled(tuple(pats)).search(text):
            return label
    return ev.design_of_type.get(meta.doc_type, "")


def about_children(question: str, audience: Audience, ev: Evidence) -> bool:
    """The question is about children: the family audience, a child, an age under 18."""
    return audience is Audience.FAMILY or bool(re.search(ev.child_question, question, re.I))


def asked_setting(question: str, ev: Evidence) -> str:
    """The disease setting a question asks about ("newly diagnosed", "relapsed"), or ""."""
    found = cues(match_text(question), ev.question_settings)
    return found[0] if len(found) == 1 else ""


def describe(p: Population) -> str:
    """The known labels in words ("adults, relapsed/refractory, Ph-negative"), or ""."""
    parts = (p.age_group, p.setting, p.risk_group, p.ph_status)
    return ", ".join(x for x in parts if x and x != UNKNOWN)
