"""Cell accuracy of comparison tables (evals/cells.py): one test per rule."""

from __future__ import annotations

from typing import Any

import pytest

from evals.cells import (
    CellVocab,
    cell_summary,
    check_answer,
    has_figure,
    outcome_named,
    row_named,
    vocab_of,
)

VOCAB = CellVocab(
    outcomes={"DFS": (r"\bdisease[- ]free survival\b", r"\bDFS\b"), "CRS": (r"\bCRS\b",)},
    abbreviations={"DFS": "disease-free survival", "OS": "overall survival"},
)
TOWER = "In TOWER, median OS was 7.7 months with blinatumomab versus 4.0 months with chemotherapy."
E1910 = "In E1910, 3-year OS was 85% with blinatumomab versus 68% with chemotherapy."
NEJM_REF = "Gupta S, et al. Blinatumomab in children. N Engl J Med. 2025;392(9):875-891."


def _cite(n: int, quote: str, trial: str, reference: str = "", passage: str = "") -> Any:
    return {"n": n, "quote": quote, "passage": passage or quote, "trial": trial,
            "doc_id": f"doc{n}", "reference": reference, "title": ""}  # fmt: skip


def _answer(rows: list[tuple[str, list[tuple[str, str, int | None]]]], cites: list[Any]) -> Any:
    """An Answer.to_json()-shaped dict with a table: rows of (label, [(column, text, n)])."""
    columns = list(dict.fromkeys(c for _, cells in rows for c, _, _ in cells))
    table_rows = [
        {"label": label, "cells": [{"side": label, "slot": c, "text": t, "citation": n}
                                   for c, t, n in cells]}
        for label, cells in rows
    ]  # fmt: skip
    return {
        "abstained": False,
        "citations": cites,
        "table": {"columns": columns, "rows": table_rows},
    }


def _one(answer: Any) -> Any:
    (check,) = check_answer(answer, VOCAB)
    return check


def test_correct_cell() -> None:
    a = _answer([("TOWER", [("OS", "median OS was 7.7 months versus 4.0 months", 1)])],
                [_cite(1, TOWER, "TOWER")])  # fmt: skip
    check = _one(a)
    assert (check.kind, check.correct, check.reasons) == ("figure", True, ())


def test_number_not_in_quote() -> None:
    a = _answer([("TOWER", [("OS", "median OS was 7.9 months", 1)])], [_cite(1, TOWER, "TOWER")])
    check = _one(a)
    assert check.correct is False
    assert check.reasons == ("numbers not in quote [1]: 7.9",)


def test_wrong_study() -> None:
    # the TOWER row cites E1910's quote: its numbers are there, but it is not about TOWER
    a = _answer([("TOWER", [("OS", "3-year OS was 85%", 1)])], [_cite(1, E1910, "E1910")])
    check = _one(a)
    assert check.correct is False
    assert check.reasons == ("quote [1] is not about TOWER (trial E1910)",)


def test_study_named_in_quote_or_trial_of_document() -> None:
    cite = _cite(1, "Median OS was 7.7 months.", "TOWER")
    assert row_named("TOWER", cite, cite["quote"], ["TOWER"])  # the document's trial
    other = _cite(2, "Unlike E1910, TOWER reported 7.7 months.", "E1910")
    assert row_named("TOWER", other, other["quote"], ["E1910"])  # named in the quote


def test_report_and_time_point_rows() -> None:
    nejm = _cite(1, "3-year DFS was 96.0%.", "AALL1731", NEJM_REF)
    assert row_named("N Engl J Med, Dec 2024", nejm, nejm["quote"], ["AALL1731"])
    assert not row_named("ASH 2025 Annual Meeting, abstract 758, Dec 2025", nejm, "", [])
    assert row_named("4-year", nejm, "After 4 years, 94.8% were free of leukemia.", [])
    assert not row_named("4-year", nejm, nejm["quote"], [])


def test_wrong_outcome() -> None:
    a = _answer([("TOWER", [("DFS", "median OS was 7.7 months", 1)])], [_cite(1, TOWER, "TOWER")])
    check = _one(a)
    assert check.correct is False
    assert check.reasons == ("quote [1] does not name DFS",)


def test_outcome_short_or_long_form() -> None:
    assert outcome_named("DFS", "Disease-free survival was 94.8%.", VOCAB)
    assert outcome_named("OS", "overall survival was 85%", VOCAB)  # profile abbreviation
    passage = "Event-free survival (EFS) was the primary end point. EFS was 80%."
    assert outcome_named("EFS", "event-free survival was 80%", VOCAB, passage)  # passage pair
    assert not outcome_named("EFS", "event-free survival was 80%", VOCAB)
    # the "Result" column names no outcome: only rules (a) and (b)
    a = _answer([("TOWER", [("Result", "median OS was 7.7 months", 1)])],
                [_cite(1, TOWER, "TOWER")])  # fmt: skip
    assert _one(a).correct is True


def test_not_reported_cell() -> None:
    cites = [_cite(1, TOWER, "TOWER"), _cite(2, E1910, "E1910")]
    right = _answer([("TOWER", [("DFS", "not reported", None)])], cites)
    check = _one(right)
    assert (check.kind, check.correct) == ("not-reported", True)
    # E1910's cited passage states OS with a figure: "not reported" is contradicted
    wrong = _answer([("E1910", [("OS", "not reported", None)])], cites)
    check = _one(wrong)
    assert (check.kind, check.correct) == ("not-reported", False)
    assert check.reasons[0].startswith("contradicted by [2] In E1910, 3-year OS")


def test_cell_without_citation_and_text_and_population_cells() -> None:
    a = _answer([("TOWER", [("OS", "median OS was 7.7 months", None),
                            ("CRS", "CRS occurred in none of the patients", 1),
                            ("Population", "adults, relapsed/refractory", 1)])],
                [_cite(1, TOWER, "TOWER")])  # fmt: skip
    fig, text = check_answer(a, VOCAB)
    assert (fig.correct, fig.reasons) == (False, ("cites nothing",))
    assert (text.kind, text.correct) == ("text", None)
    assert not has_figure("grade ≥ 3 CRS was rare") and has_figure("CRS in 4.9%")


def test_summary_counts_and_failures() -> None:
    good = _answer([("TOWER", [("OS", "median OS was 7.7 months", 1)]),
                    ("E1910", [("OS", "3-year OS was 85%", 2), ("DFS", "not reported", None)])],
                   [_cite(1, TOWER, "TOWER"), _cite(2, E1910, "E1910")])  # fmt: skip
    bad = _answer([("TOWER", [("OS", "median OS was 9 months", 1)])], [_cite(1, TOWER, "TOWER")])
    plain = {"abstained": False, "citations": [], "table": None}
    s = cell_summary(
        [("q1", "comparison", good), ("q2", "figures", bad), ("q3", "x", plain)], VOCAB
    )
    assert (s["answers_with_table"], s["figure_cells"], s["correct_cells"]) == (2, 3, 2)
    assert s["cell_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["not_reported_cells"] == 1 and s["not_reported_contradicted"] == 0
    assert s["by_category"]["comparison"]["cell_accuracy"] == 1.0
    assert [(f["id"], f["row"]) for f in s["failures"]] == [("q2", "TOWER")]


def test_profile_vocab() -> None:
    from rag.compare import RESULT

    v = vocab_of("ball-blinatumomab")
    assert v.result_column == RESULT
    assert outcome_named("CIR", "the cumulative incidence of relapse was 4.4%", v)
    assert outcome_named("Complete remission", "CR was reached by 34%", v)
