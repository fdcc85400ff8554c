"""The chat's display of answers and its conversations, driven by AppTest on hand-made answers
(tests/ui_fakes.py: no index, no models; each test runs in well under a second per step)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import ui_fakes
from tests.ui_fakes import (
    DYM,
    DYM_Q,
    FILTER_Q,
    FOLLOW_Q,
    REASON,
    RESOLVED,
    SEARCHED,
    TYPO_Q,
    fake_build,
)
from tests.ui_support import ask, turns
from ui.conversations import FILENAME, ConversationStore, owner_of

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "ui" / "app.py")
TOKEN_A = "a" * 40
TOKEN_B = "b" * 40


@pytest.fixture(autouse=True)
def fake_pipeline(monkeypatch: pytest.MonkeyPatch, isolated_data: Path) -> Iterator[None]:
    monkeypatch.setattr("ui.components.build_pipeline", fake_build)
    ui_fakes._FAKES.clear()
    yield


def new_app(token: str = TOKEN_A, conversation: str | None = None) -> AppTest:
    """A fresh browser session of the browser ``token`` (the chat server's cookie)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["citeqa_browser_token"] = token
    if conversation is not None:
        at.query_params["c"] = conversation
    at.run()
    assert not at.exception, at.exception
    return at


def captions(at: AppTest) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption]


def store(data: Path) -> ConversationStore:
    return ConversationStore(data / FILENAME)


# -- what was understood --------------------------------------------------------------------------
def test_searched_for_is_shown_only_when_it_differs() -> None:
    at = ask(new_app(), TYPO_Q)
    assert any(c == f"Searched for: *{SEARCHED}*" for c in captions(at)), captions(at)
    at = ask(new_app(), FILTER_Q)  # understood as typed: nothing extra
    assert not any(c.startswith("Searched for") for c in captions(at))


def test_follow_up_shows_how_it_was_read() -> None:
    at = ask(ask(new_app(), FILTER_Q), FOLLOW_Q)
    assert any(c == f"Read as: *{RESOLVED}*" for c in captions(at))
    assert turns(at)[1].history == (FILTER_Q,)


def test_did_you_mean_asks_the_suggestion() -> None:
    at = ask(new_app(), DYM_Q)
    [turn] = turns(at)
    assert turn.answer.abstained
    assert any(
        "The question names nothing indexed." in m.value.replace("\\", "") for m in at.markdown
    )
    button = at.button(key=f"dym-{turn.id}-0")
    assert button.label == DYM
    button.click()
    at.run()
    assert [t.question for t in turns(at)] == [DYM_Q, DYM]


def test_markers_link_to_grouped_source_cards() -> None:
    at = ask(new_app(), FILTER_Q)
    [turn] = turns(at)
    body = next(m.value for m in at.markdown if "94" in m.value)
    for n in (1, 2, 3, 4):
        assert f"[{n}](#cite-{turn.id}-{n})" in body
    keys = sorted(
        str(b.key) for b in at.main if str(getattr(b, "key", "")).startswith("source-card-")
    )
    # [1] and [3] quote the same abstract: one card for it, one per other document
    assert keys == [f"source-card-{turn.id}-{n}" for n in (1, 2, 4)]
    card = at.get_by_key(f"source-card-{turn.id}-1")
    assert card.markdown[0].value == "**\\[1\\] \\[3\\]**"
    quotes = [h.proto.body for h in card.html if "citeqa-quote" in h.proto.body]
    assert len(quotes) == 2
    assert all(f'id="cite-{turn.id}-{n}"' in q for q, n in zip(quotes, (1, 3), strict=True))
    pdf = at.get_by_key(f"source-card-{turn.id}-4").link_button
    assert [(b.label, b.proto.url) for b in pdf] == [
        ("Open the PDF at page 1", "/citeqa/source/tiny-pdf-report#page=1")
    ]


def test_passage_highlight_uses_the_answer_spans() -> None:
    at = ask(new_app(), FILTER_Q)
    [turn] = turns(at)
    c = turn.answer.citations[1]
    a, b = c.quote_spans[0]
    marked = f"<mark>{c.passage[a:b]}</mark>"
    card = at.get_by_key(f"source-card-{turn.id}-2")
    assert any(marked in h.proto.body for h in card.html)


# -- filters explained ------------------------------------------------------------------------------
def test_filters_that_exclude_the_answer_are_explained_with_a_retry() -> None:
    at = new_app()
    at.multiselect(key="f_types").set_value(["drug-label"])
    at.run()
    ask(at, FILTER_Q)
    [turn] = turns(at)
    assert turn.answer.abstained and turn.filters.doc_types == ("drug-label",)
    assert any(REASON in m.value.replace("\\", "") for m in at.markdown)
    # the abstract and the article answer; the drug label (inside the filters) does not count
    assert turn.extra["outside_filters"] == 2
    assert any(
        i.value.replace("\\", "") == "2 sources outside your filters answer this question."
        for i in at.info
    )
    at.button(key=f"unfiltered-{turn.id}").click()
    at.run()
    _first, second = turns(at)
    assert second.question == FILTER_Q and second.filters.is_empty()
    assert not second.answer.abstained
    assert at.multiselect(key="f_types").value == []


def test_no_filters_no_second_answer() -> None:
    at = ask(new_app(), DYM_Q)  # abstains, but no filter was set
    [turn] = turns(at)
    assert turn.extra["outside_filters"] == 0
    assert [q for q, _ in fake_build().calls] == [DYM_Q]


# -- long input ------------------------------------------------------------------------------------
def test_long_message_up_to_the_limit_is_answered_and_longer_is_refused() -> None:
    context = "My daughter is four and started treatment last spring. " * 160
    long_q = (context + FILTER_Q)[-8000:]
    assert len(long_q) == 8000 and long_q.endswith(FILTER_Q)
    at = ask(new_app(), long_q)
    assert [t.question for t in turns(at)] == [long_q.strip()]
    at = ask(new_app(), "x" + long_q)
    assert turns(at) == []
    assert any("8,001 characters" in e.value and "8,000" in e.value for e in at.error)


# -- conversations -----------------------------------------------------------------------------------
def test_reload_keeps_the_conversation_and_the_audience(isolated_data: Path) -> None:
    at = new_app()
    at.segmented_control(key="audience").set_value("family")
    at.run()
    ask(at, FILTER_Q)
    cid = at.query_params["c"]
    assert cid and len(cid) >= 20
    again = new_app(conversation=cid)  # a reload: a new session, same browser, same URL
    assert [t.question for t in turns(again)] == [FILTER_Q]
    assert again.session_state["audience"] == "family"
    assert turns(again)[0].answer == turns(at)[0].answer
    listed = [b.label for b in again.sidebar.button if str(b.key).startswith("conv-")]
    assert listed == [FILTER_Q]


def test_another_browser_never_sees_a_conversation(isolated_data: Path) -> None:
    at = ask(new_app(TOKEN_A), FILTER_Q)
    cid = at.query_params["c"]
    other = new_app(TOKEN_B, conversation=cid)  # the URL was shared, the browser differs
    assert turns(other) == []
    assert "c" not in other.query_params
    assert any("not available" in i.value for i in other.info)
    assert not [b for b in other.sidebar.button if str(b.key).startswith("conv-")]
    assert store(isolated_data).list_for(owner_of(TOKEN_B)) == []


def test_rename_delete_and_delete_all(isolated_data: Path) -> None:
    at = ask(new_app(), FILTER_Q)
    cid = at.query_params["c"]
    at.text_input(key="conv-title").set_value("AALL1731 figures")
    at.run()
    [info] = store(isolated_data).list_for(owner_of(TOKEN_A))
    assert info.title == "AALL1731 figures" and info.turns == 1
    at.button(key="delete-conversation").click()
    at.run()
    assert store(isolated_data).turns(owner_of(TOKEN_A), cid) is None
    assert turns(at) == [] and "c" not in at.query_params
    ask(at, FILTER_Q)
    at.button(key="new-conversation").click()
    at.run()
    ask(at, TYPO_Q)
    assert len(store(isolated_data).list_for(owner_of(TOKEN_A))) == 2
    other = ask(new_app(TOKEN_B), FILTER_Q)
    at.button(key="delete-all").click()
    at.run()
    assert store(isolated_data).list_for(owner_of(TOKEN_A)) == []
    assert len(store(isolated_data).list_for(owner_of(TOKEN_B))) == 1, "only this browser's"
    assert turns(other)


def test_export_has_vancouver_references_with_links() -> None:
    at = ask(new_app(), FILTER_Q)
    [button] = [b for b in at.get("download_button") if b.proto.id and "export" in b.proto.id]
    assert button.proto.label == "Export"
    md = export_text(at)
    assert "## 1." in md and FILTER_Q in md
    assert "**References**" in md
    assert "2. Author A, Author B. Blinatumomab added to chemotherapy" in md
    assert "PubMed: <https://pubmed.ncbi.nlm.nih.gov/39651791/>" in md


def export_text(at: AppTest) -> str:
    from ui.export import ExportTurn, conversation_markdown

    return conversation_markdown("t", [ExportTurn(t.question, t.answer) for t in turns(at)])


def test_storage_off_keeps_nothing(monkeypatch: pytest.MonkeyPatch, isolated_data: Path) -> None:
    monkeypatch.setenv("CITEQA_CHAT__STORE_CONVERSATIONS", "false")
    at = ask(new_app(), FILTER_Q)
    assert turns(at) and "c" not in at.query_params
    assert not (isolated_data / FILENAME).exists()
    assert any("not stored" in c for c in captions(at))


def test_no_question_text_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "my son Theodore has a fever of 39.2 after cycle two, what was the 4-year DFS?"
    with caplog.at_level(logging.DEBUG):
        ask(new_app(), secret)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Theodore" not in logged
