"""Pure parts of the chat's new features: the conversation store (owner isolation, retention,
exact round trip of answers), the Markdown export, marker links, spans, metadata overrides."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from citeqa.answer import (
    AbstainReason,
    Answer,
    Audience,
    Citation,
    Notice,
    QueryView,
    SideValue,
    SlotValue,
    TableOut,
    TableRow,
)
from citeqa.errors import UploadError
from citeqa.models import Filters, Metadata
from rag.library import MetadataChange, Overrides
from tests.ui_fakes import DFS_CITES, DFS_TEXT
from ui.answer_view import group_by_document, understood_lines
from ui.components import answer_markdown, citation_spans, page_of
from ui.conversations import ConversationStore, StoredTurn, new_id, owner_of, title_of
from ui.export import ExportTurn, answer_markdown_export, conversation_markdown

A, B = owner_of("a" * 40), owner_of("b" * 40)


def full_answer() -> Answer:
    return Answer(
        "wat was 4y dfs", Audience.FAMILY, DFS_TEXT, False,
        citations=DFS_CITES,
        notices=(Notice("abstract-only", "Source [1] is an abstract.", (1,)),),
        query=QueryView("wat was 4y dfs", "What was the 4-year DFS?", "", ("4-year DFS",),
                        ("followup",), (SlotValue("outcome", "DFS"),)),
        table=TableOut(("DFS",), (TableRow("blinatumomab", (SideValue("blina", "DFS", "94.8%", 1),)),)),
        evidence_summary="One abstract and one article.",
        readability={"fk_grade": 6.5},
        timings_ms={"total": 12.0},
    )  # fmt: skip


def turn(ans: Answer, tid: str = "t1") -> StoredTurn:
    f = Filters(doc_types=("journal-article",), year_min=2020)
    return StoredTurn(tid, ans.question, "family", f, ("earlier?",), ans, 1.0, {"n": 2})


def test_round_trip_keeps_the_whole_answer(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "c.sqlite3")
    cid = s.create(A, "wat was 4y dfs")
    assert s.add_turn(A, cid, turn(full_answer()))
    [back] = s.turns(A, cid) or []
    assert back == turn(full_answer())


def test_other_owner_can_do_nothing(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "c.sqlite3")
    cid = s.create(A, "question")
    assert s.turns(B, cid) is None and not s.owns(B, cid) and s.title(B, cid) is None
    assert not s.add_turn(B, cid, turn(full_answer()))
    assert not s.rename(B, cid, "mine now") and not s.delete(B, cid)
    assert s.delete_all(B) == 0 and s.list_for(B) == []
    assert [c.id for c in s.list_for(A)] == [cid] and s.title(A, cid) == "question"
    assert s.turns(A, cid) == []


def test_ids_are_unguessable_and_owners_are_hashes() -> None:
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000 and all(len(i) >= 22 for i in ids)
    assert A != "a" * 40 and len(A) == 64


def test_rename_delete_and_retention(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "c.sqlite3")
    old, new = s.create(A, "old"), s.create(A, "new")
    assert s.rename(A, new, "  Renamed \n title ") and s.title(A, new) == "Renamed title"
    assert not s.rename(A, new, "   ")
    now = time.time()
    assert s.purge(0, now=now + 10**9) == 0  # 0 days: kept forever
    s.add_turn(A, new, turn(full_answer()))  # touches `new`
    assert s.purge(30, now=now + 29 * 86400) == 0
    assert s.purge(30, now=now + 31 * 86400) == 2
    assert s.list_for(A) == []
    assert s.turns(A, old) is None


def test_delete_removes_turns(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "c.sqlite3")
    cid = s.create(A, "q")
    s.add_turn(A, cid, turn(full_answer()))
    assert s.delete(A, cid)
    import sqlite3

    with sqlite3.connect(s.path) as db:
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0


def test_title_is_one_shortened_line() -> None:
    assert title_of("a\nb   c") == "a b c"
    long = title_of("word " * 50)
    assert len(long) == 80 and long.endswith("…")


# -- export ---------------------------------------------------------------------------------------
def test_export_has_numbered_vancouver_references_links_and_quotes() -> None:
    md = answer_markdown_export(full_answer(), "wat was 4y dfs")
    assert md.startswith("**Question**\n\n> wat was 4y dfs\n")
    assert "*Searched for:* What was the 4-year DFS?" in md
    for c in DFS_CITES:
        assert f"{c.n}. {c.reference} ({c.locator})" in md
        assert f'Quoted: "{c.quote}"' in md
    assert md.count("PubMed: <https://pubmed.ncbi.nlm.nih.gov/39651791/>") == 1
    assert "*Note:* Source [1] is an abstract." in md


def test_export_drops_unsafe_links_and_names_the_abstention() -> None:
    bad = DFS_CITES[0].__class__(**{**_fields(DFS_CITES[0]), "url": "javascript:alert(1)"})
    ans = Answer(
        "q", Audience.CLINICIAN, "Not answered.", True, nearest=(bad,),
        abstain_reason=AbstainReason("no-passage", "Nothing in the sources."),
    )  # fmt: skip
    md = conversation_markdown("My  chat", [ExportTurn("q", ans)], when=0)
    assert md.startswith("# My chat\n") and "javascript" not in md
    assert "No answer in the indexed sources" in md and "*Why:* Nothing in the sources." in md
    assert "**References**" not in md  # nearest passages are not references


def _fields(c: Citation) -> dict[str, object]:
    return {f: getattr(c, f) for f in c.__dataclass_fields__}


# -- display helpers ---------------------------------------------------------------------------------
def test_marker_links_and_plain_markers() -> None:
    assert answer_markdown("x [1, 2].", "t1") == "x **\\[[1](#cite-t1-1), [2](#cite-t1-2)\\]**\\."
    assert answer_markdown("x [1].") == "x **\\[1\\]**\\."


def test_citation_spans_prefer_the_answer_and_fall_back_to_the_text() -> None:
    c = DFS_CITES[0]
    assert citation_spans(c) == [c.quote_spans[0]]
    broken = Citation(**{**_fields(c), "quote_spans": ((5, 10_000),)})  # type: ignore[arg-type]
    a, b = citation_spans(broken)[0]
    assert broken.passage[a:b] == c.quote


def test_page_of_locator() -> None:
    assert page_of("p. 3, Results") == 3 and page_of("p.12") == 12
    assert page_of("p. 2 (OCR), Results") == 2
    assert page_of("Results") is None and page_of("") is None


def test_grouping_and_understood_lines() -> None:
    groups = group_by_document(DFS_CITES)
    assert [[c.n for c in g] for g in groups] == [[1, 3], [2], [4]]
    q = QueryView("and the control arm?", "control arm 4-year DFS", "What about the control arm?")
    assert understood_lines(q, q.text) == [
        "Read as: *What about the control arm?*",
        "Searched for: *control arm 4\\-year DFS*",
    ]
    assert understood_lines(QueryView("Same Text", "same  text"), "Same Text") == []
    assert understood_lines(None, "x") == []


# -- metadata overrides -----------------------------------------------------------------------------
def test_overrides_apply_per_document_over_per_file(tmp_path: Path) -> None:
    o = Overrides(tmp_path / "o.json")
    o.set_file("paper.pdf", MetadataChange(doc_type="conference-abstract", year=2023))
    o.set_document("d1", MetadataChange(year=2024, trial=" AALL 1731 "))
    o.save()
    o2 = Overrides(tmp_path / "o.json")
    m = o2.apply("/x/uploads/paper.pdf", Metadata("d1", doc_type="other", year=2000))
    assert (m.doc_type, m.year, m.trial) == ("conference-abstract", 2024, "AALL 1731")
    other = Metadata("d2", year=1999)
    assert o2.apply("/x/elsewhere.md", other) is other
    with pytest.raises(UploadError):
        o2.set_document("d1", MetadataChange(trial="x" * 61))
