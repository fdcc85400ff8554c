"""Time points of a question or a passage: "4-year", "4 yr", "4y", "18-month" (not ages), "the
third year"."""

from __future__ import annotations

import re
from dataclasses import dataclass

TIME_PHRASE = re.compile(
    # a bound ("≥ 10 years of use", "<= 1 yr") is a category of exposure, not a time point
    r"(?<![\w.<>=≤≥⩽⩾])(?<![<>=≤≥⩽⩾]\s)"
    r"(\d+(?:\.\d+)?)\s*-?\s*(years?|yrs?|y|months?|mos?|weeks?|wks?|days?|d)\b(?!\s*old)",
    re.I,
)
_UNITS = {"y": "year", "yr": "year", "mo": "month", "wk": "week", "d": "day"}
_ORDINALS = (
    *("first", "second", "third", "fourth", "fifth"),
    *("sixth", "seventh", "eighth", "ninth", "tenth"),
)
_ORDINAL = r"(?:\d{1,2}(?:st|nd|rd|th)|" + "|".join(_ORDINALS) + ")"
# "5th-year", "the first, second, and third year", "in year 3", "at month 6": years or months
# counted in order (days and weeks are left out: "day 29" of a treatment phase is a schedule)
ORDINAL_TIME = re.compile(
    rf"(?<![\w.])({_ORDINAL}(?:\s*,?\s*(?:and\s+|or\s+)?{_ORDINAL})*)\s*-?\s*(years?|months?)\b"
    r"|\b(?:in|at|by|after|during)\s+(year|month)\s+(\d{1,2})\b(?![.,]\d)",
    re.I,
)


# numbers sharing one unit of years or months ("5 or 10 years", "3, 4 and 5 yr"): each is a
# time point ("1 to 9 years" is a range, days and weeks a schedule: not listed)
LISTED_TIME = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?(?:\s*(?:,|/|,?\s*or|,?\s*and)\s*\d+(?:\.\d+)?)+)"
    r"\s*-?\s*(years?|yrs?|y|months?|mos?)\b(?!\s*-?\s*old)",
    re.I,
)


# an age ("my 8 year old", "a 5-year-old", "he's 7 yrs old", "9yo", "18 months old"): who
# asks, not what is asked
AGE = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s*-?\s*(?:(?:years?|yrs?|y|months?|mos?)\s*-?\s*olds?|yo|y/o)\b"
    # who was studied: "aged 1 to 9 years", "an age of 1 to under 10 years", "18 years of age
    # or older" (a single age is a time point: "at age 2 years, 14% had CP")
    r"|\b(?:aged?|ages)\s+(?:of\s+)?(?:between\s+)?\d+(?:\.\d+)?\s*(?:to|-|–|and)\s*"
    r"(?:under\s+|below\s+|<\s*)?\d+(?:\.\d+)?\s*(?:years?|yrs?|months?)?"
    r"|(?<![\w.])\d+(?:\.\d+)?\s*(?:years?|months?)\s+of\s+age\s+(?:or|and)\s+(?:older|over|"
    r"above|younger|under|below)\b",
    re.I,
)


def without_time(text: str) -> str:
    """``text`` with its time phrases and ages blanked (slots or the asker's situation, not
    topic words)."""
    return ORDINAL_TIME.sub(" ", TIME_PHRASE.sub(" ", AGE.sub(" ", text)))


@dataclass(frozen=True)
class TimePoint:
    value: float
    unit: str  # year | month | week | day

    def __str__(self) -> str:
        v = f"{self.value:g}"
        return f"{v}-{self.unit}"


def time_points(text: str) -> list[TimePoint]:
    """Time points written as "4-year", "4 yr", "4y", "18-month", each of numbers sharing
    one unit ("5 or 10 years"), or counted in order: "5th-year", "the third year", "in year
    3". Not ages: "4 years old", "aged 1 to 9 years", "18 years of age or older"."""
    out = []
    text = AGE.sub(" ", text)
    for m in TIME_PHRASE.finditer(text):
        unit = m.group(2).lower().rstrip("s")
        out.append(TimePoint(float(m.group(1)), _UNITS.get(unit, unit)))
    for m in LISTED_TIME.finditer(text):  # the last number is a time phrase of its own
        unit = m.group(2).lower().rstrip("s")
        for v in re.findall(r"\d+(?:\.\d+)?", m.group(1))[:-1]:
            out.append(TimePoint(float(v), _UNITS.get(unit, unit)))
    for m in ORDINAL_TIME.finditer(text):
        listed, unit, unit2, number = m.groups()
        values = re.findall(_ORDINAL, listed, re.I) if listed else [number]
        for v in values:
            out.append(TimePoint(_count(v), (unit or unit2).lower().rstrip("s")))
    return out


def _count(v: str) -> float:
    """3 for "3", "3rd" or "third"."""
    digits = re.match(r"\d+", v)
    if digits:
        return float(digits.group())
    return float(_ORDINALS.index(v.lower()) + 1)
