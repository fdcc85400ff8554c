"""A message's parts (rag/message.py) and a question that leans on the message's own context
(rag/followup.py ``with_message_context``), with the fake cross-encoder."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from citeqa.answer import Audience
from citeqa.settings import Settings
from rag.candidates import units_from
from rag.lexicon import content_stems
from rag.message import asked_parts, leaned_on, message_context, question_part
from rag.query import parse_query
from rag.ranker import DEFAULT
from rag.select import Policy, score_units
from tests.core_support import TRIALS, OverlapReranker, scored, understanding

U = understanding(TRIALS)
BOXED = (
    "I read the drug leaflet and there's a big black box warning on it. Now my husband "
    "doesn't want her to have blina at all. She is 9. What is that warning actually about?"
)


def test_the_context_is_what_the_message_tells_around_its_question() -> None:
    asking = question_part(BOXED)
    assert asking == "What is that warning actually about?"
    context = message_context(BOXED)
    assert context.startswith("I read the drug leaflet") and context.endswith("She is 9.")
    assert message_context("What is MRD?") == ""


def test_a_question_leans_on_the_sentences_sharing_its_words_else_the_last_that_says_something() -> (
    None
):
    context = "I read the leaflet. It has a black box warning. She is 9."
    assert leaned_on(context, "What is that warning about?") == "It has a black box warning."
    assert leaned_on(context, "Is that true?") == "It has a black box warning."  # not "She is 9."


def test_a_question_leaning_on_its_message_takes_its_slots_but_not_its_story_words() -> None:
    q = parse_query(
        "The doctor told us about the 4-year results of AALL1731. What were they for kids like him?",
        U,
    )
    assert q.slots.time_points and q.slots.studies == ("aall1731",)
    assert "doctor" not in q.slots.terms and "told" not in q.slots.terms
    # (the cross-encoder reads shorthand the index never uses in its long form: kids)
    assert q.focus == "What were they for children like him?"
    assert q.context_focus.startswith("The doctor told us about the 4-year results")
    assert q.resolved.startswith("What were they for children like him? (after: The doctor told")


def test_a_question_of_its_own_takes_nothing_from_the_message_but_is_read_after_it_too() -> None:
    q = parse_query("Our son is 6. What is the 4-year DFS with blinatumomab in AALL1731?", U)
    assert q.context_focus == "" and "son" not in q.slots.terms  # "Our son is 6." says little
    told = (
        "We saw the leaflet about the pump alarms. Why can't children start the infusion at home?"
    )
    q = parse_query(told, U)
    assert q.focus == "Why can't children start the infusion at home?"
    assert q.context_focus == f"We saw the leaflet about the pump alarms. {q.focus}"
    assert not {"leaflet", "alarm"} & set(q.slots.terms)  # the story is not asked
    assert "followup" not in q.flags


def test_units_are_scored_against_the_better_of_the_question_and_its_context() -> None:
    units = units_from(scored(TRIALS))
    policy = Policy.of(Settings().answer, dataclasses.replace(DEFAULT), Audience.CLINICIAN)
    index = (U.entities, U.lexicon)
    q = parse_query("We were told the median follow-up was long. Is that true?", U)
    alone = dataclasses.replace(q, context_focus="")
    both = {id(s.unit): s.ce for s in score_units(q, units, OverlapReranker(), policy, index)}
    one = {id(s.unit): s.ce for s in score_units(alone, units, OverlapReranker(), policy, index)}
    assert all(both[k] >= one[k] for k in one)
    assert any(both[k] > one[k] for k in one)


def test_a_question_asking_two_things_has_two_parts() -> None:
    parts = asked_parts("what actually is bone marrow and why do they keep needing samples of it??")
    assert parts == ("what actually is bone marrow", "why do they keep needing samples of it??")
    two = asked_parts("how is blinatumomab given, is it tablets or injections?")
    assert two == ("how is blinatumomab given", "is it tablets or injections?")
    assert asked_parts("What is MRD?") == ()
    assert asked_parts("CR and MRD rates in TOWER?") == ()  # "and" inside a noun phrase
    # a piece naming nothing of its own ("who was in it?") leans on the first: one question
    assert asked_parts("what is the TOWER study about, who was in it?") == ()
    # "incl." ends no sentence
    assert asked_parts("which trial was the approval (incl. peds) based on?") == ()


class _ShareReranker:
    """A fake cross-encoder reading the share of the question's words a text uses, as a real
    one reads a long question about two things poorly against a text about one of them."""

    name = "share"

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        q = set(content_stems(query))
        return np.array([8.0 * len(q & set(content_stems(t))) / len(q) - 4.0 for t in texts])


def test_each_thing_asked_is_scored_on_its_own_too() -> None:
    units = units_from(scored(TRIALS))
    policy = Policy.of(Settings().answer, dataclasses.replace(DEFAULT), Audience.CLINICIAN)
    index = (U.entities, U.lexicon)
    q = parse_query("what was the DFS hazard ratio in AALL1731, and how often did CRS occur?", U)
    assert len(q.parts) == 2
    whole = dataclasses.replace(q, parts=())
    both = {s.unit.full: s.ce for s in score_units(q, units, _ShareReranker(), policy, index)}
    one = {s.unit.full: s.ce for s in score_units(whole, units, _ShareReranker(), policy, index)}
    assert all(both[k] >= one[k] for k in one)
    hr = next(k for k in both if "hazard ratio" in k)
    assert both[hr] > one[hr]
