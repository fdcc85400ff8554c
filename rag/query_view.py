"""What was understood of a question, as the answer's ``query`` field (citeqa.answer.QueryView):
its text as asked and as shown, the follow-up it was resolved to, and its slots by name."""

from __future__ import annotations

from citeqa.answer import QueryView, SlotValue
from rag.entities import EntityIndex
from rag.query import Query


def query_view(q: Query, ents: EntityIndex, extra_flags: tuple[str, ...] = ()) -> QueryView:
    """What was understood of the question, for the answer's ``query`` field; ``extra_flags``
    are flags found outside the query parse (the question's language)."""
    s = q.slots
    slots = [SlotValue("study", ents.name(x)) for x in s.studies]
    slots += [SlotValue("report", ents.name(x)) for x in s.reports]
    slots += [SlotValue("outcome", short) for short, _ in s.outcomes]
    slots += [SlotValue("status", written) for _, written in s.statuses]
    slots += [SlotValue("measure", m.written) for m in s.measures]
    slots += [SlotValue("time point", str(t)) for t in s.time_points]
    slots += [SlotValue("statistic", x) for x in s.statistics]
    slots += [SlotValue("topic", x) for x in s.terms]
    return QueryView(
        text=q.raw,
        shown=q.text,
        resolved=q.resolved,
        did_you_mean=q.did_you_mean,
        flags=tuple(sorted(set(q.flags) | set(extra_flags))),
        slots=tuple(slots),
    )
