"""Feedback storage (SQLite) and its export as an evaluation question file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from citeqa.answer import Answer, Citation
from citeqa.settings import get_settings
from evals.feedback_export import quoted_numbers, to_question
from ui.feedback import FILENAME, FeedbackStore, record_for


def cite(n: int, doc_id: str, chunk_id: str) -> Citation:
    return Citation(n, chunk_id, doc_id, "T", "Ref", "journal-article", "Results", "q", "p")


def answered(question: str = "What was the 4-year DFS?", audience: str = "clinician") -> Answer:
    return Answer(
        question,
        audience,
        "4-year DFS was 94.8% [1] versus 86.9% in 1,444 children [2]. AALL1731 too [1].",
        False,
        citations=[cite(1, "nejm2025", "c1"), cite(2, "ash2025", "c2"), cite(3, "nejm2025", "c3")],
        readability={"fk_grade": 12.3},
    )


def abstained(question: str = "Capital of France?") -> Answer:
    return Answer(
        question,
        "family",
        "The indexed literature does not answer this question.",
        True,
        nearest=[cite(1, "x", "cx")],
        readability={"fk_grade": 8.2},
    )


def test_store_creates_table_and_round_trips(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "sub" / FILENAME)
    assert store.all() == []
    rec = record_for("t1", answered(), 1, " clear ", {"settings": {"index_dir": "x"}})
    store.add(rec)
    [got] = FeedbackStore(tmp_path / "sub" / FILENAME).all()
    assert got.question == "What was the 4-year DFS?" and got.audience == "clinician"
    assert got.rating == 1 and got.comment == "clear" and not got.abstained
    assert got.chunk_ids == ["c1", "c2", "c3"] and got.doc_ids == ["nejm2025", "ash2025"]
    assert got.settings == {"settings": {"index_dir": "x"}}
    assert got.answer.startswith("4-year DFS") and got.reading_grade == 12.3


def test_add_same_id_updates_rating_and_comment(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / FILENAME)
    store.add(record_for("t1", answered(), 1))
    first = store.all()[0]
    store.add(record_for("t1", answered(), 0, "wrong trial"))
    [got] = store.all()
    assert got.rating == 0 and got.comment == "wrong trial"
    assert got.updated >= first.updated


def test_table_is_plain_sqlite_with_json_settings(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    FeedbackStore(path).add(record_for("t1", answered(), 1, settings={"a": [1, 2]}))
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT question, audience, chunk_ids, settings FROM feedback").fetchone()
    assert row[0] == "What was the 4-year DFS?" and row[1] == "clinician"
    assert json.loads(row[2]) == ["c1", "c2", "c3"] and json.loads(row[3]) == {"a": [1, 2]}


def test_store_for_settings_uses_data_dir(tmp_path: Path) -> None:
    s = get_settings(data_dir=tmp_path / "data")
    FeedbackStore.for_settings(s).add(record_for("t", answered(), 1))
    assert (tmp_path / "data" / "feedback.sqlite3").is_file()


def test_quoted_numbers_skip_markers_and_identifiers() -> None:
    text = "4-year DFS was 94.8% [1] versus 86.9% in 1,444 children in AALL1731 [2]."
    assert quoted_numbers(text) == ["4", "94.8%", "86.9%", "1,444"]


def test_thumbs_up_becomes_an_expectation() -> None:
    q = to_question(record_for("t1", answered(), 1), family_target=8.0)
    assert q["id"] == "feedback-t1" and q["audience"] == "clinician"
    assert q["question"] == "What was the 4-year DFS?"
    e = q["expect"]
    assert e["sources"] == ["nejm2025", "ash2025"] and e["abstain"] is False
    assert e["facts"] == ["4", "94.8%", "86.9%", "1,444"]
    assert e["max_grade"] == 30.0 and "review" not in e


def test_thumbs_up_family_grade_and_abstention() -> None:
    q = to_question(record_for("t2", abstained(), 1), family_target=8.0)
    e = q["expect"]
    assert e == {"facts": [], "sources": [], "abstain": True, "max_grade": 9.0}
    fam = answered(audience="family").replace(readability={"fk_grade": 6.1})
    assert to_question(record_for("t3", fam, 1), family_target=8.0)["expect"]["max_grade"] == 8.0


def test_thumbs_down_is_marked_for_review() -> None:
    q = to_question(record_for("t1", answered(), 0, "wrong numbers"), family_target=8.0)
    e = q["expect"]
    assert e["review"] is True and e["facts"] == [] and e["sources"] == []
    assert e["rejected"]["sources"] == ["nejm2025", "ash2025"]
    assert e["rejected"]["comment"] == "wrong numbers" and e["rejected"]["abstained"] is False


def test_export_writes_jsonl_of_rated_answers(tmp_path: Path) -> None:
    from evals.feedback_export import export_feedback

    s = get_settings(data_dir=tmp_path)
    store = FeedbackStore.for_settings(s)
    store.add(record_for("a", answered(), 1))
    store.add(record_for("b", abstained(), 0, "should answer"))
    store.add(record_for("c", answered("Unrated?"), None, "just a comment"))
    out = tmp_path / "out" / "feedback.jsonl"
    assert export_feedback(s, out) == 2
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["feedback-a", "feedback-b"]
    for x in lines:
        assert set(x) == {"id", "question", "audience", "expect"}
        assert x["audience"] in ("clinician", "family")
        assert set(x["expect"]) >= {"facts", "sources", "abstain", "max_grade"}
        assert all(isinstance(f, str) for f in x["expect"]["facts"])
    assert lines[1]["expect"]["review"] is True


def test_export_keeps_the_latest_rating_of_a_repeated_question(tmp_path: Path) -> None:
    from evals.feedback_export import export_feedback

    s = get_settings(data_dir=tmp_path)
    store = FeedbackStore.for_settings(s)
    store.add(record_for("old", answered(), 0))
    store.add(record_for("new", answered("what was the 4-year  DFS?"), 1))
    store.add(record_for("fam", answered(audience="family"), 1))
    out = tmp_path / "q.jsonl"
    assert export_feedback(s, out) == 2
    ids = [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["feedback-new", "feedback-fam"]


def test_export_empty_store_writes_empty_file(tmp_path: Path) -> None:
    from evals.feedback_export import export_feedback

    out = tmp_path / "empty.jsonl"
    assert export_feedback(get_settings(data_dir=tmp_path), out) == 0
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.slow
def test_cli_feedback_export(tmp_path: Path) -> None:
    from tests.helpers import citeqa

    FeedbackStore(tmp_path / FILENAME).add(record_for("a", answered(), 1))
    out = tmp_path / "exported.jsonl"
    r = citeqa("feedback", "export", str(out), env={"CITEQA_DATA_DIR": str(tmp_path)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "wrote 1 questions" in r.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["expect"]["sources"] == [
        "nejm2025",
        "ash2025",
    ]
