"""Follow-ups: what a message that continues the chat takes from the previous question
(rag/query.py ``parse_query`` decides that it is one)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from rag.arms import NamedSide, group_side
from rag.lexicon import content_stems, stem
from rag.measure import Measure
from rag.query import Query, Slots, Understanding, shown_elsewhere


def study_names(studies: Sequence[str], u: Understanding) -> str:
    """The studies' names as the documents write them, to be searched for."""
    return " ".join(u.entities.name(s) for s in studies)


def with_chat_study(q: Query, before: Query, u: Understanding) -> Query:
    """A question naming no study after one that did: the chat's study is a soft preference,
    and its name is searched for too."""
    names = study_names(before.slots.studies, u)
    return replace(q, soft_studies=before.slots.studies, retrieval=f"{q.retrieval} {names}")


def asks_attribute_only(q: Query, before: Query, u: Understanding) -> bool:
    """After a question about a study, one naming no study that asks only for an attribute
    any study has ("how many pts, what ratio", "how long was f/u") asks about that study."""
    if q.slots.studies or q.slots.reports or not (before.slots.studies or before.slots.reports):
        return False
    words = {stem(w) for w in u.vocab.study_attributes}
    attributes = set(words)
    for group in q.slots.alternatives:  # a synonym of an attribute word is one ("kids", "assigned")
        if any(all(x in words for x in phrase) for phrase in group):
            attributes |= {t for phrase in group for t in phrase}
    terms = q.slots.terms
    return bool(terms) and not q.slots.outcomes and all(t in attributes for t in terms)


def carry_study(q: Query, before: Query, u: Understanding) -> Query:
    """A follow-up asking an attribute of the previous question's study: it takes the study
    (and report) alone; what the previous question asked is not carried."""
    b = before.slots
    slots = replace(q.slots, studies=b.studies, reports=b.reports)
    names = study_names((*b.studies, *b.reports), u)
    return replace(
        q,
        slots=slots,
        carried=tuple(n for n in ("studies", "reports") if getattr(b, n)),
        flags=q.flags | {"followup"},
        resolved=f"{q.text.strip()} (in {names})",
        retrieval=f"{q.retrieval} {names}",
        focus=f"{q.focus} ({names})",
    )


_TIMELESS = frozenset({"count", "median", "iqr", "duration", "dose"})


def carry_over(
    q: Query,
    before: Query,
    long_forms: Mapping[str, str] | None = None,
    groups: tuple[NamedSide | None, NamedSide | None] = (None, None),
) -> Query:
    """A follow-up takes from the previous question every slot it does not fill itself. One
    that names its own outcome ("and OS?" after a response rate) asks a new thing of the same
    study: the previous question's statistic and topic words described the old outcome and are
    not carried. ``groups``: the group of people the follow-up names by what they got, and the
    previous question's (rag/arms.py ``group_side``): a follow-up naming another group ("and
    the ones who only got chemo?") asks about that group alone, which a unit must name, and
    the previous group's words are not carried. A follow-up asking only a count, median or
    duration ("median f/u there?" after "4y dfs") does not take the previous time point."""
    s, b = q.slots, before.slots
    group, old = groups
    if group is not None and not s.sides:
        old_words = old.keys | set(content_stems(old.label)) if old is not None else set()
        dropped = old_words - group.keys - set(content_stems(group.label))
        s = replace(s, sides=(group,))
        b = replace(b, terms=tuple(t for t in b.terms if t not in dropped))
    keeps_what = not s.outcomes and not (group is None and names_new_thing(q, before))
    lean = len(s.terms) < 3 and keeps_what
    # "5y?" after "aall1731 4y dfs?": the time point is all it asks, so a unit must state it
    only_time = bool(s.time_points) and not (s.terms or s.outcomes or s.statistics)
    # "95% CI on that?" after the Hispanic HR: the figure asked is of what was asked before
    of_that = bool(s.statistics) and lean and not (s.outcomes or s.time_points or s.measures)
    # "median f/u there?" after "4y dfs": a count, median or duration takes no time point
    timeless = bool(s.statistics) and set(s.statistics) <= _TIMELESS
    asked = before.text.strip().rstrip("?").strip()
    said = tuple(_forms(t, long_forms or {}) for t in b.terms if t not in b.unseen)
    subject = (Measure(asked, said),) if of_that and said else ()
    slots = Slots(
        studies=s.studies or b.studies,
        reports=s.reports or b.reports,
        time_points=s.time_points or (() if timeless else b.time_points),
        statistics=s.statistics or (b.statistics if keeps_what else ()),
        outcomes=s.outcomes or (b.outcomes if keeps_what else ()),
        outcomes_by_study=s.outcomes_by_study,
        terms=tuple(dict.fromkeys(s.terms + b.terms)) if lean else s.terms,
        alternatives=s.alternatives + b.alternatives if lean else s.alternatives,
        unseen=s.unseen,
        statuses=s.statuses or b.statuses,
        marker_names=s.marker_names if s.statuses else b.marker_names,
        measures=s.measures or subject,  # its own words say what it counts ("and infections?")
        time_required=only_time,
        figure_required=s.figure_required or (b.figure_required and keeps_what),
        sides=s.sides,
    )
    resolved = f"{q.text.strip()} (after: {before.text.strip()})"
    carried = tuple(n for n in ("studies", "reports") if not getattr(s, n) and getattr(b, n))
    return replace(
        q,
        slots=slots,
        carried=carried,
        flags=q.flags | {"followup"},
        resolved=resolved,
        retrieval=f"{q.retrieval} {before.retrieval}",
        focus=f"{before.focus} {q.focus}",
    )


_QUALIFIER_LEAD = re.compile(
    r"^\s*(?:ok(?:ay)?[,.]?\s+|so\s+)?(?:and\s+|but\s+|what about\s+|how about\s+)?"
    r"(?:in|for|among|with|without|at|after|before|by|from|during|on|within)\b",
    re.I,
)
_POINTS_BACK = re.compile(r"\b(it|its|that|this|these|those|they|them|one|ones|same)\b", re.I)
_QUALIFIERS = {"grade", "sever", "serious", "overal", "total", "whole", "ani", "onli", "specif"}


def names_new_thing(q: Query, before: Query) -> bool:
    """A follow-up that names a new thing to ask the same of ("neuro events?" after grade 3+
    CRS, "and marrow relapse specifically?" after CIR): its own words, not a population
    ("and in boys?"), a grade or scope ("and grade 3+?"), nor a pointer back to the previous
    thing ("which one lasts longest?")."""
    if _QUALIFIER_LEAD.match(q.text) or _POINTS_BACK.search(q.text):
        return False
    return bool(set(q.slots.terms) - set(before.slots.terms) - _QUALIFIERS)


def _forms(term: str, long_forms: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """A topic stem and the stems of its long form ("blin": blinatumomab), each naming it."""
    long = tuple(content_stems(long_forms.get(term, "")))
    return ((term,), long) if long else ((term,),)


def without_carried_names(q: Query, drop: Sequence[str]) -> Query:
    """The follow-up without the study and report it carried, their names (``drop``) dropped
    from the searched text as well: the follow-up asks about another population than they
    enrolled ("and in relapsed patients?")."""
    slots = replace(
        q.slots,
        studies=() if "studies" in q.carried else q.slots.studies,
        reports=() if "reports" in q.carried else q.slots.reports,
    )
    names = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in drop), re.I)
    return replace(
        q,
        slots=slots,
        carried=(),
        soft_studies=(),
        retrieval=names.sub(" ", q.retrieval),
        focus=names.sub(" ", q.focus),
    )


def with_message_context(q: Query, context: Query, leaned_on: str) -> Query:
    """A message's question that leans on the message's own earlier sentences ("I read the
    leaflet and there's a black box warning on it. ... What is that warning about?"). It
    takes their slots and search words as a follow-up takes the previous question's, but not
    their topic words: a story's words are not asked. Units are scored against the question
    alone and against the question after the sentences it leans on, the better of the two
    (the cross-encoder reads a long story poorly, and a bare "was that the leukemia?" too)."""
    bare = replace(context, slots=replace(context.slots, terms=(), alternatives=()))
    out = carry_over(q, bare)
    return replace(
        out,
        flags=q.flags,
        resolved=f"{q.focus} (after: {leaned_on})",
        focus=q.focus,
        context_focus=f"{leaned_on} {q.focus}",
    )


def group_of(text: str, u: Understanding, slots: Slots) -> NamedSide | None:
    """The group of people ``text`` names by what they got (rag/arms.py ``group_side``);
    the words of its outcomes and studies are not the group's."""
    return group_side(text, u.vocab, shown_elsewhere(u, slots.outcomes))
