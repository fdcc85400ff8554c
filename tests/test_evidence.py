"""Evidence in context (issue N), rule by rule on hand-built drafts: report links and data
cuts, population notices, abstract labels, the comparison table, the evidence line, and how
compose_answer carries them into the Answer."""

from __future__ import annotations

from dataclasses import replace

from citeqa.answer import Answer, AnswerSentence, Audience, Citation
from citeqa.domain import load_profile
from citeqa.models import Metadata
from rag.compare import clause
from rag.compose import Context, Draft, compose_answer
from rag.entities import EntityIndex
from rag.evidence import (
    Sources,
    annotate,
    evidence_line,
    report_link,
    report_name,
    reports_of,
    shown_date,
)
from rag.format import card_notes, format_answer, format_table, table_markdown
from rag.query import Query, Slots
from rag.timepoint import TimePoint
from ui.api_models import chat_tail

EV = load_profile("ball-blinatumomab").evidence
NOT_REPORTED = EV.not_reported

DOCS = {
    "nejm": Metadata(
        "nejm", venue="N Engl J Med", year=2025, date="2024-12-07", doc_type="journal-article",
        trial="AALL1731", nct="NCT03914625", age_group="children", setting="newly diagnosed",
        design="randomised trial",
    ),
    "ash": Metadata(
        "ash", venue="ASH 2025 Annual Meeting", year=2025, date="2025-12",
        doc_type="conference-abstract", trial="AALL1731", nct="NCT03914625",
        abstract_number="758", age_group="children", setting="newly diagnosed",
        design="randomised trial",
    ),
    "family": Metadata(
        "family", year=2026, doc_type="plain-language", trial="AALL1731", nct="NCT03914625"
    ),
    "tower": Metadata(
        "tower", venue="N Engl J Med", year=2017, date="2017-03-02", doc_type="journal-article",
        trial="TOWER", age_group="adults", setting="relapsed/refractory", ph_status="Ph-negative",
        design="randomised trial",
    ),
    "blast": Metadata(
        "blast", venue="Blood", year=2018, doc_type="journal-article", trial="BLAST",
        age_group="adults", setting="MRD-positive", design="single-arm trial",
    ),
}  # fmt: skip


def entities() -> EntityIndex:
    ents = EntityIndex()
    for key, docs in {"tower": {"tower"}, "blast": {"blast"}, "aall1731": {"nejm", "ash"}}.items():
        ents.studies[key] = set(docs)
        ents.shown[key] = key.upper()
    return ents


SRC = Sources(DOCS, entities(), EV)


def query(raw: str, **slots: tuple[object, ...]) -> Query:
    flags = frozenset({"comparison"}) if len(slots.get("studies", ())) > 1 else frozenset()
    return Query(raw, raw, raw, raw, Slots(**slots), flags)  # type: ignore[arg-type]


def cite(n: int, doc: str) -> Citation:
    m = DOCS[doc]
    return Citation(n, f"{doc}-c{n}", doc, doc, doc, m.doc_type, "Results", "q", "p", trial=m.trial)


def draft(units: list[tuple[str, int]], docs: list[str]) -> Draft:
    return Draft(
        tuple(AnswerSentence(t, (n,)) for t, n in units),
        tuple(cite(i + 1, d) for i, d in enumerate(docs)),
        False,
    )


# -- reports of one trial -------------------------------------------------------------------------
def test_reports_are_linked_by_trial_and_ordered_by_date() -> None:
    assert reports_of("nejm", DOCS) == ["nejm", "ash"]
    assert reports_of("family", DOCS) == []  # explainers are not reports
    latest = report_link("ash", DOCS)
    assert latest is not None and (latest.status, latest.later_doc_id) == ("latest", "")
    link = report_link("nejm", DOCS)
    assert link is not None and (link.status, link.later_doc_id) == ("earlier", "ash")
    assert report_link("tower", DOCS) is None  # one report: no link


def test_abstract_before_article_of_the_same_date() -> None:
    docs = {
        "a": replace(DOCS["nejm"], doc_id="a", date="2024-12"),
        "b": replace(DOCS["ash"], doc_id="b", date="2024-12"),
    }
    assert reports_of("a", docs) == ["b", "a"]


def test_report_names_and_dates() -> None:
    assert report_name(DOCS["ash"]) == "ASH 2025 Annual Meeting, abstract 758, Dec 2025"
    assert shown_date("2024-12-07") == "Dec 2024" and shown_date("2018") == "2018"


# -- data cuts --------------------------------------------------------------------------------------
def test_latest_report_first_and_data_cut_notice() -> None:
    d = draft([("3-year DFS was 96.0%.", 1), ("4-year DFS was 94.8%.", 2)], ["nejm", "ash"])
    out = annotate(query("What was the DFS in AALL1731?"), d, Audience.CLINICIAN, SRC)
    assert [u.text for u in out.units] == ["4-year DFS was 94.8%.", "3-year DFS was 96.0%."]
    assert [(c.n, c.doc_id) for c in out.citations] == [(1, "ash"), (2, "nejm")]
    assert [u.citations for u in out.units] == [(1,), (2,)]
    cut = [n for n in out.notices if n.kind == "data-cut"]
    assert len(cut) == 1 and cut[0].citations == (1, 2)
    assert "[1] is the latest report" in cut[0].text and "3-year" in cut[0].text
    assert out.citations[1].report is not None and out.citations[1].report.later_doc_id == "ash"


def test_no_data_cut_notice_when_the_figures_agree() -> None:
    d = draft([("1440 randomized.", 1), ("1440 randomized.", 2)], ["nejm", "ash"])
    out = annotate(query("How many in AALL1731?"), d, Audience.CLINICIAN, SRC)
    assert not [n for n in out.notices if n.kind == "data-cut"]


def test_earlier_report_alone_gets_a_later_report_notice() -> None:
    d = draft([("3-year DFS was 96.0%.", 1)], ["nejm"])
    out = annotate(query("What was the DFS in AALL1731?"), d, Audience.CLINICIAN, SRC)
    (cut,) = [n for n in out.notices if n.kind == "data-cut"]
    assert "later report exists" in cut.text and "ASH 2025" in cut.text


def test_named_report_or_time_point_keeps_order_and_has_no_data_cut_notice() -> None:
    d = draft([("3-year DFS was 96.0%.", 1), ("4-year DFS was 94.8%.", 2)], ["nejm", "ash"])
    for q in (
        query("3-year DFS in AALL1731?", time_points=(TimePoint(3, "year"),)),
        query("DFS in the NEJM report of AALL1731?", reports=("nengljmed",)),
    ):
        out = annotate(q, d, Audience.CLINICIAN, SRC)
        assert [c.doc_id for c in out.citations] == ["nejm", "ash"]
        assert not [n for n in out.notices if n.kind == "data-cut"]


# -- population notices ---------------------------------------------------------------------------
def test_adult_study_cited_for_a_question_about_children() -> None:
    d = draft([("CR was 34% vs 16%.", 1)], ["tower"])
    out = annotate(query("CR rate in TOWER for my child?"), d, Audience.CLINICIAN, SRC)
    (note,) = out.notices
    assert (note.kind, note.citations) == ("population", (1,))
    assert note.text == "TOWER enrolled adults; its results may not apply to children."
    assert out.citations[0].population is not None
    assert out.citations[0].population.age_group == "adults"


def test_no_population_notice_for_adults_or_pediatric_studies() -> None:
    d = draft([("CR was 34% vs 16%.", 1)], ["tower"])
    assert not annotate(query("CR rate in TOWER?"), d, Audience.CLINICIAN, SRC).notices
    kids = draft([("4-year DFS was 94.8%.", 1)], ["ash"])
    assert not annotate(query("DFS in children?"), kids, Audience.CLINICIAN, SRC).notices


def test_family_audience_is_about_children() -> None:
    d = draft([("CR was 34% vs 16%.", 1)], ["tower"])
    out = annotate(query("Did TOWER work?"), d, Audience.FAMILY, SRC)
    assert out.notices[0].text == EV.adult_notice.family.format(study="TOWER")


def test_setting_differs_from_the_question() -> None:
    d = draft([("4-year DFS was 94.8%.", 1)], ["ash"])
    out = annotate(query("DFS after a relapse in AALL1731?"), d, Audience.CLINICIAN, SRC)
    notes = [n for n in out.notices if n.kind == "population"]
    assert len(notes) == 1 and "newly diagnosed" in notes[0].text and "relapsed" in notes[0].text


# -- abstract labels ------------------------------------------------------------------------------
def test_abstract_figures_are_labelled_in_the_answer_text() -> None:
    d = draft(
        [("4-year DFS was 94.8%.", 1), ("Blinatumomab helped.", 1), ("CR was 34%.", 2)],
        ["ash", "tower"],
    )
    out = annotate(query("DFS?"), d, Audience.CLINICIAN, SRC)
    assert out.labels == (EV.abstract_label.clinician, "", "")
    ans = compose_answer(out, Context("DFS?", Audience.CLINICIAN, "no"), ())
    assert "94.8%. [1] (conference abstract, not yet peer-reviewed) Blinatumomab" in ans.answer
    assert "34%. [2]" in ans.answer and ans.answer.endswith("[2]")


# -- comparison table -----------------------------------------------------------------------------
def test_two_studies_give_two_rows_with_cited_cells() -> None:
    d = draft(
        [
            ("In TOWER, grade ≥ 3 CRS occurred in 4.9% of adults; neurologic events 9.4%.", 1),
            ("In BLAST, neurologic events occurred in 10%.", 2),
        ],
        ["tower", "blast"],
    )
    q = query("CRS in TOWER vs BLAST?", studies=("tower", "blast"))
    out = annotate(q, d, Audience.CLINICIAN, SRC)
    assert out.table is not None
    assert out.table.columns == ("CRS", EV.population_column)
    tower, blast = out.table.rows
    assert (tower.label, blast.label) == ("TOWER", "BLAST")
    assert tower.cells[0].text == "grade ≥ 3 CRS occurred in 4.9% of adults"
    assert tower.cells[0].citation == 1
    assert (blast.cells[0].text, blast.cells[0].citation) == (NOT_REPORTED, None)
    assert tower.cells[1].text == "adults, relapsed/refractory, Ph-negative"
    assert out.comparison == (*tower.cells, *blast.cells)
    ans = compose_answer(out, Context("q", Audience.CLINICIAN, "no"), ())
    row = ans.to_json()["table"]["rows"][0]
    assert row["label"] == "TOWER" and row["cells"][0]["citation"] == 1


def test_data_cuts_compared_give_a_row_per_report() -> None:
    d = draft([("3-year DFS was 96.0%.", 1), ("4-year DFS was 94.8%.", 2)], ["nejm", "ash"])
    q = replace(query("DFS NEJM vs ASH in AALL1731", studies=("aall1731",)), flags={"comparison"})
    out = annotate(q, d, Audience.CLINICIAN, SRC)
    assert out.table is not None
    assert [r.label for r in out.table.rows] == [
        report_name(DOCS["nejm"]),
        report_name(DOCS["ash"]),
    ]
    assert [r.cells[0].text for r in out.table.rows] == [
        "3-year DFS was 96.0%",
        "4-year DFS was 94.8%",
    ]


def test_time_points_compared_give_a_row_per_time_point() -> None:
    d = draft([("3-year DFS was 96.0%.", 1), ("4-year DFS was 94.8%.", 1)], ["ash"])
    tps = (TimePoint(3, "year"), TimePoint(5, "year"))
    out = annotate(query("3-year vs 5-year DFS?", time_points=tps), d, Audience.CLINICIAN, SRC)
    assert out.table is not None and out.table.columns == ("DFS",)
    assert [(r.label, r.cells[0].text) for r in out.table.rows] == [
        ("3-year", "3-year DFS was 96.0%"),
        ("5-year", NOT_REPORTED),
    ]


def test_a_named_report_gives_a_row_per_report_even_when_one_is_not_quoted() -> None:
    d = draft([("Median follow-up was 3.5 years.", 1)], ["ash"])
    q = query("Follow-up in the NEJM report vs the update?", studies=("aall1731",))
    q = replace(q, flags={"comparison"}, slots=replace(q.slots, reports=("nengljmed",)))
    out = annotate(q, d, Audience.CLINICIAN, SRC)
    assert out.table is not None and out.table.columns[0] == "Median follow-up"
    assert [r.cells[0].text for r in out.table.rows] == [
        NOT_REPORTED,
        "Median follow-up was 3.5 years",
    ]


def test_one_study_two_outcomes_side_by_side() -> None:
    d = draft([("3-year OS was 85%.", 1), ("3-year RFS was 80%.", 1)], ["tower"])
    q = replace(query("TOWER: OS vs RFS?", studies=("tower",)), flags={"comparison"})
    out = annotate(q, d, Audience.CLINICIAN, SRC)
    assert out.table is not None and out.table.columns == ("OS", "RFS", EV.population_column)
    (row,) = out.table.rows
    assert [c.text for c in row.cells[:2]] == ["3-year OS was 85%", "3-year RFS was 80%"]


def test_no_table_without_a_comparison() -> None:
    d = draft([("CR was 34%.", 1)], ["tower"])
    out = annotate(query("CR in TOWER?", studies=("tower",)), d, Audience.CLINICIAN, SRC)
    assert out.table is None and out.comparison == ()


def test_clause_prefers_the_figure_and_stays_verbatim() -> None:
    import re

    rx = re.compile(r"\bCRS\b")
    text = (
        "In TOWER, grade ≥ 3 CRS was seen only with blinatumomab, while CRS of any grade was 14%."
    )
    assert clause(text, rx) == "while CRS of any grade was 14%"
    assert clause("CRS was rare.", rx) == "CRS was rare"
    text = "OS was 7.7 vs 4.0 months (HR 0.71, 95% CI 0.55-0.93; P = 0.01); CRS was 4.9%."
    assert (
        clause(text, re.compile(r"\bOS\b"))
        == "OS was 7.7 vs 4.0 months (HR 0.71, 95% CI 0.55-0.93; P = 0.01)"
    )


# -- evidence line and abstentions -----------------------------------------------------------------
def test_evidence_line_counts_studies_and_reports_and_dates_the_newest() -> None:
    cites = [cite(1, "ash"), cite(2, "nejm")]
    line = evidence_line(cites, DOCS, EV)
    assert line == (
        "1 randomised trial in children; 1 conference abstract, 1 peer-reviewed article; "
        "evidence as of Dec 2025"
    )
    two = evidence_line([cite(1, "tower"), cite(2, "blast")], DOCS, EV)
    assert two.startswith("1 randomised trial in adults, 1 single-arm trial in adults; 2 peer")


def test_evidence_line_only_for_clinicians() -> None:
    d = draft([("4-year DFS was 94.8%.", 1)], ["ash"])
    assert annotate(query("DFS?"), d, Audience.CLINICIAN, SRC).evidence_summary
    assert not annotate(query("DFS?"), d, Audience.FAMILY, SRC).evidence_summary


def test_abstention_only_gets_its_nearest_sources_linked() -> None:
    d = Draft((), (), True, nearest=(cite(1, "tower"),))
    out = annotate(query("CR rate for my child?"), d, Audience.CLINICIAN, SRC)
    assert out.nearest[0].population is not None and out.nearest[0].population.age_group == "adults"
    assert (out.units, out.notices, out.table, out.evidence_summary) == ((), (), None, "")


def test_compose_carries_notices_after_the_context_notices() -> None:
    from citeqa.answer import Notice

    d = replace(draft([("CR 34%.", 1)], ["tower"]), notices=(Notice("population", "P."),))
    ctx = Context("q", Audience.CLINICIAN, "no", notices=(Notice("care-team", "C."),))
    ans = compose_answer(d, ctx, ())
    assert [n.kind for n in ans.notices] == ["care-team", "population"]
    assert ans.notice == "C. P."


# -- rendering -------------------------------------------------------------------------------------
def _table_answer() -> Answer:
    d = draft(
        [("In TOWER, grade ≥ 3 CRS occurred in 4.9% | of adults.", 1), ("BLAST: CR 78%.", 2)],
        ["tower", "blast"],
    )
    out = annotate(query("CRS in TOWER vs BLAST?", studies=("tower", "blast")), d,
                   Audience.CLINICIAN, SRC)  # fmt: skip
    return compose_answer(out, Context("q", Audience.CLINICIAN, "no"), ())


def test_cli_prints_the_table_aligned() -> None:
    text = format_table(_table_answer().table)  # type: ignore[arg-type]
    head, rule, tower, blast = text.splitlines()
    assert head.split() == ["CRS", "Population"] and set(rule.replace(" ", "")) == {"-"}
    assert tower.startswith("TOWER  grade ≥ 3 CRS occurred in 4.9% | of adults [1]")
    assert blast.startswith("BLAST  not reported")
    assert tower.index("adults, relapsed") == blast.index("adults, MRD")  # aligned
    assert text in format_answer(_table_answer())


def test_markdown_table_for_chat_content() -> None:
    ans = _table_answer()
    md = table_markdown(ans.table)  # type: ignore[arg-type]
    lines = md.splitlines()
    assert lines[0] == "|  | CRS | Population |" and lines[1] == "| --- | --- | --- |"
    assert "4.9% \\| of adults [1]" in lines[2]  # a pipe in a cell does not split it
    assert md in chat_tail(ans)


def test_source_cards_say_population_and_earlier_report() -> None:
    d = draft([("3-year DFS was 96.0%.", 1), ("4-year DFS was 94.8%.", 2)], ["nejm", "ash"])
    out = annotate(query("DFS in AALL1731?"), d, Audience.CLINICIAN, SRC)
    nejm = next(c for c in out.citations if c.doc_id == "nejm")
    notes = card_notes(nejm, out.citations)
    assert notes == "Population: children, newly diagnosed. Earlier report; updated by [1]"
    assert card_notes(nejm).endswith("updated by ash")
