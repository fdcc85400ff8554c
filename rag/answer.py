"""``answer()``: the whole pipeline, from a question to an Answer with numbered citations."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from citeqa.answer import AbstainReason, Answer, AnswerSentence, Audience, Citation, Notice
from citeqa.errors import InputError
from citeqa.models import Filters, ScoredChunk
from citeqa.protocols import Reranker
from citeqa.settings import Settings
from rag import question as qa
from rag.compose import Context, Draft, compose_answer, retrieved_of
from rag.extractive import Candidate, Selection, select, states_asked
from rag.readability import fk_grade
from rag.retrieval import HybridRetriever, ce_logit

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


def compose(
    sentences: Sequence[Candidate],
) -> tuple[tuple[AnswerSentence, ...], tuple[Citation, ...]]:
    """The cited units and citations (numbered by first use) of the chosen sentences."""
    numbers: dict[str, int] = {}
    quotes: dict[str, list[str]] = {}
    passages: dict[str, ScoredChunk] = {}
    out: list[AnswerSentence] = []
    for c in sentences:
        cid = c.passage.chunk.chunk_id
        n = numbers.setdefault(cid, len(numbers) + 1)
        quotes.setdefault(cid, []).append(c.text)
        passages[cid] = c.passage
        out.append(AnswerSentence(c.text, (n,)))
    cites = tuple(
        Citation.from_chunk(n, passages[cid], " ".join(quotes[cid])) for cid, n in numbers.items()
    )
    return tuple(out), cites


def nearest_sources(
    passages: Sequence[ScoredChunk], sel: Selection, k: int = 3
) -> tuple[Citation, ...]:
    best_sentence: dict[str, str] = {}
    for c in sorted(sel.candidates, key=lambda c: -c.score):
        best_sentence.setdefault(c.passage.chunk.chunk_id, c.text)
    out = []
    for i, sc in enumerate(passages[:k], start=1):
        quote = best_sentence.get(sc.chunk.chunk_id) or (sc.chunk.sentence_texts() or [""])[0]
        out.append(Citation.from_chunk(i, sc, quote))
    return tuple(out)


def trim_for_family(chosen: list[Candidate], max_grade: float) -> list[Candidate]:
    """Drop sentences while the answer reads above ``max_grade``, but only when dropping one
    actually lowers the grade (short plain sentences often bring it down)."""
    chosen = list(chosen)

    def grade(cs: list[Candidate]) -> float:
        return fk_grade(" ".join(c.text for c in cs))

    current = grade(chosen)
    while len(chosen) > 1 and current > max_grade:
        options = [(grade(chosen[:i] + chosen[i + 1 :]), i) for i in range(1, len(chosen))]
        best_grade, i = min(options)
        if best_grade >= current:
            break
        del chosen[i]
        current = best_grade
    return chosen


STATING_POOL = 40  # fused ranks below the top k searched for passages stating the asked figure
STATING_EXTRA = 2


def stating(more: Sequence[ScoredChunk], needs: qa.QuestionNeeds) -> list[ScoredChunk]:
    """Passages ranked just below the top k that state the asked figure (see
    :func:`states_asked`). Chunk-level ranking dilutes a single figure sentence among the
    other results of a long passage; the sentence-level scorer then judges it on its own."""
    return [p for p in more[:STATING_POOL] if states_asked(p, needs)][:STATING_EXTRA]


class Answerer:
    """The extractive (default) or generative answer path over one pipeline's parts."""

    def __init__(self, parts: Pipeline) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.texts = parts.profile.texts

    @property
    def retriever(self) -> HybridRetriever:
        return self.parts.retriever

    @property
    def reranker(self) -> Reranker:
        return self.parts.reranker

    def answer(
        self,
        question: str,
        audience: Audience | str = Audience.CLINICIAN,
        history: Sequence[str] = (),
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        if audience not in (Audience.CLINICIAN, Audience.FAMILY):
            raise InputError("audience must be 'clinician' or 'family'")
        audience = Audience(audience)
        cleaned, injected = qa.strip_injection(question)
        if qa.asks_individual_decision(cleaned):
            cleaned = qa.general_form(cleaned)
        cleaned = qa.impersonal(cleaned)
        resolved = qa.resolve_followup(cleaned or question, history)
        needs = qa.analyse(cleaned, resolved.extra_measures)
        query = f"{resolved.query} {needs.expansion()}".strip()
        got = self.retriever.retrieve(query, filters=filters)
        passages = got.chunks + stating(got.more, needs)
        timings = dict(got.timings_ms)
        t1 = time.perf_counter()
        if self.settings.llm.provider != "none":
            draft = self._generate(cleaned, audience, passages, on_token)
        else:
            draft = self._extract(cleaned, resolved.query, audience, passages, needs)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        ctx = Context(
            question=question,
            audience=audience,
            abstain_text=self.texts.abstain,
            resolved=resolved.text,
            notices=self._notices(question, audience, injected),
            retrieved=retrieved_of(passages),
            timings_ms=timings,
        )
        ans = compose_answer(draft, ctx, self.parts.glossary)
        if on_token is not None and ans.mode == "extractive":
            for s in ans.answer.split(" "):
                on_token(s + " ")
        return ans

    def _vocabulary(self) -> set[str]:
        return self.retriever.bm25_index().vocabulary()

    def _notices(self, question: str, audience: Audience, injected: bool) -> tuple[Notice, ...]:
        notes = []
        if qa.asks_individual_decision(question):
            notes.append(Notice("care-team", self.texts.care_team_note))
        elif audience is Audience.FAMILY:
            notes.append(Notice("care-team", self.texts.family_note))
        if injected:
            notes.append(Notice("injection", self.texts.injection_note))
        return tuple(notes)

    def _extract(
        self,
        question: str,
        query: str,
        audience: Audience,
        passages: list[ScoredChunk],
        needs: qa.QuestionNeeds,
    ) -> Draft:
        cfg = self.settings.answer
        if not question.strip() or not passages:
            return self._abstain(passages, Selection([], True, "no passages"))
        reranked = [ce_logit(p) for p in passages if "rerank" in p.scores]
        if reranked and max(reranked) < cfg.abstain_threshold:
            return self._abstain(passages, Selection([], True, "low relevance"))
        unknown = qa.unknown_terms(qa.main_clause(question), self._vocabulary())
        if unknown:
            reason = f"the indexed literature never mentions {', '.join(unknown)}"
            return self._abstain(passages, Selection([], True, reason))
        sel = select(
            query if query != question else question,
            passages,
            self.reranker,
            needs,
            audience,
            cfg.max_sentences,
            cfg.sentence_threshold,
            max_grade=cfg.family_max_grade,
        )
        if sel.abstained:
            return self._abstain(passages, sel)
        chosen = sel.sentences
        if audience is Audience.FAMILY:
            chosen = trim_for_family(chosen, cfg.family_max_grade)
        units, cites = compose(chosen)
        return Draft(units, cites, False)

    def _abstain(self, passages: list[ScoredChunk], sel: Selection) -> Draft:
        reason = AbstainReason("no-answer", sel.reason) if sel.reason else None
        return Draft((), (), True, reason, nearest_sources(passages, sel))

    def _generate(
        self,
        question: str,
        audience: Audience,
        passages: list[ScoredChunk],
        on_token: Callable[[str], None] | None,
    ) -> Draft:
        from rag.generate import generate_answer

        return generate_answer(
            question,
            audience,
            passages,
            self.settings,
            self.parts.embedder,
            self.parts.profile.prompt,
            chat_model=self.parts.chat_model(),
            on_token=on_token,
        )


def answer(
    question: str,
    audience: Audience | str = Audience.CLINICIAN,
    history: Sequence[str] = (),
    settings: Settings | None = None,
    filters: Filters | None = None,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """Answer ``question`` from the indexed literature, with numbered citations (the shared
    pipeline of ``settings``; see :func:`rag.pipeline.build_pipeline`)."""
    from rag.pipeline import build_pipeline

    return build_pipeline(settings).answer(question, audience, history, filters, on_token)
