"""Why the sources do not answer: the first unbound slot of the question, in words, or a
source's own statement that it does not report what was asked (rag/select.py abstains with
them)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rag.binding import ABSENT, CONFLICT, MATCHED
from rag.lexicon import stem, words
from rag.query import Query

if TYPE_CHECKING:
    from rag.candidates import Unit
    from rag.select import Policy, Scored

NOT_REPORTED = "the source on this says it does not report it (quoted below)"


# what a decline calls each statistic type (rag/binding.py SPANS)
_STATISTIC_NAMES = {
    "hr": "hazard ratio",
    "ci": "confidence interval",
    "p": "P value",
    "iqr": "interquartile range",
}


def reason_for(q: Query, scored: Sequence[Scored]) -> tuple[str, str]:
    """The first unbound slot, in words: why the sources do not answer. Slots are checked in
    order (study, outcome, marker status, measure, sides, time point, statistic, topic) over
    the units about the named study; when one subgroup is asked and some units name it, the
    later checks are over those units ("no indexed source reports a 4-year figure for
    AALL1731 in the SR-high group")."""
    if not scored:
        return "no-passage", "nothing in the indexed documents is about this question"
    studies = ", ".join(s.upper() for s in q.slots.studies)
    where = f" for {studies}" if studies else ""
    about = [s for s in scored if s.binding.study not in (CONFLICT, ABSENT)]
    if q.slots.studies and not about:
        return "unbound-study", f"no indexed passage on this topic is about {studies}"
    top = (about or list(scored))[: max(5, len(scored) // 3)]
    if q.slots.outcomes and all(s.binding.outcome == CONFLICT for s in top):
        names = " or ".join(short for short, _ in q.slots.outcomes)
        return "unbound-outcome", f"no indexed passage reports {names}{where}"
    if q.slots.statuses and all(s.binding.status == CONFLICT for s in top):
        asked = " or ".join(w for _, w in q.slots.statuses)
        about_study = f" about {studies}" if studies else ""
        return "unbound-status", f"no indexed passage{about_study} reports results for {asked}"
    named = {x.lower() for x in q.slots.studies}
    written = [
        " ".join(w for w in m.written.split() if w.lower() not in named) for m in q.slots.measures
    ]
    measure = " or ".join(w for w in written if w)
    if q.slots.measures and all(s.binding.measure == CONFLICT for s in top):
        return "unbound-measure", f"no indexed passage{where} gives a figure of {measure}"
    if q.slots.sides and all(s.binding.sides == CONFLICT for s in top):
        asked = " or ".join(x.label for x in q.slots.sides)
        return "unbound-sides", f"no indexed passage{where} reports {asked} separately"
    if len(q.slots.sides) == 1:  # one subgroup asked: what is unbound is unbound for it
        top = [s for s in top if s.binding.sides == MATCHED] or top
        where = f"{where} in the {q.slots.sides[0].label} group"
    figureless = [s for s in (about or scored) if s.binding.conflicting() == "statistic"]
    if measure and figureless:  # "what % had seizures": seizures named, with no figure
        return "unbound-measure", f"no indexed passage{where} gives a figure of {measure}"
    if q.slots.time_points and all(s.binding.time != MATCHED for s in top):
        asked = ", ".join(str(t) for t in q.slots.time_points)
        return "unbound-time", f"no indexed source reports a {asked} figure{where}"
    if q.slots.statistics and all(s.binding.statistic == CONFLICT for s in top):
        kinds = ", ".join(_STATISTIC_NAMES.get(k, k) for k in q.slots.statistics)
        return "unbound-statistic", f"no indexed passage gives the asked {kinds}{where}"
    # words no indexed document uses at all ("tungsten") are named too
    missing = own_words(q, _common_missing(top) | set(q.slots.unseen))
    if missing:
        return "unbound-topic", f"no indexed passage is about {', '.join(missing)}"
    return "low-relevance", "no indexed passage states what was asked"


def _common_missing(top: Sequence[Scored]) -> set[str]:
    """The topic stems every one of the top units misses."""
    sets = [set(s.binding.missing_terms) for s in top if s.binding.missing_terms]
    if not sets or len(sets) < len(top):
        return set()
    return set.intersection(*sets)


def own_words(q: Query, stems: Iterable[str]) -> list[str]:
    """The question's own words (lower-cased, as typed, in order) for topic ``stems``: what a
    decline names instead of stems. A compound covers its parts ("disease-free", not also
    "disease")."""
    wanted = set(stems)
    out: list[str] = []
    for w in words(q.focus):
        if stem(w) in wanted and w not in out and not any(w in x.split("-") for x in out):
            out.append(w)
    return out


def unreported(scored: Sequence[Scored], policy: Policy) -> Scored | None:
    """A unit saying that its source does not report something ("The news report gives no
    adverse-event data, no overall survival ...", "No time point is stated for ..."), with a
    logit of at least ``not_reported_ce``, that is either the unit the cross-encoder reads as
    most relevant, among those about the asked study and report, by ``not_reported_margin``
    over the next (a near tie cannot tell which part of the question it speaks to), or one
    of the ``not_reported_top`` most relevant that uses more of the question's topic words
    than that one: the sources say they do not answer."""
    about = [s for s in scored if CONFLICT not in (s.binding.study, s.binding.report)]
    if not about:
        return None
    ranked = sorted(about, key=lambda s: -s.ce)
    best = ranked[0]
    ahead = best.ce - ranked[1].ce if len(ranked) > 1 else math.inf
    for s in ranked[: policy.not_reported_top]:
        if s.ce < policy.not_reported_ce or not says_not_reported(s.unit, policy):
            continue
        if s is best and ahead >= policy.not_reported_margin:
            return s
        if s.binding.topic > best.binding.topic:
            return s
    return None


def says_not_reported(u: Unit, policy: Policy) -> bool:
    return bool(policy.not_reported) and bool(re.search(policy.not_reported, u.full, re.I))
