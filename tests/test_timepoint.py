"""Time points: written with a number ("4-year") or counted in order ("the third year")."""

from __future__ import annotations

import pytest

from rag.binding import CONFLICT, MATCHED, time_binding
from rag.timepoint import TimePoint, time_points, without_time


def years(*values: float) -> list[TimePoint]:
    return [TimePoint(v, "year") for v in values]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-yr OS", years(3)),
        ("mortality in the 5th year on dialysis", years(5)),
        ("rates in the first, second, and third year were", years(1, 2, 3)),
        ("the 1st and 2nd year", years(1, 2)),
        ("relapses by year 4", years(4)),
        ("at month 6", [TimePoint(6, "month")]),
        ("in the sixth month", [TimePoint(6, "month")]),
    ],
)
def test_time_points_counted_in_order(text: str, expected: list[TimePoint]) -> None:
    assert time_points(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what about after 5 or 10 years?", years(5, 10)),
        ("3, 4 and 5 yr DFS", years(3, 4, 5)),
        ("OS at 12/24 months", [TimePoint(12, "month"), TimePoint(24, "month")]),
        ("kids 2 or 3 years old", []),  # ages
        ("At age 2 years, 14% of survivors had CP", years(2)),  # a single age: when assessed
    ],
)
def test_numbers_sharing_one_unit_are_each_a_time_point(
    text: str, expected: list[TimePoint]
) -> None:
    assert sorted(time_points(text), key=lambda t: t.value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "day 29 marrow MRD",  # a schedule day, not a time point
        "enrolled in year 2019",  # a calendar year
        "first-line therapy",
        "the first cycle of blinatumomab",
        "a 7 year old child",
        "women with >=10 yrs of pill use",  # bounds of an exposure category
        "duration of use ≥ 5 years vs < 1 year",
        "children aged 1 to 9 years",  # who was studied
        "standard risk meant an age of 1 to under 10 years",
        "patients 18 years of age or older",
    ],
)
def test_not_time_points(text: str) -> None:
    assert time_points(text) == []


def test_an_asked_year_conflicts_with_other_years_counted_in_order() -> None:
    stated = "hazard ratios in the first, second, and third year were 1.45, 1.28 and 1.17"
    assert time_binding(tuple(years(5)), stated) == CONFLICT
    assert time_binding(tuple(years(2)), stated) == MATCHED


def test_time_phrases_are_not_topic_words() -> None:
    assert without_time("4-yr DFS in the fifth year").split() == ["DFS", "in", "the"]


@pytest.mark.parametrize(
    "text", ["my 8 year old", "a 5-year-old", "he's 7 yrs old", "our 9yo", "18 months old"]
)
def test_an_age_is_who_asks_not_a_topic_word(text: str) -> None:
    assert not {"year", "yrs", "yo", "old", "months"} & set(without_time(text).lower().split())
