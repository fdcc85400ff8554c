"""Answers on the shipped corpus, with the real embedder, Chroma and cross-encoder."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citeqa.answer import Answer
from citeqa.domain import load_profile
from ingest.numbers import dose_figures, extract_numbers
from rag.answer import answer
from rag.readability import fk_grade
from tests.helpers import ABSTAIN_TEXT, citeqa


def _numbers_grounded(ans: Answer) -> list[str]:
    """Numbers of each answer sentence that are absent from the quotes it cites."""
    by_n = {c.n: c.quote for c in ans.citations}
    missing = []
    for s in ans.sentences:
        quotes = " ".join(by_n[n] for n in s.citations)
        have = {round(n.value, 6) for n in extract_numbers(quotes)}
        missing += [n.raw for n in extract_numbers(s.text) if round(n.value, 6) not in have]
    return missing


def test_aall1731_dfs(corpus_settings: Any) -> None:
    ans = answer("What was the 4-year DFS in AALL1731?", settings=corpus_settings)
    assert not ans.abstained
    assert "94.8%" in ans.answer and "86.9%" in ans.answer
    sources = {c.doc_id for c in ans.citations}
    assert "ash2025-758-aall1731" in sources
    cited = next(c for c in ans.citations if "94.8" in c.quote)
    assert cited.doc_id == "ash2025-758-aall1731"
    assert cited.doc_type == "conference-abstract"
    assert "94.8" in cited.quote and cited.quote in cited.passage
    assert _numbers_grounded(ans) == []
    assert set(ans.timings_ms) >= {"understand", "retrieve", "answer", "total"}


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "How do I make sourdough bread rise faster?",
    ],
)
def test_off_topic_abstains(corpus_settings: Any, question: str) -> None:
    ans = answer(question, settings=corpus_settings)
    assert ans.abstained and ans.answer.startswith(ABSTAIN_TEXT.rstrip("."))
    assert ans.citations == () and ans.abstain_reason is not None
    assert ans.nearest, "abstentions show the nearest sources"


@pytest.mark.parametrize(
    "question",
    [
        "What was the 10-year overall survival in AALL1731?",
        "What were the results of the ZUMA-3 trial?",
    ],
)
def test_figure_not_in_corpus_abstains(corpus_settings: Any, question: str) -> None:
    # abstains, or at most quotes a source saying the figure is not reported: never a figure
    ans = answer(question, settings=corpus_settings)
    assert ans.abstained or not re.search(r"\d+(?:\.\d+)?\s?%", ans.answer), ans.answer


def test_family_answer_is_plain_with_glossary(corpus_settings: Any) -> None:
    ans = answer("What does MRD mean for my child?", audience="family", settings=corpus_settings)
    assert not ans.abstained
    assert ans.readability["fk_grade"] <= 8
    assert ans.glossary and all(g.definition for g in ans.glossary)
    assert any(c.doc_type == "plain-language" for c in ans.citations)
    assert "care team" in ans.notice


def test_individual_dosing_gets_general_evidence_and_care_team_note(corpus_settings: Any) -> None:
    # a parent asking for their own child's dose gets the care-team note and no dose figure
    ans = answer("How much blinatumomab should I give my 30 kg son?", settings=corpus_settings)
    assert load_profile(corpus_settings.profile).texts.care_team_note in ans.notice
    assert dose_figures(ans.answer) == [], ans.answer
    # a clinician asking for the labelled dosing gets it quoted from the drug label it cites
    ans = answer(
        "What is the labelled blinatumomab dose for patients under 45 kg?", settings=corpus_settings
    )
    labels = " ".join(c.quote for c in ans.citations if c.doc_type == "drug-label")
    doses = dose_figures(ans.answer)
    assert doses and all(d in labels for d in doses), (doses, ans.answer)


def test_a_family_is_never_quoted_a_dose_even_when_it_asks_for_none(corpus_settings: Any) -> None:
    """A parent asking what the label says for children under 45 kg (no dose asked, nothing
    personal) was quoted the label's 15 µg/m2/day and 28 µg/day."""
    ans = answer(
        "what does the blincyto label say for children under 45 kg?",
        audience="family",
        settings=corpus_settings,
    )
    assert dose_figures(ans.answer) == [], ans.answer
    # and a family message that asks no dose is not answered with the dose guidance
    ans = answer(
        "best sunscreen for a toddler with eczema??", audience="family", settings=corpus_settings
    )
    assert ans.abstained, ans.answer


def test_false_premise_is_answered_from_sources(corpus_settings: Any) -> None:
    ans = answer(
        "Since blinatumomab increased CNS relapses in AALL1731, should it be avoided?",
        settings=corpus_settings,
    )
    assert not ans.abstained
    # the sources' finding, which contradicts the premise, is in the answer with its source
    cns = [s for s in ans.sentences if "CNS relapse" in s.text]
    assert cns and any("unchanged" in s.text for s in cns), ans.answer
    cited = {c.n: c.doc_id for c in ans.citations}
    assert any(cited[n] == "ash2025-758-aall1731" for s in cns for n in s.citations)


def test_followup_uses_history(corpus_settings: Any) -> None:
    first = "What was the disease-free survival with blinatumomab in AALL1731?"
    ans = answer("And in relapsed patients?", history=[first], settings=corpus_settings)
    assert not ans.abstained
    assert "(after: What was the disease-free survival" in ans.resolved_question
    assert {c.doc_id for c in ans.citations} & {"jama2021-aall1331", "jama2021-locatelli"}


def test_followup_stays_with_its_study(corpus_settings: Any) -> None:
    """A follow-up naming no study asks about the one it carried: when that study gives no
    figure, the answer declines; it never quotes another trial's figure as if it answered."""
    ans = answer(
        "and grade >=3 CRS %?",
        history=["AALL1731 toxicity with blinatumomab?"],
        settings=corpus_settings,
    )
    assert ans.abstained, ans.answer
    assert not {c.doc_id for c in ans.citations} - {"nejm2025-aall1731", "ash2025-758-aall1731"}


def test_every_sentence_cites_a_retrieved_passage(corpus_settings: Any) -> None:
    ans = answer("How is blinatumomab given?", settings=corpus_settings)
    assert not ans.abstained and ans.sentences
    ns = {c.n for c in ans.citations}
    for s in ans.sentences:
        assert s.citations and set(s.citations) <= ns
        quotes = " ".join(c.quote for c in ans.citations if c.n in s.citations)
        assert s.text in quotes
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))


WORDS = [
    "blinatumomab",
    "relapse",
    "survival",
    "AALL1731",
    "TOWER",
    "E1910",
    "children",
    "adults",
    "MRD",
    "infusion",
    "CRS",
    "disease-free",
    "overall",
    "4-year",
    "3-year",
    "risk",
    "hazard",
    "ratio",
    "pump",
    "home",
    "survey",
    "marrow",
    "CNS",
    "label",
    "dose",
    "neurological",
    "standard",
    "high",
    "remission",
    "transplant",
    "infants",
    "Ph+",
]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7),
    st.sampled_from(["clinician", "family"]),
)
def test_property_no_ungrounded_numbers(
    corpus_settings: Any, words: list[str], audience: str
) -> None:
    ans = answer(" ".join(words) + "?", audience=audience, settings=corpus_settings)
    assert _numbers_grounded(ans) == []
    if ans.abstained:
        assert ans.citations == ()
        if audience == "clinician":
            assert ans.answer.startswith(ABSTAIN_TEXT.rstrip("."))
        else:  # the plain decline, which names the family's next step
            assert "care team" in ans.answer


def test_cli_ask_json(corpus_settings: Any) -> None:
    res = citeqa(
        "ask",
        "What was the 4-year DFS in AALL1731?",
        "--json",
        "--index",
        str(corpus_settings.index_dir),
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(out) >= {
        "question",
        "audience",
        "answer",
        "abstained",
        "citations",
        "readability",
        "timings_ms",
    }
    c = out["citations"][0]
    assert set(c) >= {"n", "doc_id", "title", "reference", "doc_type", "locator", "quote", "url"}
    assert "fk_grade" in out["readability"]
    text = citeqa(
        "ask", "What was the 4-year DFS in AALL1731?", "--index", str(corpus_settings.index_dir)
    )
    assert "References:" in text.stdout and "[1]" in text.stdout


def test_langchain_runnable_and_retriever(corpus_settings: Any) -> None:
    from rag.chain import CiteqaRetriever, answer_runnable

    docs = CiteqaRetriever.from_settings(corpus_settings).invoke("blinatumomab infusion pump")
    assert docs and all(d.metadata["chunk_id"] and d.metadata["label"] for d in docs)
    out = answer_runnable(corpus_settings).invoke({"question": "What is blinatumomab?"})
    assert isinstance(out, Answer)


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("¿Cuáles son los efectos secundarios del blinatumomab en los niños pequeños?", "es"),
        ("Quels sont les effets secondaires du blinatumomab chez les enfants ?", "fr"),
    ],
)
def test_question_in_another_language_is_declined_in_it(
    corpus_settings: Any, question: str, code: str
) -> None:
    ans = answer(question, audience="family", settings=corpus_settings)
    assert ans.abstained and not ans.citations
    assert f"language:{code}" in ans.query.flags
    assert ans.answer == load_profile("ball-blinatumomab").texts.decline_for(code)


@pytest.mark.parametrize("audience", ["family", "clinician"])
def test_an_unknown_drug_name_never_silences_the_urgent_guidance(
    corpus_settings: Any, audience: str
) -> None:
    """A message that describes a warning sign gets the urgent guidance first, even when it
    names a drug the index never mentions (that alone would be a decline)."""
    msg = "my daughter got zorbaspargase yesterday and now she can't breathe and her lips look blue"
    ans = answer(msg, audience=audience, settings=corpus_settings)
    assert not ans.abstained, ans.answer
    assert ans.sentences[0].kind == "urgent", ans.answer[:300]


URGENT_MESSAGES = [
    "my son (6) is burning up tonight, 38.9, and his teeth are chattering",
    "the pump keeps beeping and won't stop even after I checked the tube",
    "my daughter says she feels dizzy and faint when she stands up and her heart is racing",
    "he went stiff on the sofa a minute ago and his arms were jerking",
]


@pytest.mark.parametrize("audience", ["family", "clinician"])
@pytest.mark.parametrize("message", URGENT_MESSAGES)
def test_a_warning_sign_leads_with_the_call_right_away_guidance_in_either_audience(
    corpus_settings: Any, audience: str, message: str
) -> None:
    """Safety follows the message, not the audience switch: the first cited unit is the
    explainers' urgent guidance (the call list, or emergency services first for a seizure),
    and a sign known only from a list of signs to watch for gets the call list too."""
    ans = answer(message, audience=audience, settings=corpus_settings)
    first = ans.sentences[0]
    assert first.kind == "urgent", ans.answer[:300]
    assert re.search(r"right away|emergency services", first.text), first.text
    assert not any(dose_figures(s.text) for s in ans.sentences)


@pytest.mark.parametrize(
    "question",
    [
        "will my son be able to play football next year after treatment",
        "what is the 5 year survival with blina for kids",  # a journal article read too
    ],
)
def test_a_family_decline_offers_the_explainers_first(corpus_settings: Any, question: str) -> None:
    ans = answer(question, audience="family", settings=corpus_settings)
    assert ans.abstained and ans.nearest
    assert {c.doc_type for c in ans.nearest} == {"plain-language"}
    assert fk_grade(ans.answer) <= 6


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("what did the AALL1732 study find?", "Did you mean AALL1731? Please ask again"),
        ("does inotuzumab work for kids?", "Our library has nothing about inotuzumab."),
    ],
)
def test_a_family_decline_for_a_name_says_the_name(
    corpus_settings: Any, question: str, said: str
) -> None:
    ans = answer(question, audience="family", settings=corpus_settings)
    assert ans.abstained and ans.answer.startswith(said)
    assert fk_grade(ans.answer) <= 6


def test_a_misspelt_drug_name_is_searched_for_as_the_index_spells_it(
    corpus_settings: Any,
) -> None:
    """A parent's "blinatumamab" was declined with "Did you mean blinatumomab? Please ask
    again"; it is answered, and the question searched for is shown."""
    ans = answer("how is blinatumamab given?", audience="family", settings=corpus_settings)
    assert not ans.abstained and ans.query is not None
    assert "blinatumomab" in ans.query.shown and "into a vein" in ans.answer


def test_an_idiom_for_why_something_matters_finds_the_explainers_why_section(
    corpus_settings: Any,
) -> None:
    """ "such a big deal" was a topic of its own ("We looked for: test, big, deal"); the
    explainers say it as "Why MRD matters" (the profile's synonym groups)."""
    ans = answer(
        "why is the MRD test such a big deal?", audience="family", settings=corpus_settings
    )
    assert not ans.abstained and "risk group" in ans.answer, ans.answer


def test_a_question_about_when_to_call_gets_the_call_list_and_when_to_call_emergency_services(
    corpus_settings: Any,
) -> None:
    ans = answer(
        "when should we phone the hospital and when is it an ambulance job?",
        audience="family",
        settings=corpus_settings,
    )
    assert not ans.abstained
    assert "right away" in ans.sentences[0].text and "emergency services" in ans.answer


def test_a_family_decline_for_passages_in_hard_words_says_so(corpus_settings: Any) -> None:
    # the library answers (hazard ratios), but only above the family reading grade: the
    # decline must not say that nothing was found
    ans = answer(
        "what was the hazard ratio for DFS in AALL1731?",
        audience="family",
        settings=corpus_settings,
    )
    assert ans.abstained and ans.nearest
    assert ans.answer.startswith("Our library has pages on this, but they use hard medical words.")
    assert "did not find" not in ans.answer and fk_grade(ans.answer) <= 6


def test_an_adult_asking_about_their_own_illness_is_not_told_about_their_child(
    corpus_settings: Any,
) -> None:
    ans = answer(
        "I'm 45 and was just diagnosed with ALL. Will I be able to play football next year?",
        audience="family",
        settings=corpus_settings,
    )
    assert ans.abstained and "care team can help" in ans.answer
    texts = " ".join([ans.answer, *(n.text for n in ans.notices)])
    assert "child" not in texts.lower(), texts
    assert fk_grade(ans.answer) <= 6


def test_warm_up_loads_every_part_then_answers_at_once(corpus_settings: Any) -> None:
    """The server's start: both models, the vector index and the index structures load
    (overlapping), then a first question needs none of them loaded again."""
    from rag import pipeline as pl

    p = pl.Pipeline(corpus_settings)
    p.warm_up()
    models = {key[0] for key in pl._MODELS}
    assert {"embedder", "reranker"} <= models
    assert p._answerer is not None and p._answerer._understanding is not None
    assert p._glossary is not None  # and the language data
    built = p._answerer._understanding
    ans = p.answer("What was the 4-year DFS in AALL1731?")
    assert not ans.abstained and "94.8%" in ans.answer
    assert p._answerer._understanding is built  # the index's word structures were ready
