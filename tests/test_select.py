"""Scoring, deciding and choosing units (rag/select.py) with a fake cross-encoder."""

from __future__ import annotations

import dataclasses

from citeqa.answer import AnswerSentence, Audience, Citation
from citeqa.settings import Settings
from rag.binding import CONFLICT
from rag.candidates import units_from
from rag.compose import Draft, readable_answer, without_hardest_unit, without_last_unit
from rag.query import parse_query
from rag.ranker import DEFAULT, FEATURES, features, load_ranker, register_offered
from rag.select import (
    Policy,
    Scored,
    choose,
    guidance_scored,
    overlapping,
    readable,
    score_units,
    widen,
)
from tests.core_support import TRIALS, OverlapReranker, chunk, scored, understanding

U = understanding(TRIALS)
UNITS = units_from(scored(TRIALS))
MODEL = dataclasses.replace(DEFAULT, threshold=0.5, keep=0.7)


def run(text: str, audience: Audience = Audience.CLINICIAN, history: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    q = parse_query(text, U, history)
    policy = Policy.of(Settings().answer, MODEL, audience)
    ss = score_units(q, UNITS, OverlapReranker(), policy, (U.entities, U.lexicon))
    return q, ss, choose(q, ss, policy, U.entities)


def test_conflicting_time_point_is_never_quoted() -> None:
    _, ss, ch = run("What was the 4-year DFS in AALL1731?")
    assert ch.units and "94.8%" in ch.units[0].unit.full
    assert all("3-year" not in s.unit.full for s in ch.units)
    assert any(not s.eligible for s in ss)


def test_unreported_time_point_abstains_naming_it() -> None:
    _, _, ch = run("What was the 5-year DFS in AALL1731?")
    assert not ch.units and ch.reason_code == "unbound-time" and "5-year" in ch.reason


def test_a_time_point_no_passage_states_abstains_though_a_unit_gives_the_statistic() -> None:
    # the HR sentence states no time point; its passage reports 3-year figures only
    _, ss, ch = run("What was the 5-year hazard ratio for DFS in AALL1731?")
    assert any(s.eligible and "0.39" in s.unit.full for s in ss)
    assert not ch.units and ch.reason_code == "unbound-time" and "5-year" in ch.reason


def test_a_time_point_its_passage_states_lets_a_unit_without_it_answer() -> None:
    _, _, ch = run("What was the 3-year hazard ratio for DFS in AALL1731?")
    assert any("0.39" in s.unit.full for s in ch.units)


def test_a_subgroup_no_unit_names_abstains_naming_it() -> None:
    _, ss, ch = run("What was the 4-year DFS for the SR-high group in AALL1731?")
    assert not ch.units and ch.reason_code == "unbound-sides" and "SR-high" in ch.reason
    assert all(s.binding.sides == "conflicting" for s in ss)


def test_a_subgroup_reported_at_another_time_point_abstains_naming_both() -> None:
    sr_high = chunk("n", "In the AALL1731 SR-high group, 3-year DFS was 94.1%.", trial="AALL1731")
    units = units_from(scored([*TRIALS, sr_high]))
    q = parse_query("What was the 4-year DFS for the SR-high group in AALL1731?", U)
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN)
    ss = score_units(q, units, OverlapReranker(), policy, (U.entities, U.lexicon))
    ch = choose(q, ss, policy, U.entities)
    assert not ch.units and ch.reason_code == "unbound-time"
    assert ch.reason.endswith("4-year figure for AALL1731 in the SR-high group")


def test_an_unreported_statistic_is_named_in_words() -> None:
    _, _, ch = run("What was the hazard ratio for OS in AALL1331?")
    assert ch.reason_code == "unbound-statistic" and "hazard ratio" in ch.reason


def test_other_study_is_never_quoted_for_a_named_study() -> None:
    _, _, ch = run("2-year DFS in AALL1731?")
    assert not ch.units or all("AALL1331" not in s.unit.full for s in ch.units)


def test_asked_statistic_must_be_present() -> None:
    _, _, ch = run("what was the hazard ratio for DFS in AALL1731")
    assert ch.units and "0.39" in ch.units[0].unit.full


def test_comparison_quotes_both_sides() -> None:
    q, _, ch = run("DFS in AALL1731 vs AALL1331")
    assert q.has("comparison")
    texts = " ".join(s.unit.full for s in ch.units)
    assert "AALL1331" in texts and "AALL1731" in texts


def test_audience_feature_prefers_plain_language_for_families() -> None:
    _, fam, _ = run("does CRS cause fever or chills", Audience.FAMILY)
    _, clin, _ = run("does CRS cause fever or chills", Audience.CLINICIAN)
    plain = [s for s in fam if s.unit.doc_id == "fam"]
    assert plain and all(s.features["audience"] == 1.0 for s in plain)
    assert all(s.features["audience"] == -1.0 for s in clin if s.unit.doc_id == "fam")


def test_audience_feature_is_relative_to_the_registers_retrieved() -> None:
    """A family asking about journal papers only (no plain-language page among the
    candidates) is not held back for a register the index lacks: every unit gets +1."""
    papers = [u for u in UNITS if u.doc_id != "fam"]
    q = parse_query("does CRS cause fever or chills", U)
    policy = Policy.of(Settings().answer, MODEL, Audience.FAMILY)
    alone = score_units(q, papers, OverlapReranker(), policy, (U.entities, U.lexicon))
    assert alone and all(s.features["audience"] == 1.0 for s in alone)
    mixed = score_units(q, UNITS, OverlapReranker(), policy, (U.entities, U.lexicon))
    assert {s.features["audience"] for s in mixed if s.unit.doc_id != "fam"} == {0.0}
    assert register_offered(UNITS, Audience.FAMILY)
    assert not register_offered(papers, Audience.FAMILY)
    assert register_offered(papers, Audience.CLINICIAN)


def test_features_are_the_six_named_ones() -> None:
    from rag.binding import bind

    q = parse_query("4-year DFS in AALL1731", U)
    u = UNITS[0]
    f = features(u, bind(q, u, U.entities, U.lexicon), 1.0, Audience.CLINICIAN)
    assert tuple(f) == FEATURES and f["ce"] == 1.0 and f["study"] == 1.0


def test_missing_ranker_file_falls_back_to_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_ranker(tmp_path / "none.json") is DEFAULT
    assert load_ranker(None) is DEFAULT


def test_duplicate_units_are_not_quoted_twice() -> None:
    twin = chunk("twin", "In AALL1731, 4-year DFS was 94.8% in the blinatumomab arms versus 86.9%.")
    units = units_from(scored([*TRIALS, twin]))
    q = parse_query("What was the 4-year DFS in AALL1731?", U)
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN)
    ss = score_units(q, units, OverlapReranker(), policy, (U.entities, U.lexicon))
    ch = choose(q, ss, policy, U.entities)
    assert sum("94.8%" in s.unit.full for s in ch.units) == 1


def _scored_unit(text: str, doc: str = "fam") -> Scored:
    [u] = units_from(scored([chunk(doc, text, section="What B-ALL is")]))
    return guidance_scored(u)


def _with_ce(s: Scored, ce: float, **binding: object) -> Scored:
    return dataclasses.replace(s, ce=ce, binding=dataclasses.replace(s.binding, **binding))


def test_the_most_relevant_unit_saying_not_reported_declines_and_is_quoted() -> None:
    from citeqa.domain import load_profile
    from rag.reasons import NOT_REPORTED, unreported

    said = load_profile("ball-blinatumomab").vocabulary.not_reported
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN, not_reported=said)
    gap = _with_ce(_scored_unit("The summary gives no quality-of-life data for the trial."), 2.0)
    figure = _with_ce(_scored_unit("Event-free survival was 80% in the trial."), 1.0)
    assert unreported([figure, gap], policy) is gap
    q = parse_query("any quality of life data from the trial?", U)
    ch = choose(q, [figure, gap], policy, U.entities)
    assert not ch.units and ch.reason == NOT_REPORTED and ch.nearest == (gap,)
    # not when a unit that answers reads as more relevant, nor when nothing is relevant
    assert unreported([_with_ce(figure, 3.0), gap], policy) is None
    assert unreported([_with_ce(gap, -9.0), _with_ce(figure, -10.0)], policy) is None
    # a unit of another study does not speak for the asked one
    assert unreported([figure, _with_ce(gap, 2.0, study=CONFLICT)], policy) is None
    # below the most relevant unit, it declines when it uses more of the question's words
    wider = dataclasses.replace(figure.binding, topic=0.5)
    first = dataclasses.replace(_with_ce(figure, 3.0), binding=wider)
    assert unreported([first, _with_ce(gap, 2.0, topic=0.9)], policy) is not None
    assert unreported([first, _with_ce(gap, 2.0, topic=0.5)], policy) is None
    # a near tie with the next unit cannot tell which part of the question it speaks to
    assert unreported([_with_ce(figure, 1.9), gap], policy) is None
    # "no medicine is given" says nothing of what a source reports
    pump = _with_ce(_scored_unit("The pump is off and no medicine is given."), 2.0)
    assert unreported([figure, pump], policy) is None


def test_the_family_grade_is_read_over_the_units_with_the_note_that_follows_them() -> None:
    one = _scored_unit("B-ALL is the most common type of leukemia in children.")
    bare = Policy.of(Settings().answer, MODEL, Audience.FAMILY)
    noted = Policy.of(
        Settings().answer,
        MODEL,
        Audience.FAMILY,
        "This is general information. Your child's care team knows your child best: ask them.",
    )
    assert not readable([one], bare)  # one short sentence alone grades 9.6
    assert readable([one], noted)


def test_a_sentence_and_the_sentence_leaning_on_it_overlap() -> None:
    c = chunk("d", "Standard risk meant ages 1 to 9. It also meant a low white cell count.")
    first, pair = units_from(scored([c]))
    assert overlapping(first, pair)
    other = units_from(scored([chunk("e", "Standard risk meant ages 1 to 9.")]))[0]
    assert not overlapping(first, other)


def test_a_chosen_sentence_is_widened_to_the_sentence_leaning_on_it() -> None:
    c = chunk("d", "At 2 years, 71% on drug A were well. With drug B, it was 52%.")
    first, pair = (guidance_scored(u) for u in units_from(scored([c])))
    other = guidance_scored(units_from(scored([chunk("e", "Drug C was not tested.")]))[0])
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN)
    chosen = [other, first]
    assert widen(pair, chosen, policy)
    assert chosen == [other, pair]  # in its place, the first sentence not quoted twice
    assert not widen(first, chosen, policy)  # the shorter one never replaces the longer
    assert not widen(other, [first], policy)  # another passage: nothing to widen


def _draft(*kinds: str) -> Draft:
    cites = tuple(
        Citation.from_chunk(n, scored([chunk(f"d{n}", f"Text {n}.")])[0], f"Text {n}.")
        for n in range(1, len(kinds) + 1)
    )
    units = tuple(
        AnswerSentence(f"Text {n}.", (n,), kind)  # type: ignore[arg-type]
        for n, kind in enumerate(kinds, start=1)
    )
    return Draft(units, cites, False)


def test_without_last_unit_drops_the_unit_and_the_citation_only_it_used() -> None:
    shorter = without_last_unit(_draft("sentence", "sentence", "list"))
    assert shorter is not None
    assert [u.citations for u in shorter.units] == [(1,), (2,)]
    assert [c.n for c in shorter.citations] == [1, 2]
    assert without_last_unit(_draft("sentence")) is None  # one unit: decline instead
    assert without_last_unit(_draft("urgent", "urgent")) is None  # guidance stays whole


HARD = "Cumulative incidence of relapse was estimated with competing-risk methodology."
PLAIN_TEXT = "It is not in a journal yet."


def _texts(draft: Draft, *texts: str) -> Draft:
    units = tuple(dataclasses.replace(u, text=t) for u, t in zip(draft.units, texts, strict=True))
    return dataclasses.replace(draft, units=units)


def test_without_hardest_unit_drops_the_hardest_wherever_it_is() -> None:
    shorter = without_hardest_unit(_texts(_draft("sentence", "sentence"), HARD, PLAIN_TEXT))
    assert shorter is not None and [u.text for u in shorter.units] == [PLAIN_TEXT]
    assert [c.n for c in shorter.citations] == [2]
    assert without_hardest_unit(_draft("sentence")) is None
    kept = without_hardest_unit(_texts(_draft("urgent", "sentence"), HARD, PLAIN_TEXT))
    assert kept is not None and [u.kind for u in kept.units] == ["urgent"]  # guidance stays


def _compose(draft: Draft):  # type: ignore[no-untyped-def]
    """A stand-in for the composed Answer: its text and units."""
    from types import SimpleNamespace

    return SimpleNamespace(answer=" ".join(u.text for u in draft.units), sentences=draft.units)


def _plain(ans) -> bool:  # type: ignore[no-untyped-def]
    return "competing" not in ans.answer


def test_a_hard_first_unit_is_dropped_before_a_family_answer_is_declined() -> None:
    draft = _texts(_draft("sentence", "sentence"), HARD, PLAIN_TEXT)
    ans = readable_answer(draft, _compose, _plain)
    assert ans is not None and ans.answer == PLAIN_TEXT
    # the last unit goes first while that makes it readable
    ans = readable_answer(
        _texts(_draft("sentence", "sentence"), PLAIN_TEXT, HARD), _compose, _plain
    )
    assert ans is not None and ans.answer == PLAIN_TEXT
    assert readable_answer(_texts(_draft("sentence"), HARD), _compose, _plain) is None


def test_among_equally_probable_units_the_one_adding_least_leads() -> None:
    from rag.select import leading

    whole = chunk(
        "w",
        "In AALL1731, 4-year DFS was 94.8% with blinatumomab. "
        "Among patients with end-of-induction MRD of 0.01% or more, 4-year DFS was 92.8%.",
        trial="AALL1731",
    )
    units = units_from(scored([whole]))
    q = parse_query("What was the 4-year DFS in AALL1731?", U)
    a, b = (Scored(x, guidance_scored(x).binding, 0.0, {}, 0.999) for x in units)
    assert sorted([b, a], key=lambda s: leading(q, s))[0].unit.full.startswith("In AALL1731")
    likelier = dataclasses.replace(b, p=1.0 - 1e-9)
    lower = dataclasses.replace(a, p=0.5)
    assert sorted([lower, likelier], key=lambda s: leading(q, s))[0] is likelier


class CountingReranker(OverlapReranker):
    """The fake cross-encoder, counting the texts it scores."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def score(self, query, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().score(query, texts)


def test_eligible_units_alone_give_the_same_choice_with_fewer_cross_encoder_texts() -> None:
    q = parse_query("What was the 4-year DFS in AALL1731?", U)
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN)
    index = (U.entities, U.lexicon)
    every, few = CountingReranker(), CountingReranker()
    all_scored = score_units(q, UNITS, every, policy, index)
    eligible = score_units(q, UNITS, few, policy, index, every=False)
    assert eligible == [s for s in all_scored if s.eligible]  # same units, logits and order
    assert few.texts == len(eligible) < every.texts
    assert choose(q, eligible, policy, U.entities) == choose(q, all_scored, policy, U.entities)
