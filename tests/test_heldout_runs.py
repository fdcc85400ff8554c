"""The held-out runner (issue P): per-kind aggregates only, each run logged in RUNS.md with its
commit, and a fourth run refused before any question is asked."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from citeqa.settings import Settings
from evals.qbench import run_heldout
from evals.question_sets import aggregates, heldout_entry, logged_runs

SUMMARY = {
    "questions": 3,
    "accuracy": 2 / 3,
    "false_abstention": 0.5,
    "unanswerable_abstention": 1.0,
    "fact_accuracy": 0.5,  # a per-question figure's neighbour: not logged
    "by_category": {
        "figures": {"questions": 2, "accuracy": 0.5, "false_abstention": 0.5},
        "near-miss": {"questions": 1, "accuracy": 1.0, "unanswerable_abstention": 1.0},
    },
}


def test_aggregates_hold_per_kind_figures_only() -> None:
    rows = aggregates(SUMMARY)
    assert list(rows) == ["all", "figures", "near-miss"]
    assert all(
        set(m) == {"questions", "accuracy", "false_abstention", "unanswerable_abstention"}
        for m in rows.values()
    )
    assert rows["near-miss"]["false_abstention"] is None


def test_each_run_is_logged_with_its_number_and_counted(tmp_path: Path) -> None:
    runs = tmp_path / "RUNS.md"
    for n in (1, 2):
        with runs.open("a", encoding="utf-8") as fh:
            fh.write(heldout_entry(n, aggregates(SUMMARY), f"run {n}"))
    text = runs.read_text()
    assert logged_runs(runs) == 2 and "## Run 2 of 3: commit " in text
    assert "| near-miss | 1 | 1.000 | n/a | 1.000 |" in text


def test_a_fourth_run_is_refused_before_any_question_is_asked(tmp_path: Path) -> None:
    runs = tmp_path / "RUNS.md"
    runs.write_text("".join(heldout_entry(n, aggregates(SUMMARY), "x") for n in (1, 2, 3)))
    before = runs.read_text()
    # no question file in the folder: a run that went on would fail on loading it
    with pytest.raises(typer.Exit) as exc:
        run_heldout(tmp_path, Settings(index_dir=tmp_path / "ix"), "a fourth", False)
    assert exc.value.exit_code == 2 and runs.read_text() == before
