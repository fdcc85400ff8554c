"""The default answerer: select, verbatim, the retrieved sentences that answer the question.

Every answer sentence is an exact sentence of a retrieved passage and cites that passage, so
support and number-grounding hold by construction. Selection scores each candidate sentence
with the cross-encoder, adds evidence-type and term-overlap preferences, and enforces what the
question asks for (named trials, measures, figures); when nothing satisfies it, it abstains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from citeqa.models import ScoredChunk
from ingest.sentences import MARKER_RE
from rag.citations import strip_markers
from rag.question import QuestionNeeds, content_terms, has_measure, is_injection, measures_in, stem
from rag.readability import fk_grade
from rag.retrieval import ce_logit

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-]*")
BOILERPLATE = re.compile(
    r"written for citeqa|this summary|summarises|summarizes the|"
    r"\b(?:our|this|the next|that) (?:page|sheet|explainer|section)\b",
    re.I,
)
# Sentences that lean on the previous one ("It is ...", "This can ...") read badly alone.
DANGLING = re.compile(r"^(?:it|this|that|these|those|they|both|he|she|such)\b", re.I)
SECTION_WEIGHT = (
    (re.compile(r"result|finding|conclusion|what .*mean|dos|administration", re.I), 0.5),
    (re.compile(r"limitation|background|about|introduction", re.I), -0.5),
)


@dataclass
class Candidate:
    text: str
    passage: ScoredChunk
    rank: int  # rank of the passage in retrieval order
    position: int  # sentence index within the passage
    score: float = 0.0
    ce: float = 0.0
    stems: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Selection:
    sentences: list[Candidate]
    abstained: bool
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)


def useful(text: str) -> bool:
    """A sentence worth quoting: several words, not a heading, not our own boilerplate."""
    words = _WORD.findall(text)
    if len(words) < 5 or text.rstrip().endswith((":", "?")):  # headings, intros, questions
        return False
    # a document that tries to instruct the reader is data, never an answer
    return not BOILERPLATE.search(text) and not is_injection(text)


def candidates_from(passages: Sequence[ScoredChunk]) -> list[Candidate]:
    seen: set[str] = set()
    out: list[Candidate] = []
    for rank, sc in enumerate(passages):
        for pos, raw in enumerate(sc.chunk.sentence_texts()):
            # a source's own reference markers ("[12]", or fake "[1][2]") would read as ours
            sent = strip_markers(raw) if MARKER_RE.search(raw) else raw
            key = " ".join(sent.lower().split())
            if key in seen or not useful(sent):
                continue
            seen.add(key)
            out.append(Candidate(sent, sc, rank, pos, stems=frozenset(content_terms(sent))))
    return out


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient: 1.0 when one sentence's terms are contained in the other's."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def satisfies(c: Candidate, needs: QuestionNeeds) -> bool:
    """Does the sentence (in its passage) carry what the question specifically asks for?
    With several named studies (a comparison), naming one of them is enough."""
    ctx = f"{c.text} {c.passage.chunk.meta.title} {c.passage.chunk.meta.trial}".lower()
    named = [e for e in needs.entities if e.lower() in ctx]
    if needs.entities and (not named if len(needs.entities) > 1 else len(named) < 1):
        return False
    if len(needs.entities) > 1:  # a comparison: each sentence carries one side of it
        if needs.numbers and not needs.any_number_in(c.text):
            return False
        return not needs.measures or any(has_measure(c.text, g) for g in needs.measures)
    if needs.numbers and not needs.numbers_in(c.text):
        return False
    return all(has_measure(c.text, group) for group in needs.measures)


def states_asked(passage: ScoredChunk, needs: QuestionNeeds) -> bool:
    """Does some sentence of ``passage`` state a figure for exactly what was asked (the named
    trial, the measure, the time point)? Only for questions after a figure of a measure."""
    if not (needs.wants_figure and needs.measures):
        return False
    return any(satisfies(c, needs) and needs.has_figure(c.text) for c in candidates_from([passage]))


def covers(c: Candidate, entity: str) -> bool:
    ctx = f"{c.text} {c.passage.chunk.meta.title} {c.passage.chunk.meta.trial}".lower()
    return entity.lower() in ctx


def score_candidates(
    question: str,
    cands: list[Candidate],
    reranker: Any,
    needs: QuestionNeeds,
    audience: str,
) -> None:
    if not cands:
        return
    logits = reranker.score(question, [c.text for c in cands])
    q_terms = frozenset(stem(t) for t in content_terms(question))
    for c, logit in zip(cands, logits, strict=True):
        c.ce = float(logit)
        overlap = len(q_terms & c.stems) / len(q_terms) if q_terms else 0.0
        bonus = 2.0 * overlap
        if needs.wants_figure and needs.has_figure(c.text):
            bonus += 1.0
        if satisfies(c, needs) and not needs.is_empty():
            bonus += 1.5
        # a sentence that brings in other measures (a subgroup by MRD, a hazard ratio...) is a
        # less direct answer than one about exactly what was asked
        extra = [m for m in measures_in(c.text) if m not in needs.measures]
        bonus -= 0.75 * len(extra)
        if DANGLING.match(c.text):
            bonus -= 1.0
        for pattern, weight in SECTION_WEIGHT:
            if pattern.search(c.passage.chunk.section):
                bonus += weight
                break
        plain = c.passage.chunk.meta.doc_type == "plain-language"
        if audience == "family":
            bonus += 1.5 if plain else 0.0
            bonus -= 0.05 * max(0, len(c.text.split()) - 22)
        elif plain:
            bonus -= 2.0  # clinicians get the evidence itself first
        # plain sentences get harsh cross-encoder scores out of context: for families the
        # relevance of the whole passage counts for more
        weight = 0.6 if audience == "family" else 0.25
        c.score = c.ce + bonus + weight * min(ce_logit(c.passage), 8.0)


def select(
    question: str,
    passages: Sequence[ScoredChunk],
    reranker: Any,
    needs: QuestionNeeds,
    audience: str,
    max_sentences: int,
    sentence_threshold: float,
    margin: float = 4.0,
    max_grade: float = 8.0,
) -> Selection:
    """Choose the answer sentences, or abstain with a reason."""
    cands = candidates_from(passages)
    if not cands:
        return Selection([], True, "no usable sentences in the retrieved passages")
    score_candidates(question, cands, reranker, needs, audience)
    cands.sort(key=lambda c: -c.score)
    fitting = [c for c in cands if satisfies(c, needs)]
    if not fitting:
        return Selection([], True, f"no passage states {needs.describe()}", cands)
    missing = [e for e in needs.entities if not any(covers(c, e) for c in fitting)]
    if missing:
        return Selection([], True, f"no passage states the asked {', '.join(missing)}", cands)
    if needs.wants_figure and audience == "clinician":
        with_figures = [c for c in fitting if needs.has_figure(c.text)]
        fitting = with_figures or fitting
    best = fitting[0]
    if best.ce < sentence_threshold:
        return Selection([], True, "no sentence is relevant enough", cands)
    if audience == "family":
        plain = [c for c in fitting if c.passage.chunk.meta.doc_type == "plain-language"]
        if plain and plain[0].score >= best.score - 3.0:
            chosen = family_window(plain, cands, max_sentences, 2.0, max_grade)
            return Selection(chosen, False, "", cands)
    chosen = [best]
    for entity in needs.entities if len(needs.entities) > 1 else []:
        if not any(covers(c, entity) for c in chosen):
            extra = next((c for c in fitting if covers(c, entity)), None)
            if extra is not None:
                chosen.append(extra)
    floor = best.score - (margin * 1.5 if audience == "family" else margin)
    floor_ce = sentence_threshold - (3.0 if audience == "family" else 0.0)
    for c in cands:
        if len(chosen) >= max_sentences or c.score < floor:
            break
        if c in chosen or c.ce < floor_ce:
            continue
        if not satisfies(c, needs):  # every sentence keeps to the asked trial/measure/figure
            continue
        dup = next((s for s in chosen if overlap(c.stems, s.stems) >= 0.8), None)
        if dup is None:
            chosen.append(c)
        elif len(c.stems) > len(dup.stems) and c.score >= dup.score - 2.5 and satisfies(c, needs):
            chosen[chosen.index(dup)] = c  # same point, said more fully
    return Selection(order(chosen), False, "", cands)


def family_window(
    fitting: list[Candidate],
    cands: list[Candidate],
    max_sentences: int,
    margin: float,
    max_grade: float,
) -> list[Candidate]:
    """The window of the best plain-language sentence that reads at or below ``max_grade``,
    trying the next best ones (within ``margin``) before settling for the easiest to read."""
    top = fitting[0].score
    options = [window(c, cands, max_sentences) for c in fitting[:4] if c.score >= top - margin]
    graded = [(fk_grade(" ".join(c.text for c in w)), i, w) for i, w in enumerate(options)]
    for grade, _, w in graded:
        if grade <= max_grade:
            return w
    return min(graded)[2]


def window(best: Candidate, cands: list[Candidate], max_sentences: int) -> list[Candidate]:
    """Contiguous sentences of the best passage around the best sentence, so that short plain
    sentences keep the context they lean on ("It is about two side effects: ...").

    The window stays inside the best sentence's paragraph once it holds two sentences."""
    chunk = best.passage.chunk
    texts = chunk.sentence_texts()
    spans = chunk.sentences
    scored = {c.position: c for c in cands if c.passage.chunk.chunk_id == chunk.chunk_id}

    def breaks(i: int) -> bool:  # paragraph break between sentence i and i + 1
        return "\n\n" in chunk.text[spans[i].end : spans[i + 1].start]

    start = best.position
    while start > 0 and best.position - start < 2 and DANGLING.match(texts[start]):
        start -= 1
    end = best.position + 1
    while end < len(texts) and end - start < max_sentences:
        if end - start >= 2 and breaks(end - 1):
            break
        end += 1
    while start > 0 and end - start < max_sentences:
        if end - start >= 2 and breaks(start - 1):
            break
        start -= 1
    out = []
    for pos in range(start, end):
        text = texts[pos]
        if BOILERPLATE.search(text) or is_injection(text) or text.rstrip().endswith((":", "?")):
            continue
        out.append(scored.get(pos) or Candidate(text, best.passage, best.rank, pos))
    return out or [best]


def order(chosen: list[Candidate]) -> list[Candidate]:
    """The best sentence first; then sentences grouped by passage (best passage first), in
    reading order within a passage."""
    if not chosen:
        return []
    lead, rest = chosen[0], chosen[1:]
    best_of: dict[str, float] = {lead.passage.chunk.chunk_id: float("inf")}
    for c in rest:
        cid = c.passage.chunk.chunk_id
        best_of[cid] = max(best_of.get(cid, float("-inf")), c.score)
    return [lead, *sorted(rest, key=lambda c: (-best_of[c.passage.chunk.chunk_id], c.position))]
