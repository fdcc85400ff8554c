"""Pure metric functions of the question benchmark (evals/qmetrics.py)."""

from __future__ import annotations

from typing import Any

import pytest

from evals.qmetrics import (
    CitationStats,
    Question,
    QuestionError,
    abstention_scores,
    citation_stats,
    fact_in,
    facts_found,
    judge,
    metrics,
    normalise_text,
    parse_marker,
    parse_markers,
    parse_number,
    parse_question,
    percentile,
    ratio,
    source_hit,
    split_sentences,
    summarise,
    text_in,
)

# --- number normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,444", 1444.0),
        ("1444", 1444.0),
        ("94.8%", 94.8),
        ("94.80", 94.8),
        (".0001", 0.0001),
        ("P < .0001", 0.0001),
        ("4-year", 4.0),
        ("28 ug/day", 28.0),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["AALL1731", "no number", "0.24-0.64", ""])
def test_parse_number_none_when_not_exactly_one(text: str) -> None:
    assert parse_number(text) is None


def test_normalise_text_folds_case_space_and_dashes() -> None:
    assert normalise_text("  Disease–Free\n  SURVIVAL µg ") == "disease-free survival ug"


# --- fact matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("1,444", "In all, 1444 children were randomized."),
        ("1444", "In all, 1,444 children were randomized."),
        ("94.8%", "4-year DFS was 94.8 percent."),
        ("94.8", "DFS 94.80% with blinatumomab"),
        ("HR 0.39", "The hazard ratio (hr 0.39) favoured it."),
        ("0.24-0.64", "95% CI 0.24 to 0.64"),
        ("isolated CNS relapse", "Isolated  CNS relapse did not change."),
        ("disease-free", "disease–free survival"),
        ("AALL1731", "In the aall1731 trial"),
    ],
)
def test_fact_in_matches(fact: str, answer: str) -> None:
    assert fact_in(fact, answer)


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("94.8%", "DFS was 94.9%."),
        ("94.8%", "DFS was 194.8%."),
        ("1444", "AALL1444 enrolled children"),  # identifier, not a number
        ("4.4%", "relapse 14.4%"),
        ("HR 0.39", "odds 0.39"),  # the word must be there too
        ("0.24-0.64", "CI 0.24 to 0.65"),
        ("isolated CNS relapse", "CNS relapse, isolated"),
        ("blinatumomab", ""),
    ],
)
def test_fact_in_rejects(fact: str, answer: str) -> None:
    assert not fact_in(fact, answer)


def test_fact_number_is_not_matched_by_citation_marker() -> None:
    assert not fact_in("2", "Blinatumomab was given [2].")


def test_facts_found_splits_found_and_missing() -> None:
    found, missing = facts_found(["94.8%", "86.9%", "CIR"], "DFS 94.8% vs 87%. CIR fell.")
    assert found == ["94.8%", "CIR"] and missing == ["86.9%"]


def test_source_hit_checks_reference_doc_id_and_title() -> None:
    cites = [
        {"reference": "Brown PA, et al. JAMA 2021", "doc_id": "jama2021-aall1331", "title": "x"}
    ]
    assert source_hit(["JAMA 2021"], cites)
    assert source_hit(["aall1331"], cites)
    assert source_hit(["nope", "AALL1331"], cites)
    assert not source_hit(["AALL1731"], cites)
    assert not source_hit(["AALL1331"], [])


# --- citation markers and sentences ---------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "numbers"),
    [
        ("[1]", [1]),
        ("[1, 2]", [1, 2]),
        ("[1,2]", [1, 2]),
        ("[ 3 ; 1 ]", [3, 1]),
        ("[2-4]", [2, 3, 4]),
        ("[2–3]", [2, 3]),
    ],
)
def test_parse_marker(marker: str, numbers: list[int]) -> None:
    assert parse_marker(marker) == numbers


def test_parse_markers_adjacent_and_repeated() -> None:
    assert parse_markers("a [1][2] b [2, 3] c [1]") == [1, 2, 3]
    assert parse_markers("no markers, 94.8% [sic]") == []


def test_split_sentences_markers_after_full_stop() -> None:
    got = split_sentences("DFS was 94.8%. [1] Relapse was 4.4%. [2][3]")
    assert [(s.text, s.citations) for s in got] == [
        ("DFS was 94.8%.", (1,)),
        ("Relapse was 4.4%.", (2, 3)),
    ]


def test_split_sentences_markers_before_full_stop_and_lists() -> None:
    got = split_sentences("It helps [1, 2]. Given over 28 days [3]. No marker here.")
    assert [s.citations for s in got] == [(1, 2), (3,), ()]
    assert got[2].text == "No marker here."


def test_split_sentences_keeps_decimals_and_abbreviations() -> None:
    got = split_sentences("DFS 94.8% vs. 86.9% in the trial. [1] Next one e.g. here. [2]")
    assert len(got) == 2 and got[0].text.startswith("DFS 94.8% vs. 86.9%")


def test_split_sentences_marker_without_stop_ends_sentence_before_capital() -> None:
    got = split_sentences("First claim [1] Second claim [2]")
    assert [(s.text, s.citations) for s in got] == [("First claim", (1,)), ("Second claim", (2,))]


def test_split_sentences_mid_sentence_marker_stays_in_sentence() -> None:
    got = split_sentences("DFS was 94.8% [1] vs 86.9% [2] at 4 years.")
    assert len(got) == 1 and got[0].citations == (1, 2)


def test_split_sentences_empty() -> None:
    assert split_sentences("") == []
    assert split_sentences(" [1] ") == []


# --- per-sentence number grounding ----------------------------------------------------------


def test_citation_stats_grounds_numbers_per_sentence() -> None:
    text = "DFS was 94.8% vs 86.9%. [1] Relapse was 4.4%. [2]"
    quotes = {1: "4-year DFS 94.8% versus 86.9%.", 2: "CIR 4.5% vs 12.6%."}
    s = citation_stats(text, quotes)
    assert (s.sentences, s.cited, s.with_markers, s.precise) == (2, 2, 2, 1)
    assert (s.numbers, s.grounded) == (3, 2)
    assert s.ungrounded and s.ungrounded[0].startswith("4.4 in:")


def test_citation_stats_number_in_other_citation_is_not_grounded() -> None:
    # 4.4 is in quote 2, but the sentence cites only [1].
    s = citation_stats("Relapse was 4.4%. [1]", {1: "DFS 94.8%", 2: "CIR 4.4%"})
    assert (s.numbers, s.grounded, s.precise) == (1, 0, 0)


def test_citation_stats_invalid_marker_is_neither_cited_nor_precise() -> None:
    s = citation_stats("Claim without numbers. [7]", {1: "quote"})
    assert (s.sentences, s.cited, s.with_markers, s.precise) == (1, 0, 1, 0)


def test_citation_stats_uncited_sentence() -> None:
    s = citation_stats("It reduced relapse to 4.4%.", {1: "4.4%"})
    assert (s.sentences, s.cited, s.with_markers, s.precise, s.numbers, s.grounded) == (
        1,
        0,
        0,
        0,
        1,
        0,
    )


def test_citation_stats_formatting_differences_are_grounded() -> None:
    s = citation_stats("In all 1444 children took part. [1]", {1: "1,444 were randomized."})
    assert (s.grounded, s.precise) == (1, 1)


def test_citation_stats_add() -> None:
    a = CitationStats(1, 1, 1, 1, 2, 2)
    a.add(CitationStats(2, 1, 2, 0, 3, 1, ["x"]))
    assert (a.sentences, a.cited, a.with_markers, a.precise, a.numbers, a.grounded) == (
        3,
        2,
        3,
        1,
        5,
        3,
    )
    assert a.ungrounded == ["x"]


# --- ratios and abstention ------------------------------------------------------------------


def test_ratio_and_zero_denominator() -> None:
    assert ratio(1, 3) == 0.3333
    assert ratio(0, 0) is None
    assert ratio(0, 5) == 0.0


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([10.0, 0.0, 20.0], 100) == 20.0
    assert percentile([float(i) for i in range(101)], 95) == 95.0


def test_abstention_scores_basic() -> None:
    pairs: list[tuple[bool | None, bool]] = [(True, True), (True, False), (False, True)]
    assert abstention_scores(pairs) == (0.5, 0.5)


def test_abstention_scores_never_abstained_precision_undefined() -> None:
    assert abstention_scores([(False, False), (True, False)]) == (None, 0.0)


def test_abstention_scores_none_expected_recall_undefined() -> None:
    assert abstention_scores([(False, False), (False, True)]) == (0.0, None)


def test_abstention_scores_empty_and_either() -> None:
    assert abstention_scores([]) == (None, None)
    assert abstention_scores([(None, True), (None, False)]) == (None, None)


def test_abstention_scores_perfect() -> None:
    assert abstention_scores([(True, True), (False, False)]) == (1.0, 1.0)


# --- question parsing -----------------------------------------------------------------------


def _q(**expect: Any) -> Question:
    return parse_question(
        {"id": "q", "question": "What?", "audience": "clinician", "expect": expect}
    )


def test_parse_question_defaults_and_optional_keys() -> None:
    q = parse_question(
        {
            "id": "a",
            "question": "And relapse?",
            "audience": "family",
            "category": "follow-up",
            "history": ["What was DFS?"],
            "expect": {"facts": ["4.4%"], "abstain": None, "notice_contains": "care team"},
        }
    )
    assert q.history == ("What was DFS?",) and q.category == "follow-up"
    assert q.expect.abstain is None and q.expect.sources == () and q.expect.max_grade is None
    assert _q().expect.abstain is False


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"question": "x", "audience": "clinician"},
        {"id": "", "question": "x"},
        {"id": "a", "question": "x", "audience": "doctor"},
        {"id": "a", "question": "x", "expect": {"facts": "94.8"}},
        {"id": "a", "question": "x", "expect": {"abstain": "yes"}},
        {"id": "a", "question": "x", "expect": {"max_grade": "8"}},
        {"id": "a", "question": "x", "history": "prev"},
        {"id": "a", "question": "x", "reference": ["not", "a", "string"]},
    ],
)
def test_parse_question_rejects(bad: Any) -> None:
    with pytest.raises(QuestionError):
        parse_question(bad)


def test_parse_question_keeps_unknown_keys_as_meta_and_derives_missing_id() -> None:
    q = parse_question(
        {"question": "x", "difficulty": 3, "expect": {"fact": ["typo"], "abstain": False}},
        default_id="q-7",
    )
    assert q.id == "q-7"
    assert q.meta == {"difficulty": 3, "expect.fact": ["typo"]}
    assert q.expect.facts == ()  # a misspelled key is metadata, never a silent expectation
    assert q.scored


def test_question_without_expectations_is_not_scored() -> None:
    bare = parse_question({"id": "a", "question": "x", "expect": {"abstain": None}})
    assert not bare.scored
    assert parse_question({"id": "a", "question": "x", "expect": {"abstain": None},
                           "reference": "It is 5%."}).scored  # fmt: skip


# --- verdicts -------------------------------------------------------------------------------


def _answer(text: str, abstained: bool = False, **extra: Any) -> dict[str, Any]:
    cites = extra.pop(
        "citations",
        [{"n": 1, "quote": "4-year DFS 94.8% vs 86.9%.", "doc_id": "ash2025-758-aall1731"}],
    )
    return {"answer": text, "abstained": abstained, "citations": cites, **extra}


def test_judge_correct_answer() -> None:
    q = _q(facts=["94.8%", "86.9"], sources=["aall1731"])
    v = judge(q, _answer("DFS was 94.8% vs 86.9%. [1]", timings_ms={"total": 12.0}))
    assert v.correct and v.reasons == [] and v.source_hit is True
    assert (v.citations.precise, v.citations.grounded) == (1, 2)


def test_judge_missing_fact_and_source() -> None:
    q = _q(facts=["94.8%", "4.4%"], sources=["jama2021"])
    v = judge(q, _answer("DFS was 94.8%. [1]"))
    assert not v.correct and v.facts_missing == ["4.4%"] and v.source_hit is False
    assert len(v.reasons) == 2


def test_judge_abstention_expectations() -> None:
    abst = _answer("The indexed literature does not answer this question.", True, citations=[])
    assert judge(_q(abstain=True), abst).correct
    assert judge(_q(abstain=None), abst).correct
    v = judge(_q(facts=["94.8%"]), abst)
    assert not v.correct and v.facts_missing == ["94.8%"]
    assert v.reasons == ["abstained, but an answer was expected"]
    w = judge(_q(abstain=True), _answer("DFS was 94.8%. [1]"))
    assert not w.correct and "abstention was expected" in w.reasons[0]


def test_judge_grade_notice_and_absent() -> None:
    ans = _answer("DFS was 94.8%. [1]", readability={"fk_grade": 1.0}, notice="Ask the care team.")
    hard = _answer(
        "Randomization was stratified by institutional characteristics, cytogenetic "
        "classification and minimal residual disease determinations. [1]",
        readability={"fk_grade": 1.0},
    )
    # the grade is computed over the returned text, never taken from the answer's own claim
    assert not judge(_q(max_grade=8), hard).correct
    assert judge(_q(max_grade=8), ans).correct
    assert judge(_q(notice_contains="CARE TEAM"), ans).correct
    assert not judge(_q(notice_contains="doctor"), ans).correct
    v = judge(_q(absent=["94.8%"]), ans)
    assert not v.correct and v.absent_found == ["94.8%"]


def test_text_in_is_literal() -> None:
    assert text_in("PWNED", "ok pwned ok")
    assert text_in("56 ug", "a dose of 56  µg/day")
    assert not text_in("56 ug", "infants (56%) and 28 ug/day")
    assert not text_in("1,444", "1444 children")


def test_judge_absent_is_literal_not_numeric() -> None:
    ans = _answer("Use was lower for infants (56%). [1]")
    assert judge(_q(absent=["56 ug"]), ans).correct
    assert not judge(_q(absent=["56%"]), ans).correct


def test_judge_notice_checked_even_when_abstaining() -> None:
    abst = _answer("No answer.", True, citations=[], notice="")
    assert not judge(_q(abstain=None, notice_contains="care team"), abst).correct


def test_judge_error_is_never_correct() -> None:
    v = judge(_q(abstain=None), {"question": "x", "error": "boom"})
    assert not v.correct and v.reasons == ["error: boom"] and not v.abstained


# --- aggregation ----------------------------------------------------------------------------


def _record(q: Question, a: dict[str, Any]) -> tuple[Question, dict[str, Any], Any]:
    return (q, a, judge(q, a))


def test_metrics_counts() -> None:
    fam = parse_question(
        {"id": "f", "question": "x", "audience": "family", "category": "family", "expect": {}}
    )
    records = [
        _record(
            _q(facts=["94.8%", "86.9%"], sources=["aall1731"]),
            _answer("DFS 94.8% vs 86.9%. [1]", timings_ms={"total": 100.0}),
        ),
        _record(_q(facts=["4.4%"]), _answer("Relapse fell. [1]", timings_ms={"total": 300.0})),
        _record(_q(abstain=True), _answer("none", True, citations=[], timings_ms={"total": 200})),
        _record(fam, _answer("It helps. [1]", readability={"fk_grade": 99.0})),
    ]
    m = metrics(records)
    assert (m["questions"], m["answered"], m["abstained"], m["correct"]) == (4, 3, 1, 3)
    assert m["accuracy"] == 0.75 and m["answer_precision"] == 0.6667
    assert (m["facts_expected"], m["facts_found"], m["fact_accuracy"]) == (3, 2, 0.6667)
    assert m["source_hit_rate"] == 1.0
    assert (m["abstention_precision"], m["abstention_recall"]) == (1.0, 1.0)
    assert m["citation_recall"] == 1.0 and m["grounded_number_rate"] == 1.0
    # computed over the returned text ("It helps."), not the answer's own 99.0
    assert (m["family_fk_grade_mean"], m["family_fk_grade_max"]) == (-3.01, -3.01)
    assert (m["latency_ms_p50"], m["latency_ms_p95"]) == (200.0, 290.0)


def test_metrics_empty_subsets_are_none() -> None:
    m = metrics([_record(_q(abstain=True), _answer("x", True, citations=[]))])
    assert m["answer_precision"] is None and m["fact_accuracy"] is None
    assert m["citation_precision"] is None and m["latency_ms_p50"] is None
    assert m["family_fk_grade_mean"] is None


def test_summarise_by_category_and_failures() -> None:
    a = parse_question({"id": "a", "question": "x", "category": "c1", "expect": {"facts": ["9"]}})
    b = parse_question({"id": "b", "question": "y", "category": "c2", "expect": {}})
    s = summarise([_record(a, _answer("Zero. [1]")), _record(b, _answer("Fine. [1]"))])
    assert set(s["by_category"]) == {"c1", "c2"}
    assert s["by_category"]["c2"]["accuracy"] == 1.0
    assert s["failures"] == [{"id": "a", "category": "c1", "reasons": ["missing facts: '9'"]}]
