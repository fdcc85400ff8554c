"""Quotable units and slot binding (rag/candidates.py, rag/binding.py); no models."""

from __future__ import annotations

import dataclasses

import pytest

from rag.binding import ABSENT, CONFLICT, MATCHED, NA, bind, stat_binding, time_binding
from rag.candidates import units_from
from rag.query import parse_query
from rag.timepoint import TimePoint
from tests.core_support import TRIALS, chunk, scored, understanding

U = understanding(TRIALS)
UNITS = units_from(scored(TRIALS))


def unit(start: str):  # type: ignore[no-untyped-def]
    return next(u for u in UNITS if u.full.startswith(start))


def test_a_list_is_one_unit_with_its_lead_in() -> None:
    u = unit("Signs of CRS")
    assert u.items == ("Fever or chills", "A fast heartbeat", "Trouble breathing")
    assert "Fever or chills" not in [x.text for x in UNITS if not x.items]


def test_a_list_opening_its_section_is_quoted_under_the_heading_never_item_by_item() -> None:
    text = (
        "Your child has a fever or chills.\nYour child has trouble breathing.\n\n"
        "If your child has a seizure, call emergency services first."
    )
    c = chunk("diary", text, section="Call the care team right away if")
    units = units_from(scored([c]))
    assert [(u.text, u.items) for u in units] == [
        (
            "Call the care team right away if",
            ("Your child has a fever or chills.", "Your child has trouble breathing."),
        ),
        ("If your child has a seizure, call emergency services first.", ()),
    ]
    assert units[0].span == (0, text.index("\n\n"))
    # a one-line opening paragraph is a sentence
    [one] = units_from(scored([chunk("d", "It is not chemo.", section="What it is")]))
    assert (one.text, one.items) == ("It is not chemo.", ())


def test_short_complete_sentences_are_quotable_headings_and_questions_are_not() -> None:
    assert unit("It is not chemo.")
    units = units_from(scored([chunk("h", "Results\n\nWhat did it show?\n\nIt worked well.")]))
    assert [u.text for u in units] == ["It worked well."]


def test_dangling_sentence_is_quoted_with_the_sentence_it_leans_on() -> None:
    u = unit("It is not chemo.")  # after a list: nothing to lean on, quoted alone
    assert u.text == "It is not chemo."
    c = chunk("d", "Blinatumomab is an immunotherapy. It is not chemo.", section="What it is")
    [first, second] = units_from(scored([c]))
    assert first.text == "Blinatumomab is an immunotherapy."
    assert second.text == "Blinatumomab is an immunotherapy. It is not chemo."
    assert c.text[second.span[0] : second.span[1]] == second.text
    assert second.context == "What it is:"


def unit_texts(text: str, section: str = "Results") -> list[str]:
    """The texts of the quotable units of one passage."""
    return [u.text for u in units_from(scored([chunk("d", text, section=section)]))]


def test_a_pronoun_after_an_opening_phrase_also_leans_and_chains_stay_whole() -> None:
    text = (
        "At 2 years, 71% of patients on drug A were in remission. "
        "Among those on drug B, they numbered 52%. "
        "For the placebo group, the rate was 30%. "
        "In the study, the rate of nausea was low."
    )
    units = unit_texts(text, section="Results")
    first = "At 2 years, 71% of patients on drug A were in remission."
    two = f"{first} Among those on drug B, they numbered 52%."
    assert units[:3] == [first, two, f"{two} For the placebo group, the rate was 30%."]
    # a full subject ("the rate of nausea") stands alone
    assert units[3] == "In the study, the rate of nausea was low."
    pointed = (
        "Ten adults had MRD. After a year, 80.5% of them were well. Two of these tests failed."
    )
    units_p = unit_texts(pointed)
    assert "Ten adults had MRD. After a year, 80.5% of them were well." in units_p
    assert "After a year, 80.5% of them were well." not in units_p  # never without its referent
    five = "A is a drug. It is new. It is safe. It is cheap. It is sold here."
    last = units_from(scored([chunk("e", five)]))[-1].text
    assert last == "It is new. It is safe. It is cheap. It is sold here."  # 4 at most, in a row


def test_a_bare_percentage_subject_leans_and_an_opening_phrase_may_hold_a_decimal() -> None:
    text = (
        "Some adults got drug A alone. "
        "At 2 years, 61.5% were in remission. "
        "For those with a score below 0.5%, the rate was 70.2%. "
        "In a second trial of older adults, 40% had a relapse."
    )
    units = unit_texts(text, section="Results")
    chain = (
        "Some adults got drug A alone. At 2 years, 61.5% were in remission. "
        "For those with a score below 0.5%, the rate was 70.2%."
    )
    assert chain in units
    assert "At 2 years, 61.5% were in remission." not in units  # never without its group
    # a population in the opening phrase: the sentence names its own group
    assert "In a second trial of older adults, 40% had a relapse." in units


def test_a_part_of_what_came_before_and_a_consequence_of_it_lean() -> None:
    text = (
        "The device works like a clamp. One side grips the pipe. The other side grips the wall. "
        "Rust can form on the pipe. So the clamp is checked each year. "
        "So far, no clamp has failed."
    )
    units = unit_texts(text, section="How it works")
    assert (
        "The device works like a clamp. One side grips the pipe. The other side grips the wall."
        in units
    )
    assert "Rust can form on the pipe. So the clamp is checked each year." in units
    assert "So far, no clamp has failed." in units  # "so far" is a time phrase: it stands alone


def test_study_binding() -> None:
    q = parse_query("4-year DFS in AALL1731", U)
    assert bind(q, unit("In AALL1731, 4-year"), U.entities, U.lexicon).study == MATCHED
    assert bind(q, unit("In AALL1331"), U.entities, U.lexicon).study == CONFLICT
    assert bind(q, unit("It is not chemo."), U.entities, U.lexicon).study == ABSENT
    assert bind(parse_query("DFS", U), unit("In AALL1331"), U.entities, U.lexicon).study == NA


def test_a_claims_study_may_be_the_wrong_one() -> None:
    """ "X was based on AALL1731, wasn't it?": a unit of another study may correct the claim,
    so its study conflict is no veto (the study feature still counts it against the unit)."""
    claim = parse_query("the approval was based on AALL1731, wasn't it?", U)
    other = bind(claim, unit("In AALL1331"), U.entities, U.lexicon)
    assert other.study == CONFLICT and other.conflicting() == ""
    asked = parse_query("was the approval based on AALL1731?", U)
    assert bind(asked, unit("In AALL1331"), U.entities, U.lexicon).conflicting()


def test_time_point_binding() -> None:
    four = (TimePoint(4, "year"),)
    assert time_binding(four, "4-year DFS was 94.8%") == MATCHED
    assert time_binding(four, "3-year DFS was 96.0%") == CONFLICT
    assert time_binding(four, "DFS improved") == ABSENT
    assert time_binding((), "3-year DFS") == NA


def test_statistic_spans() -> None:
    hr = parse_query("what was the HR for DFS", U)
    assert stat_binding(hr, "The hazard ratio for DFS was 0.39 (95% CI 0.24-0.64).") == MATCHED
    assert stat_binding(hr, "3-year DFS was 96.0% versus 87.9%.") == CONFLICT
    late = (
        "The hazard ratio (HR) for EFS with drug X plus chemotherapy versus chemotherapy was 0.61."
    )
    assert stat_binding(hr, late) == MATCHED  # the ratio after its comparison
    count = parse_query("how many children were randomized", U)
    assert stat_binding(count, "1,440 children were randomized.") == MATCHED
    assert stat_binding(count, "In the chemo-only groups, it was 86.9%.") == CONFLICT


def test_a_missing_count_is_soft_like_a_missing_rate() -> None:
    """ "how many were ok?" may be answered by a share of them ("86.9%"): a unit without a
    count stays eligible (its statistic feature says it lacks one); a figure asked as such
    ("what %") is still required."""
    share = chunk("s", "In AALL1731, 86.9% of children were alive.", trial="AALL1731")
    u = understanding([*TRIALS, share])
    (unit_,) = units_from(scored([share]))
    count = parse_query("how many children in aall1731 were alive?", u)
    assert bind(count, unit_, u.entities, u.lexicon).statistic == CONFLICT
    assert bind(count, unit_, u.entities, u.lexicon).conflicting() == ""


def test_an_interquartile_range_is_its_own_statistic() -> None:
    q = parse_query("median f/u and IQR?", U)
    assert set(q.slots.statistics) == {"median", "iqr"}
    assert stat_binding(q, "The IQR of follow-up was 2.5 to 4.3 years.") == MATCHED
    iqr = parse_query("what was the interquartile range", U)
    assert iqr.slots.statistics == ("iqr",)
    assert stat_binding(iqr, "The median was 3.5 (range 1 to 9).") == CONFLICT


def test_a_median_is_found_anywhere_in_its_sentence() -> None:
    median = parse_query("what was the median OS", U)
    long_subject = (
        "In TOWER, median overall survival among adults with relapsed or refractory "
        "Ph-negative ALL was 7.7 months with blinatumomab."
    )
    assert stat_binding(median, long_subject) == MATCHED
    assert stat_binding(median, "The median age was high. Survival was 7.7 months.") == CONFLICT


def test_a_study_named_in_the_possessive_is_named() -> None:
    assert parse_query("what was AALL1731's 4-year DFS?", U).slots.studies == ("aall1731",)
    assert parse_query("AALL1731’s DFS", U).slots.studies == ("aall1731",)


def test_report_binding() -> None:
    q = parse_query("4-year DFS in the ASH abstract of AALL1731", U)
    assert bind(q, unit("In AALL1731, 4-year"), U.entities, U.lexicon).report == MATCHED
    assert bind(q, unit("In AALL1731, 3-year"), U.entities, U.lexicon).report == CONFLICT


def test_topic_share_is_idf_weighted_and_ignores_unknown_words() -> None:
    q = parse_query("median follow-up of the zorblatt cohort in AALL1731", U)
    b = bind(q, unit("The median follow-up"), U.entities, U.lexicon)
    assert b.topic == 1.0 and b.missing_terms == ()


def test_a_unit_answering_one_of_two_things_asked_binds_that_part_whole() -> None:
    q = parse_query("what are the signs of fever and chills, and is the median follow-up long?", U)
    assert len(q.parts) == 2
    signs = unit("Signs of CRS")
    b = bind(q, signs, U.entities, U.lexicon)
    whole = bind(dataclasses.replace(q, parts=()), signs, U.entities, U.lexicon)
    assert whole.topic < 1.0 and b.topic == 1.0  # all of the first part's words
    assert b.missing_terms == whole.missing_terms  # a decline still names what is missing
    # a part with no word the index knows binds nothing (not every unit)
    q2 = parse_query("what are the signs of fever, and is it zorblatt or quux?", U)
    assert len(q2.parts) == 2
    u2 = unit("The median follow-up")
    assert bind(q2, u2, U.entities, U.lexicon).topic < 1.0


def test_outcome_named_by_an_index_abbreviation_is_a_hard_slot() -> None:
    from rag.binding import outcome_binding

    c = chunk(
        "os-doc",
        "Overall survival (OS) was 85%. Disease-free survival (DFS) was 80%.",
        trial="E1910",
    )
    u2 = understanding([*TRIALS, c])
    q = parse_query("OS in AALL1731?", u2)
    assert q.slots.outcomes == (("OS", "overall survival"),)
    units = units_from(scored([*TRIALS, c]))
    dfs = next(x for x in units if x.full.startswith("In AALL1731, 4-year DFS"))
    assert outcome_binding(q.slots.outcomes, dfs) == CONFLICT
    os_unit = next(x for x in units if x.full.startswith("Overall survival"))
    assert outcome_binding(q.slots.outcomes, os_unit) == MATCHED
    assert (
        outcome_binding(parse_query("overall survival in E1910", u2).slots.outcomes, os_unit)
        == MATCHED
    )


def test_studies_compared_with_an_outcome_each_are_asked_their_own() -> None:
    """ "DFS in E1910 vs OS in AALL1731": a unit about AALL1731 is asked for OS (its DFS does
    not answer); "DFS: E1910 vs AALL1731" asks DFS of both."""
    c = chunk(
        "os-doc",
        "Overall survival (OS) was 85%. Disease-free survival (DFS) was 80%.",
        trial="E1910",
    )
    u2 = understanding([*TRIALS, c])
    units = units_from(scored([*TRIALS, c]))
    dfs = next(x for x in units if x.full.startswith("In AALL1731, 4-year DFS"))
    per_side = parse_query("DFS in E1910 vs OS in AALL1731?", u2)
    assert bind(per_side, dfs, u2.entities, u2.lexicon).outcome == CONFLICT
    shared = parse_query("DFS: E1910 vs AALL1731?", u2)
    assert bind(shared, dfs, u2.entities, u2.lexicon).outcome == MATCHED


def test_abbreviations_are_mined_with_their_shortest_long_form() -> None:
    from rag.lexicon import mine_abbreviations

    got = mine_abbreviations(
        ["Control arms had a higher risk, with a hazard ratio (HR) of 2.1. It is given as an "
         "intravenous (IV) infusion. Abstract 1077 of the American Society of Hematology (ASH)."]
    )  # fmt: skip
    assert {k: v.long for k, v in got.items()} == {
        "HR": "hazard ratio",
        "IV": "intravenous",
        "ASH": "american society of hematology",
    }


def test_a_duration_in_minutes_is_a_duration() -> None:
    from rag.binding import SPANS

    assert SPANS["duration"].search("lysis times ranged from 45.4 to 74.5 min")
    assert SPANS["duration"].search("the infusion ran for 90 minutes")
    q = parse_query("how long was the mean lysis time for IN65?", U)
    assert stat_binding(q, "IN65; 83.8; 6.95", headers="MLT (min) SD (min)") == MATCHED


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("The HR for DFS was 0.39 (0.24-0.64).", True),
        ("HR 0.71, 95% CI 0.55-0.93", True),
        ("OR 2.1 (1.3 to 3.4)", True),
        ("HR 0.62 [0.39, 0.98]", True),
        ("AALL1731 enrolled children aged 1 to 9 years.", False),  # a range, not an interval
        ("E1910 enrolled adults aged 30 to 70.", False),
    ],
)
def test_a_confidence_interval_is_named_or_bracketed_after_a_figure(
    text: str, interval: bool
) -> None:
    from rag.binding import SPANS

    assert bool(SPANS["ci"].search(text)) is interval


def test_reports_compared_bind_either_report_and_reports_named_together_bind_their_one() -> None:
    from rag.binding import report_binding

    class Ents:
        def __init__(self) -> None:
            self.reports = {"nengljmed": {"nejm"}, "2025": {"nejm", "ash"}, "ash": {"ash"}}

        def docs_of_reports(self, keys):  # type: ignore[no-untyped-def]
            sets = [self.reports.get(k, set()) for k in keys]
            return set.intersection(*sets) if sets else None

    ash = units_from(scored([chunk("ash", "In the update, 1444 children were randomized.")]))[0]
    both = ("nengljmed", "2025")
    assert report_binding(both, ash, Ents()) == CONFLICT  # "the NEJM 2025 paper": one report
    assert report_binding(both, ash, Ents(), compared=True) == MATCHED  # "NEJM vs 2025 abstract"
    assert report_binding(("nengljmed",), ash, Ents(), compared=True) == CONFLICT


def test_one_subgroup_asked_is_a_hard_slot_also_when_a_report_is_named() -> None:
    c = chunk(
        "d", "In the AALL1731 SR-high group, 3-year DFS was 94.1%. In AALL1731, DFS was 96.0%."
    )
    sub, whole = units_from(scored([c]))
    q = parse_query("3-year DFS for the SR-high group in AALL1731?", U)
    assert [s.label for s in q.slots.sides] == ["SR-high"]
    assert bind(q, sub, U.entities, U.lexicon).sides == MATCHED
    assert bind(q, whole, U.entities, U.lexicon).sides == CONFLICT
    named = dataclasses.replace(q, slots=dataclasses.replace(q.slots, reports=("nejm",)))
    assert bind(named, whole, U.entities, U.lexicon).sides == CONFLICT


def test_a_confidence_level_is_not_a_rate() -> None:
    from rag.binding import SPANS

    assert not SPANS["rate"].search("incidence calculated with 95% confidence intervals")
    assert not SPANS["rate"].search("HR 0.39 (95% CI 0.24-0.64)")
    assert SPANS["rate"].search("57.3% (95% CI 50.1-64.2) had an adverse event")
    assert SPANS["rate"].search("150 of the 192 nurses who were asked responded")
