"""Evidence in context (issue N): who was studied, which data cut, side by side.

:func:`annotate` takes the answerer's :class:`~rag.compose.Draft` and returns it with

- every citation's ``population`` (rag/population.py), ``trial`` and ``report`` (latest or
  earlier among the reports of its trial, with the latest report's doc id);
- the units of a trial's latest report quoted before those of its earlier reports, and a
  "data-cut" notice when an earlier report's figures are quoted too (or alone), unless the
  question names a report, a year or a time point;
- "population" notices: a question about children citing a study that enrolled only adults,
  or a question about one disease setting citing a study of another;
- a "not yet peer-reviewed" label after every quoted figure of a conference abstract;
- the comparison's per-side values and table (rag/compare.py);
- for clinicians, the evidence line ("1 randomised trial in children; 1 peer-reviewed article,
  1 conference abstract; evidence as of Dec 2025").

Reports of one trial are documents of type journal article or conference abstract sharing a
trial name or NCT id, ordered by date (``Metadata.date``, else year), abstracts before articles
of the same date.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from citeqa.answer import AnswerSentence, Audience, Citation, Notice, ReportLink
from citeqa.domain import Evidence, Vocabulary
from citeqa.models import Chunk, Metadata
from ingest.numbers import number_values
from rag.compare import compare
from rag.compose import Draft
from rag.entities import EntityIndex, norm
from rag.population import UNKNOWN, about_children, asked_setting, design_of, population_of
from rag.query import Query
from rag.timepoint import time_points
from rag.timing import stage

REPORT_TYPES = ("conference-abstract", "journal-article")
_TYPE_RANK = {"conference-abstract": 0, "journal-article": 1}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def report_date(m: Metadata) -> str:
    """``YYYY[-MM[-DD]]`` of a document: its date, else its year ("" when neither)."""
    return m.date or (str(m.year) if m.year else "")


def shown_date(date: str) -> str:
    """ "Dec 2025" for 2025-12(-06), "2025" for 2025."""
    parts = date.split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def report_name(m: Metadata) -> str:
    """A report as people name it: venue, abstract number, date ("N Engl J Med, Dec 2024")."""
    venue = m.venue or m.title or m.doc_id
    abstract = f", abstract {m.abstract_number}" if m.abstract_number else ""
    date = shown_date(report_date(m))
    return f"{venue}{abstract}, {date}" if date else f"{venue}{abstract}"


def study_name(m: Metadata) -> str:
    """The trial name, else the first author's study ("Locatelli 2021"), else the title."""
    if m.trial:
        return m.trial
    if m.authors and m.authors[0] != "et al.":
        who = m.authors[0].split()[0]
        return f"{who} {m.year}" if m.year else who
    return m.nct or m.title or m.doc_id


def trial_keys(m: Metadata) -> frozenset[str]:
    return frozenset(norm(x) for x in (m.trial, m.nct) if x)


def reports_of(doc_id: str, docs: Mapping[str, Metadata]) -> list[str]:
    """The reports of ``doc_id``'s trial (itself included), oldest first; [] when ``doc_id``
    is not a report or its trial has no name. (A :class:`Documents` answers from its index
    of reports by trial key; any other mapping is searched whole.)"""
    if isinstance(docs, Documents):
        return list(docs.reports_of(doc_id))
    m = docs.get(doc_id)
    if m is None or m.doc_type not in REPORT_TYPES or not trial_keys(m):
        return []
    keys = trial_keys(m)
    same = [d for d, x in docs.items() if x.doc_type in REPORT_TYPES and trial_keys(x) & keys]
    return _by_date(same, docs)


def _by_date(doc_ids: Iterable[str], docs: Mapping[str, Metadata]) -> list[str]:
    return sorted(doc_ids, key=lambda d: (report_date(docs[d]), _TYPE_RANK[docs[d].doc_type], d))


class Documents(dict[str, Metadata]):
    """Every indexed document's metadata by doc id, with the reports of each trial key indexed
    (built on first use, so :func:`reports_of` costs one lookup instead of a pass over every
    document). Not to be changed after the first :func:`reports_of`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_key: dict[str, list[str]] | None = None
        self._series: dict[str, tuple[str, ...]] = {}

    def reports_of(self, doc_id: str) -> tuple[str, ...]:
        got = self._series.get(doc_id)
        if got is not None:
            return got
        by_key = self._by_key
        if by_key is None:
            by_key = defaultdict(list)
            for d, x in self.items():
                if x.doc_type in REPORT_TYPES:
                    for k in trial_keys(x):
                        by_key[k].append(d)
            self._by_key = by_key
        m = self.get(doc_id)
        if m is None or m.doc_type not in REPORT_TYPES or not trial_keys(m):
            got = ()
        else:
            got = tuple(_by_date({d for k in trial_keys(m) for d in by_key.get(k, ())}, self))
        self._series[doc_id] = got
        return got


def report_link(doc_id: str, docs: Mapping[str, Metadata]) -> ReportLink | None:
    series = reports_of(doc_id, docs)
    if len(series) < 2:
        return None
    if series[-1] == doc_id:
        return ReportLink("latest")
    return ReportLink("earlier", series[-1])


@dataclass(frozen=True)
class Sources:
    """What :func:`annotate` reads besides the draft: every indexed document's metadata, the
    named entities and the profile's evidence words."""

    docs: Mapping[str, Metadata]
    ents: EntityIndex
    words: Evidence
    vocabulary: Vocabulary | None = None  # the profile's (shorthand, statistic words)

    @classmethod
    def of_profile(cls, docs: Mapping[str, Metadata], ents: EntityIndex, profile: Any) -> Sources:
        """The sources with ``profile``'s evidence words and vocabulary."""
        return cls(docs, ents, profile.evidence, profile.vocabulary)

    @classmethod
    def of(cls, chunks: Iterable[Chunk], ents: EntityIndex, words: Evidence) -> Sources:
        """The sources of an index's chunks (each document's metadata once)."""
        docs = Documents()
        for c in chunks:
            docs.setdefault(c.doc_id, c.meta)
        return cls(docs, ents, words)


def annotate(q: Query, draft: Draft, audience: Audience, src: Sources) -> Draft:
    """``draft`` with its evidence in context (see the module docstring). An abstention only
    gets its nearest sources' population and report links."""
    with stage("evidence"):
        return _annotate(q, draft, audience, src)


def _annotate(q: Query, draft: Draft, audience: Audience, src: Sources) -> Draft:
    docs, ev = src.docs, src.words
    if draft.abstained or not draft.units:
        return dataclasses.replace(
            draft, nearest=tuple(_linked(c, docs, ev) for c in draft.nearest)
        )
    cites = tuple(_linked(c, docs, ev) for c in draft.citations)
    units: Sequence[AnswerSentence] = draft.units
    named = bool(q.slots.reports or q.slots.time_points)
    if not named:
        units = latest_first(units, cites, docs)
    units, cites = renumber(units, cites)
    notices = [*population_notices(q, audience, cites, docs, ev)]
    if not named:
        notices += data_cut_notices(units, cites, docs, ev)
    label = getattr(ev.abstract_label, audience.value)
    labels = tuple(label if _abstract_figure(u, cites) else "" for u in units)
    side_values, table = compare(q, units, cites, src)
    summary = evidence_line(cites, docs, ev) if audience is Audience.CLINICIAN else ""
    return dataclasses.replace(
        draft,
        units=tuple(units),
        citations=cites,
        notices=(*draft.notices, *notices),
        labels=labels,
        comparison=side_values,
        table=table,
        evidence_summary=summary,
    )


def _linked(c: Citation, docs: Mapping[str, Metadata], ev: Evidence) -> Citation:
    m = docs.get(c.doc_id)
    if m is None:
        return c
    return dataclasses.replace(
        c,
        population=population_of(m, ev),
        trial=c.trial or m.trial or m.nct,
        report=report_link(c.doc_id, docs),
    )


def latest_first(
    units: Sequence[AnswerSentence], cites: Sequence[Citation], docs: Mapping[str, Metadata]
) -> list[AnswerSentence]:
    """The units with each trial's reports newest first (other units keep their places)."""
    by_n = {c.n: c for c in cites}
    slots: dict[str, list[int]] = defaultdict(list)  # trial's latest report -> unit positions
    rank: dict[int, int] = {}
    for i, u in enumerate(units):
        c = by_n.get(u.citations[0]) if u.citations else None
        series = reports_of(c.doc_id, docs) if c else []
        if c is None or not series:
            continue
        slots[series[-1]].append(i)
        rank[i] = -series.index(c.doc_id)
    out = list(units)
    for positions in slots.values():
        ordered = sorted(positions, key=lambda i: rank[i])  # stable: reading order kept
        for at, i in zip(positions, ordered, strict=True):
            out[at] = units[i]
    return out


def renumber(
    units: Sequence[AnswerSentence], cites: Sequence[Citation]
) -> tuple[tuple[AnswerSentence, ...], tuple[Citation, ...]]:
    """Citations numbered again by first use in ``units``."""
    new: dict[int, int] = {}
    for u in units:
        for n in u.citations:
            new.setdefault(n, len(new) + 1)
    for c in cites:
        new.setdefault(c.n, len(new) + 1)
    out_units = tuple(
        dataclasses.replace(u, citations=tuple(new[n] for n in u.citations)) for u in units
    )
    out_cites = tuple(
        sorted((dataclasses.replace(c, n=new[c.n]) for c in cites), key=lambda c: c.n)
    )
    return out_units, out_cites


def _markers(ns: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in sorted(set(ns)))


def leaves_carried_study(q: Query, src: Sources) -> bool:
    """A follow-up asks about another disease setting than every study it carried enrolled
    ("And in relapsed patients?" after a question on a newly-diagnosed trial): the carried
    study names should not bind it. A study's setting is the one its reports state (reports
    that state none are left out). False when the follow-up names no setting or no report of a
    carried study states its setting."""
    asked = asked_setting(q.raw, src.words)
    if not asked or "studies" not in q.carried:
        return False
    for key in q.slots.studies:
        settings = set()
        for doc_id in src.ents.docs_of_study(key):
            if doc_id in src.docs:
                pop = population_of(src.docs[doc_id], src.words)
                settings.add(src.words.setting_of.get(pop.setting, ""))
        settings.discard("")
        if not settings or asked in settings:
            return False
    return True


def population_notices(
    q: Query,
    audience: Audience,
    cites: Sequence[Citation],
    docs: Mapping[str, Metadata],
    ev: Evidence,
) -> list[Notice]:
    """A notice per cited study whose population the question's may differ from: adults only
    for a question about children, another disease setting than the one asked."""
    child = about_children(q.raw, audience, ev)
    asked = asked_setting(q.raw, ev)
    by_study: dict[str, list[Citation]] = defaultdict(list)
    for c in cites:
        if c.doc_id in docs:
            by_study[study_name(docs[c.doc_id])].append(c)
    out = []
    for study, cs in by_study.items():
        pop = cs[0].population
        if pop is None:
            continue
        ns = tuple(c.n for c in cs)
        if child and pop.age_group in ev.adult_groups:
            text = getattr(ev.adult_notice, audience.value).format(study=study)
            out.append(Notice("population", text, ns))
            continue
        theirs = ev.setting_of.get(pop.setting, "")
        if asked and theirs and theirs != asked:
            tmpl = getattr(ev.setting_notice, audience.value)
            out.append(
                Notice("population", tmpl.format(study=study, setting=pop.setting, asked=asked), ns)
            )
    return out


def data_cut_notices(
    units: Sequence[AnswerSentence],
    cites: Sequence[Citation],
    docs: Mapping[str, Metadata],
    ev: Evidence,
) -> list[Notice]:
    """A "data-cut" notice per trial whose earlier report is quoted: with its latest report
    when their figures differ, or alone (a later report exists)."""
    quoted: dict[int, list[str]] = defaultdict(list)
    for u in units:
        for n in u.citations:
            quoted[n].append(u.text)
    groups: dict[str, list[Citation]] = defaultdict(list)
    for c in cites:
        series = reports_of(c.doc_id, docs)
        if len(series) > 1:
            groups[series[-1]].append(c)
    out = []
    for latest_id, cs in groups.items():
        latest = [c for c in cs if c.doc_id == latest_id]
        earlier = [c for c in cs if c.doc_id != latest_id]
        if not earlier:
            continue
        trial = study_name(docs[latest_id])
        early_text = [t for c in earlier for t in quoted[c.n]]
        names = {
            "trial": trial,
            "earlier": _markers([c.n for c in earlier]),
            "earlier_name": report_name(docs[earlier[-1].doc_id]),
            "latest_name": report_name(docs[latest_id]),
        }
        if not latest:
            text = ev.data_cut_earlier.format(**names)
            out.append(Notice("data-cut", text, tuple(c.n for c in earlier)))
            continue
        late_text = [t for c in latest for t in quoted[c.n]]
        if number_values(early_text) <= number_values(late_text):
            continue  # the earlier report's figures are the latest's too
        tps = list(dict.fromkeys(str(t) for x in early_text for t in time_points(x)))
        what = f"{', '.join(tps)} " if tps else ""
        text = ev.data_cut_both.format(latest=_markers([c.n for c in latest]), what=what, **names)
        out.append(Notice("data-cut", text, tuple(c.n for c in cs)))
    return out


def _abstract_figure(u: AnswerSentence, cites: Sequence[Citation]) -> bool:
    """A unit that quotes a figure from a conference abstract."""
    by_n = {c.n: c for c in cites}
    abstract = any(by_n[n].doc_type == "conference-abstract" for n in u.citations if n in by_n)
    return abstract and any(ch.isdigit() for ch in " ".join([u.text, *u.items]))


def _plural(word: str, n: int) -> str:
    if n == 1:
        return word
    head, sep, tail = word.partition(" in ")
    head = head[:-1] + "ies" if head.endswith("y") else head + "s"
    return head + sep + tail


def evidence_line(cites: Sequence[Citation], docs: Mapping[str, Metadata], ev: Evidence) -> str:
    """ "1 randomised trial in children; 1 peer-reviewed article, 1 conference abstract;
    evidence as of Dec 2025" for the cited documents ("" when none is known)."""
    metas = [docs[d] for d in dict.fromkeys(c.doc_id for c in cites) if d in docs]
    if not metas:
        return ""
    studies: dict[str, set[str]] = defaultdict(set)  # "design in age group" -> study keys
    for m in metas:
        design = design_of(m, ev)
        if not design:
            continue
        age = population_of(m, ev).age_group
        what = f"{design} in {age}" if age != UNKNOWN else design
        studies[what].add(min(trial_keys(m)) if trial_keys(m) else m.doc_id)
    types: dict[str, int] = defaultdict(int)
    for m in metas:
        types[ev.type_names.get(m.doc_type, "other document")] += 1
    designs = ", ".join(f"{len(v)} {_plural(k, len(v))}" for k, v in studies.items())
    kinds = ", ".join(f"{n} {_plural(k, n)}" for k, n in types.items())
    date = max((report_date(m) for m in metas), default="")
    parts = {"designs": designs or kinds, "types": kinds, "date": shown_date(date) or "?"}
    line = ev.summary.format(**parts)
    return line.replace(f"{kinds}; {kinds}", kinds)
