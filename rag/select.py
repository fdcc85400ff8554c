"""Score the units, decide whether the sources answer, and choose what to quote.

Every unit is read by the cross-encoder once (with its context), bound to the question's
slots and given a probability by the ranker. Units with a conflicting hard slot are never
quoted. The answer quotes the most probable eligible unit when it reaches the ranker's
threshold, then further eligible units above the keep threshold (near-duplicates dropped, both
sides of a comparison looked for); otherwise, or when an asked time point is stated by no
eligible unit nor its passage (:func:`untimed`), it abstains naming the first unbound slot. For a
family, the chosen units must read at or under the grade ceiling together (with the note that
follows them): a unit too hard alone may join once a plainer one is chosen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from citeqa.answer import AnswerSentence, Audience, Citation, UnitKind
from citeqa.protocols import Reranker
from citeqa.settings import AnswerSettings
from ingest.numbers import number_values
from rag.binding import MATCHED, NA, Binding, bind, study_binding
from rag.candidates import Unit
from rag.compose import Draft
from rag.entities import EntityIndex
from rag.lexicon import IndexLexicon, content_stems
from rag.query import Query
from rag.ranker import RankerModel, features, register_offered
from rag.readability import fk_grade
from rag.reasons import NOT_REPORTED, reason_for, says_not_reported, unreported
from rag.timepoint import time_points


@dataclass(frozen=True)
class Scored:
    unit: Unit
    binding: Binding
    ce: float
    features: dict[str, float]
    p: float

    @property
    def eligible(self) -> bool:
        return not self.binding.conflicting()


HARD_WORDS = "the passages that answer use hard medical words"  # the too-hard decline's reason


@dataclass(frozen=True)
class Policy:
    """How to score and choose for one question: the ranker, the reader, the limits (each
    described in ``AnswerSettings``; build it with :meth:`of`)."""

    model: RankerModel
    audience: Audience
    max_units: int  # units quoted at most (answer.max_sentences)
    ceiling: float  # family reading-grade ceiling (answer.family_max_grade)
    budget: int  # units read by the cross-encoder (answer.units)
    topic_floor: float  # answer.topic_floor
    prescore_slot: float  # answer.prescore_slot
    duplicate_overlap: float  # answer.duplicate_overlap
    note: str = ""  # read after every family answer (the profile's family_note)
    not_reported: str = ""  # regex of "the source does not report X" (vocabulary.not_reported)
    not_reported_ce: float = 0.0  # answer.not_reported_ce
    not_reported_top: int = 1  # answer.not_reported_top
    not_reported_margin: float = 0.0  # answer.not_reported_margin

    @classmethod
    def of(
        cls,
        cfg: AnswerSettings,
        model: RankerModel,
        audience: Audience,
        note: str = "",
        not_reported: str = "",
    ) -> Policy:
        return cls(
            model,
            audience,
            cfg.max_sentences,
            cfg.family_max_grade,
            cfg.units,
            cfg.topic_floor,
            cfg.prescore_slot,
            cfg.duplicate_overlap,
            note,
            not_reported,
            cfg.not_reported_ce,
            cfg.not_reported_top,
            cfg.not_reported_margin,
        )


@dataclass(frozen=True)
class Choice:
    """What to quote (best first), or why not."""

    units: tuple[Scored, ...]
    reason_code: str = ""
    reason: str = ""
    missing_sides: tuple[str, ...] = ()
    urgent: bool = False  # the first ``lead`` units are the urgent guidance
    lead: int = 0  # units of safety guidance at the head
    nearest: tuple[Scored, ...] = ()  # a decline's first nearest sources (a "not reported")


def prescore(b: Binding, u: Unit, weight: float) -> float:
    """A cheap first ranking of units (topic words and slots), before the cross-encoder:
    topic share, plus ``weight`` per matched study, time point and statistic, plus ``weight``
    / (1 + retrieval rank)."""
    slots = sum(weight for x in (b.study, b.time, b.statistic) if x == MATCHED)
    return b.topic + slots + weight / (1 + u.rank)


def score_units(
    q: Query,
    units: Sequence[Unit],
    reranker: Reranker,
    policy: Policy,
    index: tuple[EntityIndex, IndexLexicon],
    every: bool = True,
) -> list[Scored]:
    """The ``budget`` units most likely to answer (by :func:`prescore`) with their
    cross-encoder logit, slot binding, features and probability, most probable first;
    ``every`` False: only the eligible ones of them (none of the others can be quoted), and
    those saying their source does not report something (:func:`unreported` reads them)."""
    if not units:
        return []
    ents, lex = index
    bound = [(u, bind(q, u, ents, lex, policy.topic_floor)) for u in units]
    bound.sort(key=lambda ub: -prescore(ub[1], ub[0], policy.prescore_slot))
    bound = [
        ub
        for ub in bound[: policy.budget]
        if every or not ub[1].conflicting() or says_not_reported(ub[0], policy)
    ]
    texts = [u.scored_text() for u, _ in bound]
    logits = [float(x) for x in reranker.score(q.focus, texts)]
    # the better of the question alone and after its context; of the whole question and each
    # thing it asks (a follow-up's parts lean on the previous question: not scored alone)
    others = [q.context_focus] if q.context_focus else []
    others += list(q.own_parts())
    for other in others:
        more = reranker.score(other, texts)
        logits = [max(a, float(b)) for a, b in zip(logits, more, strict=True)]
    out = []
    offered = register_offered([u for u, _ in bound], policy.audience)
    for (u, b), ce in zip(bound, logits, strict=True):
        f = features(u, b, ce, policy.audience, offered)
        out.append(Scored(u, b, ce, f, policy.model.p(f)))
    out.sort(key=lambda s: -s.p)
    return out


@dataclass(frozen=True)
class SafetyLead:
    """Guidance quoted before the answer (urgent signs, dosing), or instead of a decline
    (``fallback``: "if something seems off, call")."""

    units: tuple[Unit, ...] = ()
    fallback: tuple[Unit, ...] = ()
    urgent: bool = False


def guidance_scored(u: Unit) -> Scored:
    binding = Binding(NA, NA, NA, NA, NA, 1.0, ())
    return Scored(u, binding, 0.0, {}, 1.0)


def with_guidance(choice: Choice, lead: SafetyLead) -> Choice:
    """The choice with the safety guidance first (its units quoted once)."""
    head = [guidance_scored(u) for u in lead.units]
    if not choice.units and not head:
        if not lead.fallback:
            return choice
        head = [guidance_scored(u) for u in lead.fallback]
    spans = {(s.unit.chunk.chunk_id, s.unit.span) for s in head}
    rest = [s for s in choice.units if (s.unit.chunk.chunk_id, s.unit.span) not in spans]
    return dataclasses.replace(choice, units=(*head, *rest), urgent=lead.urgent, lead=len(head))


def duplicate(a: str, b: str, overlap: float) -> bool:
    """The same point said twice: the same figures, and at least ``overlap`` of the shorter
    one's content words."""
    if number_values([a]) != number_values([b]):
        return False
    sa, sb = set(content_stems(a)), set(content_stems(b))
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) >= overlap


def fits(s: Scored, chosen: Sequence[Scored], policy: Policy) -> bool:
    """Whether ``s`` adds to ``chosen``: not the same text or point again, and (for a family)
    the units still read at or under the grade ceiling together."""
    if any(
        overlapping(s.unit, c.unit) or duplicate(s.unit.full, c.unit.full, policy.duplicate_overlap)
        for c in chosen
    ):
        return False
    return policy.audience is not Audience.FAMILY or readable([*chosen, s], policy)


def widen(s: Scored, chosen: list[Scored], policy: Policy) -> bool:
    """Quote ``s`` in place of a chosen unit it contains (a sentence, and then the same
    sentence with the one leaning on it: "... 94.8% with blinatumomab. In the chemo-only
    groups, it was 86.9%."), when it fits beside the others; whether it did."""
    inner = next((c for c in chosen if contains(s.unit, c.unit)), None)
    if inner is None:
        return False
    others = [c for c in chosen if c is not inner]
    if not fits(s, others, policy):
        return False
    chosen[chosen.index(inner)] = s
    return True


def contains(a: Unit, b: Unit) -> bool:
    """``a`` quotes all of ``b`` and more, in the same passage."""
    return (
        a.chunk.chunk_id == b.chunk.chunk_id
        and a.span != b.span
        and a.span[0] <= b.span[0]
        and b.span[1] <= a.span[1]
    )


def overlapping(a: Unit, b: Unit) -> bool:
    """Two units quoting the same text of one passage (a sentence, and the sentence leaning
    on it quoted with it)."""
    return a.chunk.chunk_id == b.chunk.chunk_id and a.span[0] < b.span[1] and b.span[0] < a.span[1]


def readable(units: Sequence[Scored], policy: Policy) -> bool:
    """Whether a family reads ``units`` at or under the grade ceiling, graded as they read
    them: the quoted units together, then the note that follows every family answer. (The
    Flesch-Kincaid grade of one short sentence swings widely: "B-ALL is the most common type
    of leukemia in children." alone grades 9.6.)"""
    text = " ".join([*(s.unit.full for s in units), policy.note])
    return fk_grade(text) <= policy.ceiling


def choose(q: Query, scored: Sequence[Scored], policy: Policy, ents: EntityIndex) -> Choice:
    """See the module docstring."""
    model = policy.model
    eligible = [s for s in scored if s.eligible]
    if said := unreported(scored, policy):
        return Choice((), "not-reported", NOT_REPORTED, nearest=(said,))
    if (
        not eligible
        or untimed(q, eligible)
        or model.answer.p(eligible[0].features) < model.threshold
    ):
        code, text = reason_for(q, scored)
        return Choice((), code, text)
    floor = model.keep * eligible[0].p
    pool = [s for s in eligible if s.p >= floor]
    chosen: list[Scored] = []
    waiting: list[Scored] = []  # too hard alone for a family: may fit beside plain units
    for s in pool:
        if not fits(s, chosen, policy):
            if not widen(s, chosen, policy):
                waiting.append(s)
            continue
        chosen.append(s)
        for w in [w for w in waiting if fits(w, chosen, policy)][:1]:
            chosen.append(w)
            waiting.remove(w)
        if len(chosen) >= policy.max_units:
            break
    chosen = chosen[: policy.max_units]
    if not chosen:  # never show a family an answer above its reading grade
        return Choice((), "too-hard", HARD_WORDS)
    chosen.sort(key=lambda s: leading(q, s))
    missing: list[str] = []
    if q.has("comparison") and len(q.slots.studies) > 1:
        chosen, missing = both_sides(q, eligible, chosen, floor / 2, ents)
    return Choice(tuple(order(chosen)), missing_sides=tuple(missing))


def untimed(q: Query, eligible: Sequence[Scored]) -> bool:
    """Whether a time point is asked that no eligible unit states, nor its passage or its
    document's title: the sources report no figure at that time ("5-year DFS" where 3- and
    4-year figures are reported), whatever else the units say of the outcome."""
    if not q.slots.time_points:
        return False
    for s in eligible:
        if s.binding.time == MATCHED:
            return False
        stated = time_points(f"{s.unit.chunk.meta.title}. {s.unit.chunk.match()}")
        if any(t in stated for t in q.slots.time_points):
            return False
    return True


def leading(q: Query, s: Scored) -> tuple[float, int]:
    """Sort key of the chosen units: most probable first (to two decimals); among equally
    probable units, the one adding the fewest words the question did not ask, so the whole
    trial's figure leads its subgroups' ("4-year DFS in AALL1731": 94.8% vs 86.9% before the
    figures of patients with end-of-induction MRD < 0.01%)."""
    asked = set(content_stems(f"{q.focus} {s.unit.chunk.meta.title}"))
    extra = {t for t in content_stems(s.unit.full) if t not in asked and not t[:1].isdigit()}
    return (-round(s.p, 2), len(extra))


def both_sides(
    q: Query, eligible: list[Scored], chosen: list[Scored], floor: float, ents: EntityIndex
) -> tuple[list[Scored], list[str]]:
    """Make sure each compared study is quoted; name the ones no eligible unit reports."""
    missing = []
    for study in q.slots.studies:

        def names(s: Scored, study: str = study) -> bool:
            return study_binding((study,), s.unit, ents) == MATCHED

        if any(names(c) for c in chosen):
            continue
        side = [s for s in eligible if names(s) and s.p >= floor]
        if side:
            chosen.append(side[0])
        else:
            missing.append(study)
    return chosen, missing


def order(chosen: list[Scored]) -> list[Scored]:
    """The best unit first; then grouped by passage (best passage first), in reading order."""
    if not chosen:
        return []
    lead, rest = chosen[0], chosen[1:]
    best_of: dict[str, float] = {lead.unit.chunk.chunk_id: float("inf")}
    for s in rest:
        cid = s.unit.chunk.chunk_id
        best_of[cid] = max(best_of.get(cid, float("-inf")), s.p)
    return [lead, *sorted(rest, key=lambda s: (-best_of[s.unit.chunk.chunk_id], s.unit.position))]


def draft_of(choice: Choice) -> Draft:
    """The cited units (citations numbered by first use) of the chosen units."""
    numbers: dict[str, int] = {}
    quotes: dict[str, list[Scored]] = {}
    units: list[AnswerSentence] = []
    for i, s in enumerate(choice.units):
        cid = s.unit.chunk.chunk_id
        n = numbers.setdefault(cid, len(numbers) + 1)
        quotes.setdefault(cid, []).append(s)
        kind: UnitKind = "list" if s.unit.items else "sentence"
        if choice.urgent and i < choice.lead:
            kind = "urgent"
        units.append(AnswerSentence(s.unit.text, (n,), kind, s.unit.items))
    cites = tuple(
        Citation.from_chunk(
            n,
            quotes[cid][0].unit.passage,
            " ".join(x.unit.full for x in quotes[cid]),
            tuple(x.unit.span for x in quotes[cid]),
        )
        for cid, n in numbers.items()
    )
    return Draft(tuple(units), cites, False)


def nearest_sources(
    scored: Sequence[Scored], k: int = 3, first_type: str = ""
) -> tuple[Citation, ...]:
    """The best unit of each of the ``k`` most probable passages (shown when abstaining);
    passages of document type ``first_type`` first (a family's plain-language explainers)."""
    out: list[Citation] = []
    seen: set[str] = set()
    ranked = sorted(scored, key=lambda s: s.unit.chunk.meta.doc_type != first_type)
    for s in ranked if first_type else scored:
        cid = s.unit.chunk.chunk_id
        if cid in seen:
            continue
        seen.add(cid)
        out.append(Citation.from_chunk(len(out) + 1, s.unit.passage, s.unit.full, (s.unit.span,)))
        if len(out) >= k:
            break
    return tuple(out)
