"""What an asked rate or count counts, as a hard slot (rag/measure.py, rag/binding.py)."""

from __future__ import annotations

import pytest

from citeqa.answer import Audience
from rag.binding import CONFLICT, MATCHED, NA, bind
from rag.candidates import units_from
from rag.lexicon import content_stems
from rag.measure import Measure, measure_phrases, measures_of
from rag.query import parse_query
from tests.core_support import TRIALS, chunk, scored, understanding


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("what % of kids had seizures during blina courses in aall1731?", ["seizures"]),
        ("rate of grade 3+ infections during chemo, blin arm vs control", ["grade 3+ infections"]),
        ("isolated CNS relapse % in each arm?", ["isolated CNS relapse"]),
        ("% proceeding to alloHSCT in TOWER by arm", ["alloHSCT"]),
        ("grade 3 or higher CRS rate in TOWER", ["CRS"]),
        ("what was the MRD response rate in BLAST?", ["MRD response"]),
        ("incidence of relapse at 4 years", ["relapse"]),
        ("what was the median follow-up in the TOWER trial?", ["follow-up"]),  # a median of what
        ("median time to relapse, blina arm", ["time"]),
        ("median f/u E1910 journal paper versus the abstract", ["f/u E1910"]),
        ("rate of CRS in the blina arm", ["CRS"]),
        # how the rate was estimated is not what it counts
        ("pooled incidence of hepatotoxicity in the meta-analysis", ["hepatotoxicity"]),
        ("crude and adjusted rates of stroke", ["stroke"]),
        ("cumulative incidence of relapse at 4 years", ["relapse"]),
    ],
)
def test_the_measure_is_read_next_to_the_asked_rate(question: str, phrases: list[str]) -> None:
    assert measure_phrases(question) == phrases


@pytest.mark.parametrize(
    "question",
    [
        "What was the 4-year DFS in AALL1731?",  # an outcome slot, no rate word
        "EOI MRD >=0.01% subgroup: 4-yr DFS by arm?",  # a % after a number is a figure
        "In TOWER, what % of patients were in CR?",  # nothing between the rate and "in"
        "how often did CRS happen in TOWER",
    ],
)
def test_no_measure_without_one_next_to_a_rate_word(question: str) -> None:
    assert measure_phrases(question) == []


def test_a_measure_word_is_covered_by_its_long_form_or_synonym() -> None:
    (m,) = measures_of("CR rate?", set(), {"CR": "complete remission"}, [])
    assert m.covered(set(content_stems("complete remission was reached by 34%")))
    assert not m.covered(set(content_stems("median OS was 7.7 months")))
    come_back = tuple(content_stems("come back"))  # a synonym group, stems per phrase
    (m,) = measures_of("relapse rate?", set(), {}, [(("relaps",), come_back)])
    assert m.covered(set(content_stems("the leukemia had come back in 4.4%")))


def test_an_article_after_a_verb_of_having_does_not_end_the_measure() -> None:
    """ "got an infection" after a generic word: the article goes on to the noun."""
    (m,) = measures_of("what % of the kids actually got an infection?", {"actual"}, {}, [])
    assert m.words == ((("infect",),),)
    (m,) = measures_of("how many kids really had a seizure in TOWER", {"realli"}, {}, [])
    assert m.words == ((("seizur",),),)


def test_names_and_grades_are_not_part_of_the_measure() -> None:
    (m,) = measures_of("AALL1731 seizure rate", {"aall1731"}, {}, [])
    assert m == Measure("AALL1731 seizure", ((("seizur",),),))
    (m,) = measures_of("grade 3+ infections rate", set(), {}, [])
    assert m.words == ((("infect",),),)


def test_a_unit_counting_something_else_is_not_quoted() -> None:
    u = understanding(TRIALS)
    units = units_from(scored(TRIALS))
    dfs = next(x for x in units if x.full.startswith("In AALL1731, 4-year DFS"))
    q = parse_query("what % of children had chills in AALL1731?", u)
    assert bind(q, dfs, u.entities, u.lexicon).measure == CONFLICT
    assert bind(q, dfs, u.entities, u.lexicon).conflicting() == "measure"
    signs = next(x for x in units if x.items)
    assert bind(q, signs, u.entities, u.lexicon).measure == MATCHED
    assert bind(parse_query("4-year DFS in AALL1731?", u), dfs, u.entities, u.lexicon).measure == NA


def test_a_claim_has_no_measure_slot() -> None:
    u = understanding([*TRIALS, chunk("x", "Text.")])
    assert parse_query("the rate of chills was 5%, wasn't it?", u).slots.measures == ()


def test_general_shorthand_in_a_measure_is_read_in_its_long_form() -> None:
    said = set(content_stems("65% of institutions used blinatumomab"))
    (m,) = measures_of("what % of sites using blin?", set(), {"blin": "blinatumomab"}, [])
    assert m.covered(said)
    (m,) = measures_of("what % of sites using blin?", set(), {}, [])
    assert not m.covered(said)


RARE = chunk(
    "rare", "In AALL1731, seizures were rare during blinatumomab courses.", trial="AALL1731"
)


def test_a_rate_asked_as_a_figure_needs_one_and_a_rate_asked_otherwise_does_not() -> None:
    u = understanding([*TRIALS, RARE])
    (rare,) = units_from(scored([RARE]))
    q = parse_query("what % of kids had seizures in AALL1731?", u)
    assert q.slots.figure_required
    assert bind(q, rare, u.entities, u.lexicon).conflicting() == "statistic"
    rate = parse_query("seizure rate during blina courses in AALL1731?", u)  # "rate" asks one too
    assert rate.slots.figure_required
    assert bind(rate, rare, u.entities, u.lexicon).conflicting() == "statistic"
    soft = parse_query("how often did kids have seizures in AALL1731?", u)
    assert not soft.slots.figure_required
    assert bind(soft, rare, u.entities, u.lexicon).conflicting() == ""


def test_a_question_about_what_a_percent_counts_asks_for_no_figure() -> None:
    u = understanding(TRIALS)
    q = parse_query("MRD results come as a percent - a percent of what exactly?", u)
    assert q.slots.statistics == () and not q.slots.figure_required


def test_the_decline_names_the_measure_that_is_named_only_without_a_figure() -> None:
    from citeqa.settings import Settings
    from rag.ranker import DEFAULT
    from rag.select import Policy, choose, score_units
    from tests.core_support import OverlapReranker

    u = understanding([*TRIALS, RARE])
    units = units_from(scored([*TRIALS, RARE]))
    q = parse_query("what % of kids had seizures in AALL1731?", u)
    policy = Policy.of(Settings().answer, DEFAULT, Audience.CLINICIAN)
    ss = score_units(q, units, OverlapReranker(), policy, (u.entities, u.lexicon))
    ch = choose(q, ss, policy, u.entities)
    assert not ch.units
    assert (ch.reason_code, ch.reason) == (
        "unbound-measure",
        "no indexed passage for AALL1731 gives a figure of seizures",
    )


SEX = chunk("sex", "In AALL1731, 4-year DFS was 95% in boys and 94% in girls.", trial="AALL1731")


def test_arms_compared_by_name_must_be_named_by_the_unit() -> None:
    u = understanding(TRIALS)
    units = units_from(scored(TRIALS))
    dfs = next(x for x in units if x.full.startswith("In AALL1731, 4-year DFS"))
    q = parse_query("DFS by sex in AALL1731, boys vs girls?", u)
    assert [s.label for s in q.slots.sides] == ["boys", "girls"]
    assert bind(q, dfs, u.entities, u.lexicon).conflicting() == "sides"
    (sex,) = units_from(scored([SEX]))
    assert bind(q, sex, u.entities, u.lexicon).sides == MATCHED
    blina = parse_query("4-year DFS in AALL1731, blina vs chemo?", u)
    assert bind(blina, dfs, u.entities, u.lexicon).sides == MATCHED  # it names blinatumomab


def test_no_sides_for_studies_outcomes_time_points_or_the_whole_group() -> None:
    u = understanding(TRIALS)
    for question in (
        "DFS in AALL1731 vs AALL1331?",  # studies are the study slot
        "AALL1731 OS vs DFS?",  # outcomes
        "3-year vs 4-year DFS in AALL1731",  # time points
        "total CIR vs relapse in AALL1731",  # "total" is the whole group
    ):
        assert parse_query(question, u).slots.sides == (), question


def test_the_decline_names_the_sides_no_unit_reports() -> None:
    from citeqa.settings import Settings
    from rag.ranker import DEFAULT
    from rag.select import Policy, choose, score_units
    from tests.core_support import OverlapReranker

    u = understanding(TRIALS)
    q = parse_query("DFS by sex in AALL1731, boys vs girls?", u)
    policy = Policy.of(Settings().answer, DEFAULT, Audience.CLINICIAN)
    ss = score_units(
        q, units_from(scored(TRIALS)), OverlapReranker(), policy, (u.entities, u.lexicon)
    )
    ch = choose(q, ss, policy, u.entities)
    assert (ch.reason_code, ch.reason) == (
        "unbound-sides",
        "no indexed passage for AALL1731 reports boys or girls separately",
    )


def test_a_side_is_named_by_its_synonyms_too() -> None:
    u = understanding(TRIALS)
    male = chunk("m", "In AALL1731, 4-year DFS was 95% in male and 94% in female patients.")
    (unit,) = units_from(scored([male]))
    q = parse_query("DFS by sex in AALL1731, boys vs girls?", u)
    assert bind(q, unit, u.entities, u.lexicon).sides == MATCHED


def test_a_term_of_the_field_no_document_uses_stays_the_measure() -> None:
    """ "% with hepatotoxicity": no unit can name it, so none answers (the decline names it);
    an ordinary English word the index does not use ("sick") leaves the measure instead."""
    u = understanding(TRIALS)
    field = parse_query("what % of kids got hepatotoxicity in AALL1731?", u)
    assert [m.written for m in field.slots.measures] == ["hepatotoxicity"]
    ordinary = parse_query("what % of kids got sick in AALL1731?", u)
    assert ordinary.slots.measures == ()


def test_an_ordinary_word_of_a_synonym_group_stays_the_measure() -> None:
    """ "how many died": an ordinary word, but the domain names it (died, deaths, mortality);
    when the index uses none of them, no unit can state the count, so none answers."""
    u = understanding(TRIALS)
    assert not u.lexicon.df.get("die") and "die" in u.group_stems
    q = parse_query("how many kids died in AALL1731?", u)
    assert [m.written for m in q.slots.measures] == ["died"]


def test_a_colon_after_a_word_ends_it_but_joins_a_gene_fusion() -> None:
    """ "blin: CR rate" measures CR (the drug's shorthand before the colon is no part of it);
    "BCR::ABL1" stays one word."""
    assert measure_phrases("response with blin: CR rate in TOWER?") == ["CR"]
    assert measure_phrases("rate of BCR::ABL1 positive relapse") == ["BCR::ABL1 positive relapse"]
