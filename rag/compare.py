"""The comparison of an answer, side by side (issue N): per-side values and their table.

A question comparing sides gets one row per side and one column per asked outcome:

- sides are the studies the question names (two or more); else, for one study, the reports
  of its trial (data cuts: the answer quotes two, or the question names one); else the time
  points the question names (two or more); else the arms or subgroups it names ("SR-avg vs
  SR-high", "between A and B"; rag/arms.py), within its one study or the first quoted one's
  trial, and only when each arm has a quoted figure; else, for one study and two or more
  outcomes asked, that study alone (the outcomes side by side);
- columns are the outcomes the question names (the profile's ``evidence.outcomes``), or one
  "Result" column; with studies or reports as sides, a last column gives each side's
  population (from its metadata, citing the side's source);
- a cell is the clause of the side's quoted unit that names the outcome (a figure preferred),
  verbatim, citing that unit's source; for an arm, the part of the unit that is that arm's
  (a sentence giving both arms is cut at "versus"); in a "Result" column, the unit using most
  of the question's words leads; no such unit: "not reported".

The per-side values (``Answer.comparison``) and the table (``Answer.table``) are one thing:
the table is built from the values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from citeqa.answer import AnswerSentence, Citation, SideValue, TableOut, TableRow
from rag.arms import NamedSide, owned_segments
from rag.lexicon import content_stems
from rag.population import describe, population_of
from rag.query import Query
from rag.timepoint import TimePoint, time_points

if TYPE_CHECKING:
    from rag.evidence import Sources

RESULT = "Result"
_NEXT_CLAUSE = re.compile(r"\s+(?:while|whereas|but|and|compared with)\b")
_LEAD_IN = re.compile(r"^(?:In|For|Among|Across)\b[^,]{1,80},\s+")
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d.,%])")
_GRADE = re.compile(r"\bgrades?\s*(?:[≥>≤<]=?\s*)?\d(?:\s*(?:-|to|or)\s*\d)?", re.I)


def has_figure(text: str) -> bool:
    """A number that is a result, not a grade ("grade ≥ 3" alone is no figure), a year
    ("presented in 2025") nor part of a name of letters and digits ("HC3", "CD19")."""
    return bool(re.search(r"(?<![A-Za-z0-9])\d", _YEAR.sub(" ", _GRADE.sub(" ", text))))


@dataclass(frozen=True)
class Side:
    label: str
    docs: frozenset[str] = frozenset()  # documents of this side (studies, reports)
    time: TimePoint | None = None  # the time point of this side
    named: NamedSide | None = None  # an arm or subgroup the question names (rag/arms.py)
    trial: str = ""  # the trial of a report side
    rivals: tuple[NamedSide, ...] = ()  # the other sides it names

    def holds(self, u: AnswerSentence, cites: dict[int, Citation]) -> bool:
        if self.time is not None:
            return self.time in time_points(u.text)
        ours = any(cites[n].doc_id in self.docs for n in u.citations if n in cites)
        if self.named is not None:
            return ours and bool(owned_segments(u.text, self.named, list(self.rivals)))
        return ours

    def text(self, u: AnswerSentence) -> str:
        """What of ``u`` is this side's: its own segments (an arm or subgroup), or all."""
        if self.named is None:
            return u.text
        return " ".join(owned_segments(u.text, self.named, list(self.rivals))) or u.text


def sides_of(q: Query, cites: Sequence[Citation], src: Sources) -> list[Side]:
    """The sides the question compares (see the module docstring); [] for no comparison."""
    studies = q.slots.studies
    if len(studies) >= 2:
        return [Side(src.ents.name(s), frozenset(src.ents.docs_of_study(s))) for s in studies]
    if not q.has("comparison") and len(q.slots.time_points) < 2:
        return arm_sides(q, cites, src)  # "between A and B" compares too
    reports = report_sides(q, cites, src)
    if reports:
        return reports
    tps = list(dict.fromkeys(q.slots.time_points))
    if len(tps) >= 2:
        return [Side(str(t), time=t) for t in tps]
    return arm_sides(q, cites, src)


def arm_sides(q: Query, cites: Sequence[Citation], src: Sources) -> list[Side]:
    """The arms or subgroups the question names as its sides (its ``sides`` slot,
    rag/arms.py), within the one study it names or else the first quoted one's trial."""
    named = q.slots.sides
    if len(q.slots.studies) > 1 or not cites or not named:
        return []
    if q.slots.studies:
        docs = frozenset(src.ents.docs_of_study(q.slots.studies[0]))
    else:
        trial = cites[0].trial
        docs = frozenset(d for d, m in src.docs.items() if trial and m.trial == trial)
    docs = docs or frozenset({cites[0].doc_id})
    return [
        Side(n.label, docs, named=n, rivals=tuple(x for x in named if x is not n)) for n in named
    ]


def report_sides(q: Query, cites: Sequence[Citation], src: Sources) -> list[Side]:
    """The reports of the one trial asked about, as sides: when the answer quotes two of them
    or the question names a report (and not one time point)."""
    from rag.evidence import report_name, reports_of

    if len(q.slots.time_points) == 1:
        return []
    cited = list(dict.fromkeys(c.doc_id for c in cites))
    own = [d for s in q.slots.studies for d in sorted(src.ents.docs_of_study(s))]
    for d in dict.fromkeys([*cited, *own]):
        series = reports_of(d, src.docs)
        quoted = [r for r in series if r in cited]
        if len(series) >= 2 and (len(quoted) >= 2 or (q.slots.reports and quoted)):
            trial = src.docs[d].trial
            return [Side(report_name(src.docs[r]), frozenset({r}), trial=trial) for r in series]
    return []


def outcomes_of(q: Query, src: Sources) -> list[tuple[str, re.Pattern[str]]]:
    """The outcomes the question names, in its order: (column name, regex of the names)."""
    found = []
    for name, pats in src.words.outcomes.items():
        rx = re.compile("|".join(f"(?:{p})" for p in pats), re.I)
        m = rx.search(q.text)
        if m:
            found.append((m.start(), name, rx))
    return [(name, rx) for _, name, rx in sorted(found, key=lambda x: x[0])]


def split_clauses(text: str) -> list[str]:
    """``text`` cut at "; " and before ", while/whereas/but/and/compared with", never inside
    brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]" and depth > 0
        if depth == 0 and ch in ";,":
            rest = text[i + 1 :]
            if ch == ";" or _NEXT_CLAUSE.match(rest):
                parts.append(text[start:i])
                start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def clause(text: str, rx: re.Pattern[str] | None, keep_lead: bool = False) -> str:
    """The part of ``text`` that names the outcome (a clause with a figure preferred), its
    lead-in ("In TOWER, ") dropped unless ``keep_lead``; verbatim otherwise."""
    parts = split_clauses(text)
    hits = [p for p in parts if rx is None or rx.search(p)]
    figures = [p for p in hits if has_figure(p)]
    pick = (figures or hits or [text])[0]
    return (pick if keep_lead else _LEAD_IN.sub("", pick)).rstrip(".")


def qualified(text: str, side: Side, asked: frozenset[str] = frozenset()) -> bool:
    """``text`` opens on a subgroup of the side ("In the AALL1731 SR-high group, ") the
    question did not ask for: its lead-in names more than the side's study or trial and the
    question's words ``asked``."""
    lead = _LEAD_IN.match(text)
    if lead is None or not side.docs or side.named is not None:
        return False
    own = set(content_stems(f"{side.label} {side.trial}")) | asked
    return bool(set(content_stems(lead.group())) - own)


def cell(
    side: Side,
    column: tuple[str, re.Pattern[str] | None],
    units: Sequence[AnswerSentence],
    cites: dict[int, Citation],
    not_reported: str,
    asked: frozenset[str] = frozenset(),
) -> SideValue:
    """The side's value in ``column``: the first quoted unit of the side naming the column's
    outcome, a figure first and a subgroup's last (:func:`qualified`); in a "Result" column,
    the one using most ``asked`` stems."""
    name, rx = column
    mine = [u for u in units if side.holds(u, cites) and (rx is None or rx.search(u.text))]
    if rx is None:
        mine.sort(key=lambda u: -len(asked.intersection(content_stems(u.text))))
    mine.sort(key=lambda u: (not has_figure(side.text(u)), qualified(u.text, side, asked)))
    if not mine:
        return SideValue(side.label, name, not_reported, None)
    u = mine[0]
    if side.named is None:  # a subgroup's figure keeps the lead-in that says so
        text = clause(u.text, rx, keep_lead=qualified(u.text, side, asked))
    else:
        text = side.text(u).rstrip(".")
    return SideValue(side.label, name, text, u.citations[0] if u.citations else None)


def compare(
    q: Query, units: Sequence[AnswerSentence], cites: Sequence[Citation], src: Sources
) -> tuple[tuple[SideValue, ...], TableOut | None]:
    """The per-side values and the table of a comparison (nothing for other questions)."""
    sides = sides_of(q, cites, src)
    columns: list[tuple[str, re.Pattern[str] | None]] = list(outcomes_of(q, src))
    if not sides and len(q.slots.studies) == 1 and len(columns) >= 2 and q.has("comparison"):
        s = q.slots.studies[0]  # one study, outcomes side by side
        sides = [Side(src.ents.name(s), frozenset(src.ents.docs_of_study(s)))]
    if not sides or (len(sides) < 2 and len(columns) < 2):
        return (), None
    by_n = {c.n: c for c in cites}
    if not columns:
        columns = [(RESULT, None)]
    rows, asked = [], frozenset(content_stems(q.text))
    for side in sides:
        cells = [cell(side, c, units, by_n, src.words.not_reported, asked) for c in columns]
        if side.docs and side.named is None:
            cells.append(_population_cell(side, cites, src))
        rows.append(TableRow(side.label, tuple(cells)))
    names = [c[0] for c in columns]
    if sides[0].docs and sides[0].named is None:
        names.append(src.words.population_column)
    values = tuple(v for r in rows for v in r.cells)
    if sides[0].named is not None and not all(
        any(v.citation and has_figure(v.text) for v in r.cells) for r in rows
    ):
        return (), None  # arms named, but a quoted figure for only one of them: no table
    return values, TableOut(tuple(names), tuple(rows))


def _population_cell(side: Side, cites: Sequence[Citation], src: Sources) -> SideValue:
    column = src.words.population_column
    cited = [c for c in cites if c.doc_id in side.docs]
    doc = cited[0].doc_id if cited else min(side.docs, default="")
    meta = src.docs.get(doc)
    text = describe(population_of(meta, src.words)) if meta is not None else ""
    n = cited[0].n if cited else None
    return SideValue(side.label, column, text or src.words.not_reported, n)
