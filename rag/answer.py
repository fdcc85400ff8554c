"""``answer()``: the whole pipeline, from a question to an Answer with numbered citations."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from citeqa.answer import ABSTAIN_TEXT, CARE_TEAM_NOTE, Answer, AnswerSentence, Citation
from citeqa.models import ScoredChunk
from citeqa.settings import Settings, get_settings
from rag import question as qa
from rag.extractive import Candidate, Selection, select, states_asked
from rag.glossary import load_glossary, terms_in
from rag.readability import fk_grade
from rag.retrieval import Filters, HybridRetriever, ce_logit

FAMILY_NOTE = "This is general information. Your child's care team knows your child best: ask them."
INJECTION_NOTE = (
    "Instructions inside the question were ignored; answers come only from the sources."
)


def compose(sentences: Sequence[Candidate]) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Answer text with [n] markers, the sentences, and citations numbered by first use."""
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
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in out)
    cites = [
        Citation.from_chunk(n, passages[cid], " ".join(quotes[cid])) for cid, n in numbers.items()
    ]
    return text, out, cites


def nearest_sources(passages: Sequence[ScoredChunk], sel: Selection, k: int = 3) -> list[Citation]:
    best_sentence: dict[str, str] = {}
    for c in sorted(sel.candidates, key=lambda c: -c.score):
        best_sentence.setdefault(c.passage.chunk.chunk_id, c.text)
    out = []
    for i, sc in enumerate(passages[:k], start=1):
        quote = best_sentence.get(sc.chunk.chunk_id) or (sc.chunk.sentence_texts() or [""])[0]
        out.append(Citation.from_chunk(i, sc, quote))
    return out


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


class Pipeline:
    """Models, index and retriever, loaded once and shared (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.retriever = HybridRetriever(settings)
        self.glossary = load_glossary()
        self._chat_model: Any = None
        self._lock = threading.Lock()

    @property
    def reranker(self) -> Any:
        return self.retriever.reranker

    def chat_model(self) -> Any:
        with self._lock:
            if self._chat_model is None:
                from rag.llm import make_chat_model

                self._chat_model = make_chat_model(self.settings.llm)
            return self._chat_model

    def answer(
        self,
        question: str,
        audience: str = "clinician",
        history: Sequence[str] = (),
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        if audience not in ("clinician", "family"):
            raise ValueError("audience must be 'clinician' or 'family'")
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
            ans = self._generate(cleaned, audience, passages, on_token)
        else:
            ans = self._extract(cleaned, resolved.query, audience, passages, needs)
        timings["answer"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        ans.question = question
        ans.resolved_question = resolved.text
        ans.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        ans.notice = self._notice(question, audience, injected)
        if on_token is not None and ans.mode == "extractive":
            for s in ans.answer.split(" "):
                on_token(s + " ")
        return ans

    def _vocabulary(self) -> set[str]:
        from rag.retrieval import bm25_for

        return bm25_for(self.retriever.store).vocabulary()

    def _notice(self, question: str, audience: str, injected: bool) -> str:
        notes = []
        if qa.asks_individual_decision(question):
            notes.append(CARE_TEAM_NOTE)
        elif audience == "family":
            notes.append(FAMILY_NOTE)
        if injected:
            notes.append(INJECTION_NOTE)
        return " ".join(notes)

    def _extract(
        self,
        question: str,
        query: str,
        audience: str,
        passages: list[ScoredChunk],
        needs: qa.QuestionNeeds,
    ) -> Answer:
        cfg = self.settings.answer
        if not question.strip() or not passages:
            return self._abstain(question, audience, passages, Selection([], True, "no passages"))
        reranked = [ce_logit(p) for p in passages if "rerank" in p.scores]
        if reranked and max(reranked) < cfg.abstain_threshold:
            return self._abstain(question, audience, passages, Selection([], True, "low relevance"))
        unknown = qa.unknown_terms(qa.main_clause(question), self._vocabulary())
        if unknown:
            reason = f"the indexed literature never mentions {', '.join(unknown)}"
            return self._abstain(question, audience, passages, Selection([], True, reason))
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
            return self._abstain(question, audience, passages, sel)
        chosen = sel.sentences
        if audience == "family":
            chosen = trim_for_family(chosen, cfg.family_max_grade)
        text, sentences, cites = compose(chosen)
        plain = " ".join(s.text for s in sentences)
        ans = Answer(question, audience, text, False, sentences, cites)
        ans.readability = {"fk_grade": round(fk_grade(plain), 2)}
        if audience == "family":
            ans.glossary = terms_in(plain, self.glossary)
        return ans

    def _abstain(
        self, question: str, audience: str, passages: list[ScoredChunk], sel: Selection
    ) -> Answer:
        ans = Answer(question, audience, ABSTAIN_TEXT, True)
        ans.nearest = nearest_sources(passages, sel)
        ans.readability = {"fk_grade": round(fk_grade(ABSTAIN_TEXT), 2)}
        ans.removed = [sel.reason] if sel.reason else []
        return ans

    def _generate(
        self,
        question: str,
        audience: str,
        passages: list[ScoredChunk],
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        from rag.generate import generate_answer

        ans = generate_answer(
            question,
            audience,
            passages,
            self.settings,
            self.retriever.embedder,
            chat_model=self.chat_model(),
            on_token=on_token,
        )
        plain = " ".join(s.text for s in ans.sentences) or ans.answer
        ans.readability = {"fk_grade": round(fk_grade(plain), 2)}
        if audience == "family" and not ans.abstained:
            ans.glossary = terms_in(plain, self.glossary)
        return ans


_PIPELINES: dict[str, Pipeline] = {}
_PIPELINES_LOCK = threading.Lock()


def get_pipeline(settings: Settings | None = None) -> Pipeline:
    """One shared Pipeline per distinct Settings in this process."""
    settings = settings or get_settings()
    key = settings.model_dump_json()
    with _PIPELINES_LOCK:
        if key not in _PIPELINES:
            _PIPELINES[key] = Pipeline(settings)
        return _PIPELINES[key]


def drop_pipeline(settings: Settings | None = None) -> None:
    """Forget the shared Pipeline for ``settings`` (e.g. after the vector store went away), so
    the next request builds a fresh one."""
    key = (settings or get_settings()).model_dump_json()
    with _PIPELINES_LOCK:
        _PIPELINES.pop(key, None)


def answer(
    question: str,
    audience: str = "clinician",
    history: Sequence[str] = (),
    settings: Settings | None = None,
    filters: Filters | None = None,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """Answer ``question`` from the indexed literature, with numbered citations."""
    return get_pipeline(settings).answer(question, audience, history, filters, on_token)
