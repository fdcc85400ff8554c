"""Arms and subgroups the question names as the sides of a comparison (rag/arms.py), their
table rows (rag/compare.py) and the judge's rule for them (evals/cells.py)."""

from __future__ import annotations

from dataclasses import replace

from citeqa.answer import Audience
from citeqa.domain import load_profile
from evals.cells import CellVocab, arm_named, row_in_cell
from rag.arms import (
    NamedSide,
    asked_sides,
    group_side,
    named_sides,
    owned_segments,
    segments,
    subgroup_side,
)
from rag.compare import has_figure
from rag.evidence import Sources, annotate
from rag.query import Query
from tests.test_evidence import DOCS, EV, draft, entities, query

SHORT = {"blina": "blinatumomab", "chemo": "chemotherapy", "sr-avg": "SR-average"}
OUTCOMES = {"dfs", "os", "hr"}


def sides(text: str) -> list[tuple[str, set[str]]]:
    got = named_sides(text, lambda w: w.lower() in OUTCOMES or w.lower() == "aall1731", SHORT)
    return [(s.label, set(s.keys)) for s in got]


def test_sides_around_vs_cut_at_punctuation_and_prepositions() -> None:
    assert sides("blin arm 3y DFS: SR-avg vs SR-high in AALL1731") == [
        ("SR-avg", {"sr-averag", "averag"}),
        ("SR-high", {"sr-high", "high"}),
    ]
    assert sides("HR in aall1731 - control arms vs blina arms") == [
        ("control arms", {"control"}),
        ("blina arms", {"blinatumomab"}),
    ]


def test_between_a_and_b_names_sides_too() -> None:
    got = sides("How different was DFS between SR-average and SR-high in AALL1731?")
    assert [label for label, _ in got] == ["SR-average", "SR-high"]


def test_the_left_side_is_as_long_as_the_right_one_names() -> None:
    got = sides("relapse risk blinatumomab vs chemo alone in SR B-ALL")
    assert got == [("blinatumomab", {"blinatumomab"}), ("chemo alone", {"chemotherapi"})]


def test_no_sides_without_two_distinct_ones() -> None:
    assert sides("TOWER: OS vs DFS?") == []  # outcomes are columns, not sides
    assert sides("blina vs blina") == []
    assert sides("what did AALL1731 find?") == []
    assert sides("DFS 2020 vs 2024") == []  # numbers are not side words


SRC = Sources(DOCS, entities(), EV, load_profile("ball-blinatumomab").vocabulary)


def arm_query(text: str) -> Query:
    """A comparison in AALL1731 with the arms it names as its sides slot (as rag/query.py
    reads them: outcome and study words are not side words)."""
    vocab = load_profile("ball-blinatumomab").vocabulary
    named = asked_sides(text, vocab, lambda w: w.lower() in {"dfs", "aall1731"})
    q = query(text, studies=("aall1731",), sides=tuple(named))
    return replace(q, flags=frozenset({"comparison"}))


BLINA = NamedSide("blina", frozenset({"blinatumomab"}))
CHEMO = NamedSide("chemo", frozenset({"chemotherapi"}))
BOTH = "In AALL1731, 3-year DFS was 96.0% (SE 1.2) with blinatumomab plus chemotherapy versus 87.9% (SE 2.1) with chemotherapy alone."


def test_a_sentence_giving_both_arms_is_cut_and_each_arm_gets_its_figure() -> None:
    assert owned_segments(BOTH, BLINA, [CHEMO]) == [
        "In AALL1731, 3-year DFS was 96.0% (SE 1.2) with blinatumomab plus chemotherapy"
    ]
    assert owned_segments(BOTH, CHEMO, [BLINA]) == ["87.9% (SE 2.1) with chemotherapy alone."]


def test_a_sentence_naming_one_side_only_is_that_sides_whole() -> None:
    text = "In the SR-average group, DFS was 97.5% with blinatumomab versus 90.2% without."
    avg = NamedSide("SR-avg", frozenset({"sr-averag"}))
    high = NamedSide("SR-high", frozenset({"sr-high"}))
    assert owned_segments(text, avg, [high]) == [text]
    assert owned_segments(text, high, [avg]) == []


def test_segments_never_cut_inside_brackets() -> None:
    text = "OS was 7.7 months vs 4.0 months (HR 0.71; P = 0.01); CR was 34%."
    assert segments(text) == ["OS was 7.7 months", "4.0 months (HR 0.71; P = 0.01)", "CR was 34%."]


def test_a_name_of_letters_and_digits_is_no_figure() -> None:
    assert not has_figure("better EFS than a third block (HC3) in CD19-positive disease")
    assert has_figure("EFS was 69%") and not has_figure("grade ≥ 3 CRS")


def test_arm_rows_within_the_named_study() -> None:
    src = SRC
    d = draft([(BOTH, 1), ("In TOWER, OS was 7.7 months with blinatumomab.", 2)], ["nejm", "tower"])
    q = arm_query("aall1731 dfs blina vs chemo alone")
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is not None and out.table.columns == ("DFS",)  # no population column
    rows = [(r.label, r.cells[0].text, r.cells[0].citation) for r in out.table.rows]
    assert rows == [
        (
            "blina",
            "In AALL1731, 3-year DFS was 96.0% (SE 1.2) with blinatumomab plus chemotherapy",
            1,
        ),
        ("chemo alone", "87.9% (SE 2.1) with chemotherapy alone", 1),
    ]


def test_no_arm_table_when_only_one_arm_has_a_quoted_figure() -> None:
    src = SRC
    d = draft(
        [
            ("In the AALL1731 control arms, the HR was 2.1.", 1),
            ("In TOWER, HR 0.71 with blinatumomab.", 2),  # another trial never fills a row
        ],
        ["ash", "tower"],
    )
    q = arm_query("HR in aall1731 - control arms vs blina arms")
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is None and out.comparison == ()


VOCAB = CellVocab(abbreviations={"SR-avg": "SR-average", "chemo": "chemotherapy"})


def test_judge_arm_named_by_its_words_in_long_form() -> None:
    assert arm_named("SR-avg", "In the SR-average group, DFS was 97.5%.", VOCAB)
    assert not arm_named("SR-high", "In the SR-average group, DFS was 97.5%.", VOCAB)
    assert arm_named("chemo alone", "87.9% with chemotherapy-only treatment", VOCAB)


def test_judge_an_arm_cell_must_name_its_arm_when_the_quote_gives_both() -> None:
    cite = {"quote": BOTH, "trial": "AALL1731"}
    assert row_in_cell("chemo alone", cite, "87.9% (SE 2.1) with chemotherapy alone", VOCAB)
    assert not row_in_cell("chemo alone", cite, "96.0% (SE 1.2) with blinatumomab plus", VOCAB)
    assert row_in_cell("AALL1731", cite, "96.0%", VOCAB)  # the document's trial


def test_arms_joined_by_plus_are_read_word_by_word() -> None:
    assert sides("e1910 3 yr OS, blina+chemo vs chemo?") == [
        ("blina+chemo", {"blinatumomab"}),
        ("chemo", {"chemotherapi"}),
    ]


def test_a_side_is_held_only_where_every_word_of_it_is_named() -> None:
    (mutant, wild) = named_sides("response EGFR-mutant vs EGFR wild-type?", lambda w: False, {})
    kras = "Response rates were 10% for wild-type and 5% for mutant KRAS."
    assert owned_segments(kras, wild, [mutant]) == []  # KRAS, not EGFR
    egfr = "Response was 27% with EGFR-mutant tumours versus 7% with EGFR wild-type tumours."
    assert owned_segments(egfr, mutant, [wild]) == ["Response was 27% with EGFR-mutant tumours"]
    assert owned_segments(egfr, wild, [mutant]) == ["7% with EGFR wild-type tumours."]


def test_no_arm_table_without_a_quoted_figure() -> None:
    src = SRC
    d = draft([("Blinatumomab was given as two cycles.", 1)], ["nejm"])
    q = arm_query("aall1731 dfs blina vs chemo alone")
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is None and out.comparison == ()


def test_a_whole_trial_row_prefers_the_whole_trial_figure_and_a_subgroup_keeps_its_lead_in() -> (
    None
):
    src = SRC
    sub = "In the AALL1731 SR-average group, 3-year DFS was 90.2% with chemotherapy alone."
    whole = "In AALL1731, 3-year DFS was 87.9% with chemotherapy alone."
    d = draft(
        [(sub, 1), (whole, 1), ("In AALL1731, 4-year DFS was 86.9% with chemotherapy alone.", 2)],
        ["nejm", "ash"],
    )
    q = replace(
        query("chemo-only DFS aall1731 nejm vs update", studies=("aall1731",)),
        flags=frozenset({"comparison"}),
    )
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is not None
    assert [r.cells[0].text for r in out.table.rows] == [
        "3-year DFS was 87.9% with chemotherapy alone",
        "4-year DFS was 86.9% with chemotherapy alone",
    ]
    d = draft(
        [(sub, 1), ("In AALL1731, 4-year DFS was 86.9% with chemotherapy alone.", 2)],
        ["nejm", "ash"],
    )
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is not None
    assert out.table.rows[0].cells[0].text == sub.rstrip(".")  # the subgroup says so


def test_a_subgroup_the_question_asks_for_is_not_set_aside() -> None:
    src = SRC
    d = draft(
        [
            ("In TOWER, median OS was 7.7 months.", 1),
            ("In the Ph-negative BLAST subgroup, median OS was 36.5 months.", 2),
            ("In BLAST, median OS was 20.0 months overall.", 2),
        ],
        ["tower", "blast"],
    )
    q = query("median OS: TOWER vs the Ph-negative BLAST subgroup", studies=("tower", "blast"))
    out = annotate(q, d, Audience.CLINICIAN, src)
    assert out.table is not None
    assert out.table.rows[1].cells[0].text == "median OS was 36.5 months"


def test_a_year_is_no_figure_for_the_table_or_its_judge() -> None:
    from evals.cells import has_figure as judged

    for text in ("A later update was presented in 2025", "published in Dec 2024"):
        assert not has_figure(text) and not judged(text)
    for text in ("1440 children were randomized", "DFS was 96.0% in 2024", "HR 0.39"):
        assert has_figure(text) and judged(text)


def test_one_group_named_by_what_its_people_got() -> None:
    vocab = load_profile("ball-blinatumomab").vocabulary

    def group(text: str) -> str | None:
        side = group_side(text, vocab, lambda w: w.lower() in {"crs", "aall1731"})
        return side.label if side else None

    assert group("and the ones who only got chemo?") == "chemo"
    assert group("what about kids on blina") == "blina"
    assert group("and the kids like him who got blina?") == "blina"
    assert group("and in the control arm?") == "control"
    assert group("and chemo alone?") is None  # no group of people named
    assert group("how many patients with CRS in aall1731") is None  # words shown elsewhere
    side = group_side("those given blina", vocab, lambda w: False)
    assert side is not None and side.named_in("children in the blinatumomab arms")


def test_one_subgroup_asked_by_name_is_a_side_arms_and_whole_studies_are_not() -> None:
    vocab = load_profile("ball-blinatumomab").vocabulary

    def subgroup(text: str) -> str | None:
        side = subgroup_side(text, vocab, lambda w: w.lower() in {"os", "dfs", "e1910", "hr"})
        return side.label if side else None

    assert subgroup("median OS for the Ph-positive group in E1910?") == "Ph-positive"
    assert subgroup("HR within the SR-average subgroup of aall1731") == "SR-average"
    assert subgroup("is there data on a Down syndrome subgroup?") == "Down syndrome"
    assert subgroup("what was DFS in the chemo-only group?") is None  # an arm, named many ways
    assert subgroup("OS in the blinatumomab group") is None  # a drug names an arm
    assert subgroup("how many died in each group?") is None
    assert subgroup("a parent in a facebook group said so") is None
    assert subgroup("DFS in the EPIC cohort") is None  # a cohort is often the whole study
    side = subgroup_side("for the SR-high group", vocab, lambda w: False)
    assert side is not None and side.named_in("In the AALL1731 SR-high group, DFS was 94.1%")
    assert not side.named_in("4-year DFS among children with standard-risk B-ALL was 94.8%")
