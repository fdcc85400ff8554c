"""Time points of a question or a passage: "4-year", "4 yr", "4y", "18-month" (not ages)."""

from __future__ import annotations

import re
from dataclasses import dataclass

TIME_PHRASE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*-?\s*(years?|yrs?|y|months?|mos?|weeks?|wks?|days?|d)\b(?!\s*old)",
    re.I,
)
_UNITS = {"y": "year", "yr": "year", "mo": "month", "wk": "week", "d": "day"}


@dataclass(frozen=True)
class TimePoint:
    value: float
    unit: str  # year | month | week | day

    def __str__(self) -> str:
        v = f"{self.value:g}"
        return f"{v}-{self.unit}"


def time_points(text: str) -> list[TimePoint]:
    """Time points written as "4-year", "4 yr", "4y", "18-month" (not ages: "4 years old")."""
    out = []
    for m in TIME_PHRASE.finditer(text):
        unit = m.group(2).lower().rstrip("s")
        out.append(TimePoint(float(m.group(1)), _UNITS.get(unit, unit)))
    return out
