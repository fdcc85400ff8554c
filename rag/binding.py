"""Slot binding: for each unit and each slot of the question, *matched*, *absent* or
*conflicting*.

- study: the unit's document reports the study (its own trial) or the unit or its context names
  it; *conflicting* when the unit names only other studies, or its document is another study's
  and nothing in the unit names the asked one.
- report: the unit's document is the named report (journal, meeting, year, author).
- time point: the unit states the asked "4-year" figure; *conflicting* when it states only
  other time points of the same unit (6-year asked, 4-year reported).
- outcome: an outcome the question names by an abbreviation the documents define, or by its
  long form ("OS", "overall survival"), is named by the unit or its context; studies compared
  with an outcome each ("CR in TOWER vs MRD response in BLAST") are asked their own.
- statistic: the unit contains a span of the asked type (a percentage for a rate, "HR 0.39" for
  a hazard ratio, a range for a CI...).
- status: a marker's asked status ("Ph+"); *conflicting* when the unit or its context states
  that marker only with the other status ("the Ph-negative subgroup"; rag/status.py), unless
  the document's whole population has the other status (then the question's premise is wrong,
  and the unit may correct it).
- measure: what an asked rate or count counts ("what % had seizures"); *conflicting* when the
  unit, its context and its document's title name none of the measures asked (rag/measure.py).
- sides: the arms or subgroups a question compares by name ("boys vs girls", "SR-avg vs
  SR-high"); *conflicting* when the unit, its context and its document's title name neither
  (every word of a side, rag/arms.py).
- topic: the share of the question's topic terms (IDF-weighted) the unit and its context use;
  for a question asking two things, the best of that and the share of one part's terms.

A unit with a conflicting hard slot (study, report, outcome, status, time point) or without a span of an asked
statistic is never quoted; the answer abstains naming the first unbound slot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.arms import says_outcome
from rag.candidates import Unit
from rag.entities import EntityIndex
from rag.lexicon import IndexLexicon, content_stems
from rag.query import Query
from rag.status import conflicts, statuses
from rag.timepoint import TimePoint, time_points

MATCHED, ABSENT, CONFLICT, NA = "matched", "absent", "conflicting", "n/a"

# a percentage, not a confidence level ("95% CI", "90% confidence interval")
_PCT = r"\d+(?:\.\d+)?\s?%(?!\s*(?:CIs?\b|confidence|credible))"
_NUM = r"\d+(?:[.,]\d+)?"
_WORD_RATE = r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|half)\b[^.]{0,20}\b(?:in|of)\b"
_P_VALUE = r"\bP\s?(?:[<=>≤≥]|value)\s?\.?\d|not (?:statistically )?significant|significan"
SPANS: dict[str, re.Pattern[str]] = {
    "rate": re.compile(rf"{_PCT}|\b\d+\s+(?:of|out of)\s+(?:the\s+)?\d+\b|{_WORD_RATE}", re.I),
    # the ratio may come late: "the hazard ratio (HR) for DFS with X versus Y was 0.39"
    "hr": re.compile(rf"\b(?:HR|hazard ratio)[^0-9]{{0,100}}{_NUM}", re.I),
    # an interval in brackets after a figure ("0.39 (0.24-0.64)"); "aged 1 to 9" is no CI
    "ci": re.compile(
        rf"\b(?:CI|confidence interval)\b|[(\[]\s*{_NUM}\s?(?:[-–,]|to)\s?{_NUM}\s*[)\],;]", re.I
    ),
    "p": re.compile(rf"{_P_VALUE}|\bP\s?=\s?{_NUM}", re.I),
    "median": re.compile(rf"\bmedian\b[^.]{{0,150}}?{_NUM}", re.I),  # within the sentence
    "iqr": re.compile(rf"\b(?:IQR|interquartile range)\b[^.]{{0,80}}?{_NUM}", re.I),
    "count": re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b(?!\s?%)(?!\.\d)", re.I),
    "duration": re.compile(
        rf"\b{_NUM}\s?-?\s?(?:years?|months?|weeks?|days?|hours?|minutes?|mins?)\b"
        r"|\ball day and all night\b",
        re.I,
    ),
    "dose": re.compile(rf"\b{_NUM}\s?(?:µg|μg|mcg|ug|mg|mL)\b", re.I),
}


# What a table column header says its numbers are, per statistic type.
_HEADER_CUES: dict[str, re.Pattern[str]] = {
    "rate": re.compile(r"%|percent|rate|proportion", re.I),
    "hr": re.compile(r"\bHR\b|hazard", re.I),
    "ci": re.compile(r"\bCI\b|confidence", re.I),
    "p": re.compile(r"\bP\b|p[- ]value", re.I),
    "median": re.compile(r"median", re.I),
    "iqr": re.compile(r"\bIQR\b|interquartile", re.I),
    "count": re.compile(r"\bn\b|number|no\.", re.I),
    "duration": re.compile(
        r"days?|weeks?|months?|years?|hours?|\bmin(?:utes?)?\b|duration|time", re.I
    ),
    "dose": re.compile(r"dose|mg|µg|mcg", re.I),
}


@dataclass(frozen=True)
class Binding:
    """How one unit binds the question's slots."""

    study: str
    report: str
    time: str
    statistic: str
    outcome: str
    topic: float  # 0..1, IDF-weighted share of topic terms used by the unit and its context
    missing_terms: tuple[str, ...]  # topic stems the unit does not use
    soft_statistic: bool = False  # only a rate was asked: its absence is a feature, not a veto
    soft_study: bool = False  # a claim names the study: another study's unit may correct it
    status: str = NA  # the asked marker status (Ph+): conflicting when only the other is stated
    measure: str = NA  # what the asked rate counts ("seizures"): conflicting when not named
    sides: str = NA  # the arms or subgroups compared by name: conflicting when it names none

    def conflicting(self) -> str:
        """The first conflicting hard slot ("" when none). A missing rate is soft (a
        question's "how often" may want a frequency, not a percentage): ``soft_statistic``."""
        for name in ("study", "report", "outcome", "status", "measure", "sides", "time"):
            if getattr(self, name) == CONFLICT and not (name == "study" and self.soft_study):
                return name
        if self.statistic == CONFLICT and not self.soft_statistic:
            return "statistic"
        return ""


def stat_binding(q: Query, text: str, headers: str = "") -> str:
    """Does ``text`` hold a span of an asked statistic type? For a table row, the column
    headers say what its numbers are ("n (%)", "HR (95% CI)")."""
    asked = [s for s in q.slots.statistics if s in SPANS]
    if not asked:
        return NA
    if any(SPANS[s].search(text) for s in asked):
        return MATCHED
    if headers and re.search(r"\d", text) and any(_HEADER_CUES[s].search(headers) for s in asked):
        return MATCHED
    return CONFLICT


def time_binding(asked: tuple[TimePoint, ...], text: str, required: bool = False) -> str:
    """*matched* when ``text`` states an asked time point; *conflicting* when it states only
    others of the same unit, or none while one is ``required`` (a follow-up asking only it)."""
    if not asked:
        return NA
    stated = time_points(text)
    if any(t in stated for t in asked):
        return MATCHED
    units = {t.unit for t in asked}
    if required or any(t.unit in units for t in stated):
        return CONFLICT
    return ABSENT


def study_binding(studies: tuple[str, ...], u: Unit, ents: EntityIndex) -> str:
    """See the module docstring; with several studies (a comparison) one of them is enough."""
    if not studies:
        return NA
    own = ents.docs.get(u.doc_id)
    own_studies = own.studies if own else frozenset()
    named = set(ents.studies_in(f"{u.context} {u.match}"))
    if named & set(studies):
        return MATCHED
    if own_studies & set(studies) and not (named - set(studies)):
        return MATCHED
    if named or own_studies:
        return CONFLICT
    return ABSENT


def report_binding(
    reports: tuple[str, ...], u: Unit, ents: EntityIndex, compared: bool = False
) -> str:
    """*matched* when the unit's document is the report every qualifier names ("NEJM 2025");
    when reports are ``compared`` ("the NEJM paper vs the 2025 abstract"), any one of them."""
    if compared and len(reports) > 1:
        return (
            MATCHED
            if any(u.doc_id in (ents.docs_of_reports([r]) or ()) for r in reports)
            else CONFLICT
        )
    docs = ents.docs_of_reports(reports)
    if docs is None:
        return NA
    return MATCHED if u.doc_id in docs else CONFLICT


def topic_share(
    q: Query, u: Unit, lex: IndexLexicon, floor: float = 1.0
) -> tuple[float, tuple[str, ...]]:
    """IDF-weighted share of the question's topic terms (known to the index) in the unit. A
    synonym group counts as one term, present when the unit says one of its phrases, weighted
    by its rarest known word ("heart" or "cardiac"). The unit inherits the words of its
    context and of its document's title (a sentence of "Supportive care during blinatumomab
    therapy" is about blinatumomab)."""
    have = set(content_stems(f"{u.chunk.meta.title} {u.context} {u.match}"))
    share, missing = _share(q, have, lex, floor, None)
    for part in q.own_parts():  # a unit may answer one of the things asked
        share = max(share, _share(q, have, lex, floor, set(content_stems(part)))[0])
    return share, missing


def _share(
    q: Query, have: set[str], lex: IndexLexicon, floor: float, within: set[str] | None
) -> tuple[float, tuple[str, ...]]:
    """:func:`topic_share` over the topic terms ``within`` a part of the question (all: None)."""
    known = {t for t in q.slots.terms if lex.df.get(t, 0) > 0 and (within is None or t in within)}
    if not known:  # a question without known topic words binds any unit; a part, none
        return (1.0 if within is None else 0.0), ()
    total = got = 0.0
    missing: list[str] = []
    grouped: set[str] = set()
    for group in q.slots.alternatives:
        stems = {s for phrase in group for s in phrase} & known
        if not stems:
            continue
        grouped |= stems
        weight = max(lex.idf(s) for s in stems)
        total += weight
        if any(all(s in have for s in phrase) for phrase in group):
            got += weight
        else:
            missing += sorted(stems)
    for t in (t for t in q.slots.terms if t in known and t not in grouped):
        total += lex.idf(t)
        if t in have:
            got += lex.idf(t)
        else:
            missing.append(t)
    # terms that nearly every passage uses say little: they cannot make a full share alone
    return got / max(total, floor), tuple(missing)


def outcome_binding(outcomes: tuple[tuple[str, str], ...], u: Unit) -> str:
    """Does the unit (or its context) name one of the asked outcomes (short or long form)?"""
    if not outcomes:
        return NA
    text = f"{u.context} {u.match}"
    return MATCHED if any(says_outcome(text, o) for o in outcomes) else CONFLICT


def side_outcomes(q: Query, u: Unit, ents: EntityIndex) -> tuple[tuple[str, str], ...]:
    """The asked outcomes that apply to the unit's study: its own when the studies are
    compared with an outcome each (``Slots.outcomes_by_study``, rag/arms.py), else all."""
    if len(q.slots.studies) < 2 or not q.slots.outcomes_by_study:
        return q.slots.outcomes
    own = ents.docs.get(u.doc_id)
    mine = set(ents.studies_in(f"{u.context} {u.match}")) or (own.studies if own else set())
    return next((o for study, o in q.slots.outcomes_by_study if study in mine), q.slots.outcomes)


def status_binding(q: Query, u: Unit) -> str:
    """See the module docstring (status). When the document's own population (its title, Ph
    status, setting) has the other status, the question's premise is wrong ("E1910 in
    MRD-positive adults"): no unit of it conflicts, so the sentences saying who was studied
    can correct it."""
    if not q.slots.statuses:
        return NA
    asked = [s for s, _ in q.slots.statuses]
    names, markers = dict(q.slots.marker_names), {m for m, _ in asked}
    meta = u.chunk.meta
    population = statuses(f"{meta.title}. {meta.ph_status}. {meta.setting}.", markers, names)
    if conflicts(asked, population):
        return MATCHED
    stated = statuses(f"{u.context} {u.match}", markers, names)
    return CONFLICT if conflicts(asked, stated) else MATCHED


def measure_binding(q: Query, u: Unit) -> str:
    """See the module docstring (measure)."""
    if not q.slots.measures:
        return NA
    have = set(content_stems(f"{u.chunk.meta.title} {u.context} {u.match}"))
    return MATCHED if any(m.covered(have) for m in q.slots.measures) else CONFLICT


def sides_binding(q: Query, u: Unit) -> str:
    """See the module docstring (sides). Reports compared are the report slot's (two sides
    then only name the comparison table's rows); one subgroup asked is always named."""
    if not q.slots.sides or (q.slots.reports and len(q.slots.sides) > 1):
        return NA
    text = f"{u.chunk.meta.title} {u.context} {u.match}"
    return MATCHED if any(s.named_in(text) for s in q.slots.sides) else CONFLICT


def bind(
    q: Query, u: Unit, ents: EntityIndex, lex: IndexLexicon, topic_floor: float = 1.0
) -> Binding:
    """The unit's binding to each slot of ``q``; ``topic_floor``: see ``answer.topic_floor``."""
    text = u.match
    share, missing = topic_share(q, u, lex, topic_floor)
    return Binding(
        study=study_binding(q.slots.studies, u, ents),
        report=report_binding(q.slots.reports, u, ents, q.has("comparison")),
        time=time_binding(q.slots.time_points, text, q.slots.time_required),
        statistic=stat_binding(q, text, " ".join(c.header for c in u.chunk.cells)),
        soft_statistic=set(q.slots.statistics) <= {"rate", "count"} and not q.slots.figure_required,
        soft_study=q.slots.claim,
        outcome=outcome_binding(side_outcomes(q, u, ents), u),
        status=status_binding(q, u),
        measure=measure_binding(q, u),
        sides=sides_binding(q, u),
        topic=share,
        missing_terms=missing,
    )
