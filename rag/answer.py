"""The answer path: a question becomes a frozen :class:`~citeqa.answer.Answer`.

1. The question is parsed once into a :class:`~rag.query.Query` (slots, flags, follow-up).
2. A named entity the index never mentions, or a near-miss identifier ("Did you mean"), is a
   reason to abstain before anything is retrieved.
3. Hybrid retrieval (BM25 + dense, fused) finds the passages; their quotable units (sentences
   and lists) are scored by the cross-encoder, bound to the slots and ranked (rag/select.py).
4. The chosen units are quoted verbatim with numbered citations, or the answer abstains naming
   the first unbound slot. The generative mode (an LLM) replaces step 4 when configured.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from citeqa.answer import (
    AbstainReason,
    Answer,
    Audience,
    Notice,
)
from citeqa.errors import InputError
from citeqa.models import Filters, ScoredChunk
from citeqa.settings import Settings
from rag.candidates import units_from
from rag.compose import (
    Context,
    Draft,
    compose_answer,
    readable_answer,
    retrieved_of,
    returned_text,
)
from rag.evidence import Sources, annotate, leaves_carried_study
from rag.followup import without_carried_names
from rag.language import detect_language, passages_in
from rag.query import Query, Understanding, parse_query
from rag.query_view import query_view
from rag.ranker import RankerModel, load_ranker
from rag.readability import fk_grade
from rag.reasons import own_words
from rag.select import (
    HARD_WORDS,
    Choice,
    Policy,
    SafetyLead,
    Scored,
    choose,
    draft_of,
    nearest_sources,
    score_units,
    with_guidance,
)
from rag.urgent import (
    PLAIN,
    about_own_child_now,
    asks_when_to_seek_help,
    build_guidance,
    dose_lead,
    match_signs,
    urgent_units,
)

if TYPE_CHECKING:
    from rag.pipeline import Pipeline
    from rag.retrieval import HybridRetriever, Snapshot


class Answerer:
    """The extractive (default) or generative answer path over one pipeline's parts."""

    def __init__(self, parts: Pipeline) -> None:
        self.parts = parts
        self.settings: Settings = parts.settings
        self.texts = parts.profile.texts
        self.vocab = parts.profile.vocabulary
        self.model: RankerModel = load_ranker(self.settings.answer.ranker)
        self.boilerplate = re.compile(parts.profile.boilerplate, re.I)
        self._understanding: tuple[str, Understanding] | None = None
        self._sources: Sources | None = None  # documents' metadata, for rag/evidence.py
        self._lock = threading.Lock()

    @property
    def retriever(self) -> HybridRetriever:
        return self.parts.retriever

    def understanding(self) -> Understanding:
        """Lexicon and named entities of the current index (rebuilt when the store changed)."""
        snap: Snapshot = self.retriever.snapshot()
        with self._lock:
            if self._understanding is None or self._understanding[0] != snap.version:
                lex = snap.lexicon()
                ents = snap.entities(self.vocab.common_acronyms)
                names = [ents.name(k) for k in ents.studies]
                speller = self.parts.speller(lex, names)
                guidance = build_guidance(snap.chunks_of_type(PLAIN), self.parts.profile.safety)
                safety = self.parts.profile.safety
                zipf = self.settings.answer.abbreviation_zipf
                u = Understanding(lex, ents, self.vocab, speller, guidance, safety, zipf)
                self._sources = Sources.of_profile(snap.documents(), ents, self.parts.profile)
                self._understanding = (snap.version, u)
            return self._understanding[1]

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
        u = self.understanding()
        q = self.parse(question, history)
        timings = {"understand": (time.perf_counter() - t0) * 1000}
        passages: list[ScoredChunk] = []
        language = self._language(question, u) if question.strip() else None
        if not question.strip():
            draft = self._abstain("empty", "the question is empty", [])
        else:
            got = self.retriever.retrieve(
                q.retrieval, k=self.settings.answer.passages, filters=filters, mode="hybrid"
            )
            passages = got.chunks
            if language is not None:  # only passages in the question's language answer it
                passages = passages_in(passages, language, self._english(u))
            timings.update(got.timings_ms)
            t1 = time.perf_counter()
            draft = self._unknown_names(q, audience, u) or self._draft(
                q, audience, passages, u, on_token
            )
            if language is not None and draft.abstained:  # declined in the question's language
                draft = self._abstain("language", language, [])
            timings["answer"] = (time.perf_counter() - t1) * 1000
        flags = (f"language:{language}",) if language else ()
        compose = partial(self._compose, q, audience, run=(passages, timings, t0), flags=flags)
        ans = compose(draft)
        if audience is Audience.FAMILY and not ans.abstained and not self._readable(ans):
            # too hard to quote: the passages that answer are offered to read with the team
            hard = dataclasses.replace(
                self._abstain("too-hard", HARD_WORDS, []), nearest=draft.citations[:3]
            )
            ans = readable_answer(draft, compose, self._readable) or compose(hard)
        if on_token is not None and ans.mode == "extractive":
            for s in ans.answer.split(" "):
                on_token(s + " ")
        return ans

    def _compose(
        self,
        q: Query,
        audience: Audience,
        draft: Draft,
        run: tuple[list[ScoredChunk], dict[str, float], float],
        flags: tuple[str, ...],
    ) -> Answer:
        """The Answer of ``draft``: evidence in context (rag/evidence.py), notices, the decline
        text. ``run``: the passages read, the stage timings and the start time."""
        passages, timings, t0 = run
        if self._sources is not None:
            draft = annotate(q, draft, audience, self._sources)
        ctx = Context(
            question=q.raw,
            audience=audience,
            abstain_text=self.decline_text(q, audience, draft.reason),
            resolved=q.resolved,
            notices=self._notices(q, audience),
            query=query_view(q, self.understanding().entities, flags),
            retrieved=retrieved_of(passages, draft.citations),
            timings_ms={**timings, "total": (time.perf_counter() - t0) * 1000},
        )
        return compose_answer(draft, ctx, self.parts.glossary)

    def _readable(self, ans: Answer) -> bool:
        """Whether the returned text (answer and notices) reads at or under the family grade
        ceiling (answer.family_max_grade)."""
        return fk_grade(returned_text(ans)) <= self.settings.answer.family_max_grade

    def parse(self, question: str, history: Sequence[str] = ()) -> Query:
        """The question parsed once (rag/query.py) against the index's understanding. A
        follow-up that asks about another disease setting than the study it carried drops that
        study (rag/evidence.py: leaves_carried_study)."""
        u = self.understanding()
        q = parse_query(question, u, history)
        if self._sources is not None and leaves_carried_study(q, self._sources):
            q = without_carried_names(q, drop=[u.entities.name(k) for k in q.slots.studies])
        return q

    def _draft(
        self,
        q: Query,
        audience: Audience,
        passages: list[ScoredChunk],
        u: Understanding,
        on_token: Callable[[str], None] | None,
    ) -> Draft:
        if self.settings.llm.provider != "none":
            return self._generate(q.text, audience, passages, on_token)
        lead = self.safety(q, u, audience)
        # a follow-up that names no study stays with the one it carried: when that study does
        # not answer, the answer declines, never quotes another study as if it did
        scored, choice = self._choose(q, audience, passages, u, lead)
        if not choice.units:  # a source's own "not reported" is the first nearest source
            kind, seen = (PLAIN if audience is Audience.FAMILY else ""), (*choice.nearest, *scored)
            return self._abstain(choice.reason_code, choice.reason, seen, kind)
        return draft_of(choice)

    def _choose(
        self,
        q: Query,
        audience: Audience,
        passages: list[ScoredChunk],
        u: Understanding,
        lead: SafetyLead,
    ) -> tuple[list[Scored], Choice]:
        """The units scored and what to quote. The eligible units are scored first (only they
        can be quoted); every unit only when none is chosen, as a decline's reason and nearest
        sources read them all. The choice is the same as scoring every unit at once."""
        for every in (False, True):
            scored = self.score(q, audience, passages, u, every)
            choice = self.decide(q, audience, scored, u, lead=lead)
            if choice.units:
                break
        return scored, choice

    def safety(self, q: Query, u: Understanding, audience: Audience) -> SafetyLead:
        """The explainers' guidance this message must get (see rag/urgent.py)."""
        g, safety = u.guidance, self.parts.profile.safety
        if g is None:
            return SafetyLead()
        limit = self.settings.answer.urgent_logit
        matches = match_signs(q.raw, g, safety, self.parts.reranker, limit)
        if matches:
            return SafetyLead(tuple(urgent_units(matches, g, q.raw, safety)), urgent=True)
        if self._asks_a_dose(q, audience) and g.dose:
            return SafetyLead(dose_lead(q.focus, q.raw, g, safety, self.parts.reranker))
        when = asks_when_to_seek_help(q.raw, safety)
        if when and (calls := g.when_to_call()):
            return SafetyLead(calls)
        if when or (about_own_child_now(q.raw, safety) and re.search(safety.worry, q.raw, re.I)):
            return SafetyLead(fallback=g.fallback[:2])
        return SafetyLead()

    @staticmethod
    def _asks_a_dose(q: Query, audience: Audience) -> bool:
        """The dose guidance leads: a personal request, or any dose request from a family."""
        return q.has("personal") or (q.has("dose-request") and audience is Audience.FAMILY)

    def decide(
        self,
        q: Query,
        audience: Audience,
        scored: list[Scored],
        u: Understanding,
        model: RankerModel | None = None,
        lead: SafetyLead | None = None,
    ) -> Choice:
        """What to quote for ``q`` from its scored units, safety guidance first."""
        policy = self.policy(audience)
        if model is not None:
            policy = dataclasses.replace(policy, model=model)
        return with_guidance(choose(q, scored, policy, u.entities), lead or SafetyLead())

    def policy(self, audience: Audience) -> Policy:
        note, said = self.texts.family_note, self.vocab.not_reported
        return Policy.of(self.settings.answer, self.model, audience, note, said)

    def score(
        self,
        q: Query,
        audience: Audience,
        passages: list[ScoredChunk],
        u: Understanding,
        every: bool = True,
    ) -> list[Scored]:
        """Every quotable unit of ``passages``, scored (also used by ``--explain`` and fit);
        ``every`` False: only the eligible ones (rag/select.py :func:`score_units`)."""
        units = units_from(passages, self.boilerplate)
        if q.has("personal") or audience is Audience.FAMILY:  # never a dose to a parent
            from ingest.numbers import dose_figures

            units = [x for x in units if not dose_figures(x.full)]
        index = (u.entities, u.lexicon)
        return score_units(q, units, self.parts.reranker, self.policy(audience), index, every)

    def _notices(self, q: Query, audience: Audience) -> tuple[Notice, ...]:
        notes = []
        if q.has("personal"):
            notes.append(Notice("care-team", self.texts.care_team_note))
        elif audience is Audience.FAMILY:
            notes.append(Notice("care-team", self.texts.for_asker(q.has("adult")).family_note))
        if q.has("injection"):
            notes.append(Notice("injection", self.texts.injection_note))
        return tuple(notes)

    @staticmethod
    def _english(u: Understanding) -> Callable[[str], bool]:
        """Is a word English or medical (the index's own words when spelling is off)?"""
        return u.speller.is_word if u.speller is not None else u.lexicon.knows

    def _language(self, question: str, u: Understanding) -> str | None:
        """The question's language when it is confidently not English (rag/language.py)."""
        return detect_language(question, self._english(u))

    def decline_text(self, q: Query, audience: Audience, reason: AbstainReason | None) -> str:
        """What an abstention says: the literature does not answer, and what was not found.
        For families in plain words (grade 6 or lower), naming the question's own words; in
        the question's language when it was not asked in English."""
        t = self.texts.for_asker(q.has("adult"))
        if reason is not None and reason.code == "language":
            return t.decline_for(reason.text)
        if audience is Audience.CLINICIAN:
            why = f": {reason.text}." if reason is not None and reason.text else "."
            return t.abstain.rstrip(".") + why
        if reason is not None and reason.code == "did-you-mean":  # the name to ask again with
            return (
                f"{t.family_did_you_mean.format(names=', '.join(q.did_you_mean))} {t.family_next}"
            )
        if reason is not None and reason.code == "too-hard" and t.family_too_hard:
            return f"{t.family_too_hard} {t.family_next}"
        if reason is not None and reason.code == "unknown-entity":
            return f"{t.family_unknown.format(names=', '.join(q.unknown))} {t.family_next}"
        what = plain_topic(q)
        looked = f" {t.family_looked_for.format(what=what)}" if what else ""
        return f"{t.family_abstain}{looked} {t.family_next}"

    def _unknown_names(self, q: Query, audience: Audience, u: Understanding) -> Draft | None:
        """A decline naming a study or drug the index never mentions (the passages read are
        still reported), or None. A message that describes a warning sign still gets the
        urgent guidance, first: an unknown drug name never silences it."""
        if q.did_you_mean:
            code, text = (
                "did-you-mean",
                f"did you mean {', '.join(q.did_you_mean)}? Please ask again",
            )
        elif q.unknown:
            code, text = "unknown-entity", f"no indexed document mentions {', '.join(q.unknown)}"
        else:
            return None
        guided = with_guidance(Choice((), code, text), self.safety(q, u, audience))
        return draft_of(guided) if guided.units else self._abstain(code, text, [])

    def _abstain(
        self, code: str, reason: str, scored: Sequence[Scored], first_type: str = ""
    ) -> Draft:
        """A decline with its reason and the nearest sources (``first_type``'s first)."""
        nearest = nearest_sources(scored, first_type=first_type)
        return Draft((), (), True, AbstainReason(code, reason), nearest)

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


def plain_topic(q: Query, limit: int = 4) -> str:
    """The question's own words for its topic (as typed, not stems), for a plain decline."""
    return ", ".join(own_words(q, q.slots.terms)[:limit])


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
