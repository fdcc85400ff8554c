"""``compose_answer``: the one place an :class:`~citeqa.answer.Answer` is built.

Answerers (extractive, generative) decide *what* to say as a :class:`Draft`: cited units, their
citations, or an abstention with its reason. ``compose_answer`` turns a draft into the frozen
Answer every surface reads: the answer text with its ``[n]`` markers, notices, the glossary for
families, readability and timings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from citeqa.answer import (
    AbstainReason,
    Answer,
    AnswerSentence,
    Audience,
    Citation,
    GlossaryEntry,
    Notice,
    QueryView,
    RetrievedPassage,
    SideValue,
    TableOut,
)
from citeqa.models import ScoredChunk
from ingest.sentences import split_sentences
from rag.citations import strip_markers
from rag.glossary import Term, terms_in
from rag.readability import fk_grade
from rag.timing import collected


@dataclass(frozen=True)
class Draft:
    """What an answerer decided: cited units, or an abstention with its reason."""

    units: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    abstained: bool
    reason: AbstainReason | None = None
    nearest: tuple[Citation, ...] = ()
    mode: str = "extractive"
    removed: tuple[str, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    # evidence in context (rag/evidence.py): notices, a label after a unit's markers (one per
    # unit, "" for none), the comparison's per-side values and table, the evidence line
    notices: tuple[Notice, ...] = ()
    labels: tuple[str, ...] = ()
    comparison: tuple[SideValue, ...] = ()
    table: TableOut | None = None
    evidence_summary: str = ""


@dataclass(frozen=True)
class Context:
    """What the pipeline knows about the question beyond the draft."""

    question: str
    audience: Audience
    abstain_text: str  # the whole decline, reason included (rag/answer.py decline_text)
    resolved: str = ""
    notices: tuple[Notice, ...] = ()
    query: QueryView | None = None
    retrieved: tuple[RetrievedPassage, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)


def unit_text(u: AnswerSentence, label: str = "") -> str:
    """One unit as shown, every sentence ending with its markers (a unit may hold two
    sentences, one leaning on the other); a list's lead-in and every item carry them too.
    Then ``label``, e.g. "(conference abstract, not yet peer-reviewed)"."""
    markers = "".join(f"[{n}]" for n in u.citations)
    if u.items:
        items = [f"- {i} {markers}" for i in u.items]
        body = "\n".join([f"{u.text} {markers}", *items])
    else:
        body = " ".join(f"{u.text[a:b].strip()} {markers}" for a, b in split_sentences(u.text))
    return " ".join(p for p in (body, label) if p).rstrip()


def answer_text(units: Sequence[AnswerSentence], labels: Sequence[str] = ()) -> str:
    """The answer text: units joined by spaces (a list starts and ends its own lines);
    ``labels[i]`` follows unit ``i``'s markers."""
    out: list[str] = []
    for i, u in enumerate(units):
        if i:
            out.append("\n" if u.items or units[i - 1].items else " ")
        out.append(unit_text(u, labels[i] if i < len(labels) else ""))
    return "".join(out)


def plain_text(units: Sequence[AnswerSentence]) -> str:
    """The units' text without markers, for readability: each sentence, lead-in and list item
    is a sentence of its own (as the reader sees them: one a line)."""
    return " ".join(_as_sentence(t) for u in units for t in (u.text, *u.items) if t.strip())


def _as_sentence(text: str) -> str:
    t = text.strip().rstrip(":;,")
    return t if t.endswith((".", "!", "?")) else f"{t}."


def returned_text(ans: Answer) -> str:
    """What a reader is shown as the answer, without citation markers: the answer text (list
    items included) and its notices (as evals/qmetrics.py ``returned_text`` reads the JSON)."""
    parts = [ans.answer, *(n.text for n in ans.notices)]
    lines = "\n".join(p for p in parts if p.strip()).splitlines()
    return "\n".join(strip_markers(line) for line in lines)


def without_last_unit(draft: Draft) -> Draft | None:
    """``draft`` without its last quoted unit (and the citation only it used), before
    evidence annotation; None when one unit is left, the last is urgent guidance, or the
    draft holds a comparison table (its cells cite every side)."""
    if draft.abstained or len(draft.units) < 2 or draft.table is not None:
        return None
    units = draft.units[:-1]
    if draft.units[-1].kind == "urgent":
        return None
    used = {n for u in units for n in u.citations}
    cites = tuple(c for c in draft.citations if c.n in used)
    return dataclasses.replace(draft, units=units, citations=cites)


def without_hardest_unit(draft: Draft) -> Draft | None:
    """``draft`` without its hardest quoted unit (the highest Flesch-Kincaid grade; the later
    one on a tie) and the citation only it used, before evidence annotation. None as for
    :func:`without_last_unit`; urgent guidance is never dropped."""
    if draft.abstained or len(draft.units) < 2 or draft.table is not None:
        return None
    droppable = [i for i, u in enumerate(draft.units) if u.kind != "urgent"]
    if not droppable:
        return None
    hardest = max(droppable, key=lambda i: (fk_grade(_plain_text(draft.units[i])), i))
    units = draft.units[:hardest] + draft.units[hardest + 1 :]
    used = {n for u in units for n in u.citations}
    cites = tuple(c for c in draft.citations if c.n in used)
    return dataclasses.replace(draft, units=units, citations=cites)


def _plain_text(u: AnswerSentence) -> str:
    return " ".join([u.text, *u.items])


def readable_answer(
    draft: Draft, compose: Callable[[Draft], Answer], readable: Callable[[Answer], bool]
) -> Answer | None:
    """Never show a family a hard answer: ``draft`` loses its last unit until its composed
    answer is ``readable``; if that fails, its hardest unit instead, from the whole draft (a
    plain sentence that answers, ranked below a hard one, is kept). Urgent guidance is quoted
    whatever its grade. None: no shorter draft reads (decline)."""
    for drop in (without_last_unit, without_hardest_unit):
        shorter: Draft | None = draft
        while shorter is not None:
            ans = compose(shorter)
            if readable(ans):
                return ans
            shorter = drop(shorter)
            if shorter is None and ans.sentences and ans.sentences[0].kind == "urgent":
                return ans
    return None


def retrieved_of(
    passages: Sequence[ScoredChunk], cited: Sequence[Citation] = ()
) -> tuple[RetrievedPassage, ...]:
    """The passages the answerer read, in rank order; then the standing guidance it quoted
    without retrieving it (urgent and dosing guidance, rag/urgent.py)."""
    out = [
        RetrievedPassage(i, p.chunk.chunk_id, p.chunk.doc_id, p.chunk.text, round(p.score, 4))
        for i, p in enumerate(passages, start=1)
    ]
    seen = {p.chunk_id for p in out}
    for c in cited:
        if c.chunk_id not in seen:
            seen.add(c.chunk_id)
            out.append(RetrievedPassage(len(out) + 1, c.chunk_id, c.doc_id, c.passage, 0.0))
    return tuple(out)


def compose_answer(draft: Draft, ctx: Context, glossary: tuple[Term, ...]) -> Answer:
    """The Answer for ``draft`` in ``ctx`` (see the module docstring)."""
    notice = " ".join(n.text for n in ctx.notices)
    stages = {**draft.timings_ms, **ctx.timings_ms, **collected()}
    timings = {k: round(v, 1) for k, v in stages.items()}
    if draft.abstained:
        text = ctx.abstain_text
        return Answer(
            question=ctx.question,
            audience=ctx.audience,
            answer=text,
            abstained=True,
            nearest=draft.nearest,
            notices=ctx.notices,
            abstain_reason=draft.reason,
            query=ctx.query,
            readability={"fk_grade": round(fk_grade(text), 2)},
            timings_ms=timings,
            retrieved=ctx.retrieved,
            mode=draft.mode,
            resolved_question=ctx.resolved,
            notice=notice,
            removed=draft.removed or ((draft.reason.text,) if draft.reason else ()),
        )
    notices = (*ctx.notices, *draft.notices)
    notice = " ".join(n.text for n in notices)
    plain = plain_text(draft.units)
    entries: tuple[GlossaryEntry, ...] = ()
    if ctx.audience is Audience.FAMILY:
        entries = tuple(
            GlossaryEntry(g["term"], g["definition"]) for g in terms_in(plain, glossary)
        )
    return Answer(
        question=ctx.question,
        audience=ctx.audience,
        answer=answer_text(draft.units, draft.labels),
        abstained=False,
        sentences=draft.units,
        citations=draft.citations,
        notices=notices,
        comparison=draft.comparison,
        table=draft.table,
        evidence_summary=draft.evidence_summary,
        query=ctx.query,
        glossary=entries,
        readability={"fk_grade": round(fk_grade(plain), 2)},
        timings_ms=timings,
        retrieved=ctx.retrieved,
        mode=draft.mode,
        resolved_question=ctx.resolved,
        notice=notice,
        removed=draft.removed,
    )
