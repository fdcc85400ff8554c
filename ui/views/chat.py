"""The chat page: questions, streamed answers with numbered source cards, feedback.

A conversation is stored turn by turn (``ui.sessions``) and its id goes into the URL, so a
reload shows it again, for this browser only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

import streamlit as st

from citeqa.answer import Answer, Citation
from citeqa.models import Filters
from citeqa.settings import Settings
from ui import sessions
from ui.answer_view import SourceFiles, render_answer, render_understood
from ui.chat_sidebar import (
    audience,
    clear_filters,
    current_filters,
    keep,
    sidebar,
    texts,
)
from ui.components import current_settings, escape_markdown, indexed_documents, load_pipeline
from ui.export import answer_markdown_export
from ui.feedback import FeedbackStore, record_for
from ui.state import ChatState, Pending, Turn
from ui.widgets import copy_button, input_counter

AVATARS = {"user": ":material/person:", "assistant": ":material/local_library:"}
RUN_WAIT_S = 180.0  # how long a run waits for a previous run of the same session
TOO_LONG = "citeqa_too_long"
SOURCE_ROUTE = "/citeqa/source/"


def chat() -> ChatState:
    return ChatState(st.session_state)  # type: ignore[arg-type]  # a MutableMapping at run time


# -- callbacks (run before the script, in the session's thread) ----------------------------------
def submit(question: str, filters: Filters | None = None) -> None:
    limit = current_settings().server.max_question_chars
    if len(question) > limit:
        st.session_state[TOO_LONG] = (
            f"Your message has {len(question):,} characters; citeqa reads messages up to "
            f"{limit:,} characters. Please shorten it (keep the question itself) and send it "
            "again."
        )
        return
    st.session_state.pop(TOO_LONG, None)
    chat().submit(question, audience(), current_filters() if filters is None else filters)


def on_prompt() -> None:
    submit(st.session_state.get("prompt") or "")


def on_example(question: str) -> None:
    submit(question)


def ask_without_filters(question: str) -> None:
    clear_filters()
    submit(question, Filters())


def save_feedback(turn_id: str) -> None:
    turn = chat().find(turn_id)
    if turn is None:
        return
    rating = st.session_state.get(f"fb-{turn_id}")
    turn.rating = rating if rating in (0, 1) else None
    turn.comment = str(st.session_state.get(f"fbc-{turn_id}") or "").strip()
    settings = current_settings()
    payload: dict[str, Any] = {
        "settings": settings.model_dump(mode="json"),
        "filters": asdict(turn.filters),
        "history": list(turn.history),
    }
    rec = record_for(turn.id, turn.answer, turn.rating, turn.comment, payload)
    FeedbackStore.for_settings(settings).add(rec)
    st.toast("Thank you. Feedback is saved on this computer only.", icon=":material/check:")


# -- rendering ------------------------------------------------------------------------------------
def source_files(settings: Settings) -> SourceFiles:
    """The indexed documents whose file is a PDF, with the chat server's URL that opens it."""
    try:
        docs = indexed_documents(settings)
    except Exception:
        return SourceFiles({})
    return SourceFiles(
        {
            str(d["doc_id"]): SOURCE_ROUTE + quote(str(d["doc_id"]), safe="")
            for d in docs
            if str(d.get("path") or d.get("source") or "").lower().endswith(".pdf")
        }
    )


def filters_note(turn: Turn) -> None:
    """'N sources outside your filters answer this', with a button to ask without them."""
    n = int(turn.extra.get("outside_filters") or 0)
    if n <= 0:
        return
    word = "source" if n == 1 else "sources"
    verb = "answers" if n == 1 else "answer"
    offer(
        f"filters-note-{turn.id}",
        f"{n} {word} outside your filters {verb} this question.",
        ":material/filter_alt_off:",
        ("Ask again without filters", f"unfiltered-{turn.id}", ":material/refresh:"),
        lambda: ask_without_filters(turn.question),
    )


def ask_as_family(question: str) -> None:
    """Switch the chat to family mode (kept in the URL) and ask ``question`` again."""
    st.session_state["audience"] = "family"
    keep("audience")
    submit(question)


def family_offer(turn: Turn) -> None:
    """Under a caregiver's message answered for clinicians: offer family mode. (Safety never
    depends on it: urgent and dosing guidance follow the message in either mode.)"""
    q = turn.answer.query
    if turn.audience != "clinician" or q is None or "caregiver" not in q.flags:
        return
    offer(
        f"family-offer-{turn.id}",
        texts(current_settings()).family_offer,
        ":material/family_restroom:",
        ("Answer in family mode", f"as-family-{turn.id}", ":material/family_restroom:"),
        lambda: ask_as_family(turn.question),
    )


def offer(
    key: str, text: str, icon: str, button: tuple[str, str, str], on_click: Callable[[], None]
) -> None:
    """An info line under an answer with one button: ``button`` is (label, key, icon)."""
    label, button_key, button_icon = button
    with st.container(key=key):
        st.info(text, icon=icon)
        st.button(label, key=button_key, icon=button_icon, on_click=on_click)


def note(turn: Turn) -> Callable[[], None]:
    def render() -> None:
        filters_note(turn)
        family_offer(turn)

    return render


def extras(turn: Turn) -> Callable[[], None]:
    def render() -> None:
        with st.container(horizontal=True, vertical_alignment="center", key=f"feedback-{turn.id}"):
            copy_button(answer_markdown_export(turn.answer, turn.question), key=f"copy-{turn.id}")
            st.caption("Was this helpful?", width="content")
            st.feedback("thumbs", key=f"fb-{turn.id}", on_change=save_feedback, args=(turn.id,))
            st.text_input(
                "Comment",
                key=f"fbc-{turn.id}",
                placeholder="Optional comment, then press Enter",
                label_visibility="collapsed",
                on_change=save_feedback,
                args=(turn.id,),
                max_chars=1000,
            )

    return render


def show_question(question: str, ans: Answer | None = None, prefix: str = "") -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))
        render_understood(ans, question, prefix, on_example)


def show_turn(turn: Turn, files: SourceFiles) -> None:
    show_question(turn.question, turn.answer, turn.id)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        render_answer(turn.answer, turn.id, extras=extras(turn), files=files, after_body=note(turn))


def live_writer(slot: Any) -> Callable[[str], None]:
    """on_token for generative mode: the answer grows in ``slot`` as tokens arrive."""
    parts: list[str] = []

    def on_token(token: str) -> None:
        parts.append(token)
        slot.markdown(escape_markdown("".join(parts)) + " ▌")

    return on_token


def excluded(c: Citation, f: Filters, years: dict[str, Any]) -> bool:
    """Would filters ``f`` leave out the document of citation ``c``?"""
    y = years.get(c.doc_id)
    return bool(
        (f.doc_types and c.doc_type not in f.doc_types)
        or (f.year_min is not None and (not isinstance(y, int) or y < f.year_min))
        or (f.year_max is not None and (not isinstance(y, int) or y > f.year_max))
        or (f.trial and c.trial != f.trial)
    )


def outside_filters(settings: Settings, p: Pending, history: tuple[str, ...], ans: Answer) -> int:
    """When filters made the answer abstain: how many documents outside them would answer
    (the question is answered once more without filters)."""
    if not ans.abstained or p.filters.is_empty():
        return 0
    free = load_pipeline(settings).answer(p.question, p.audience, history, Filters(), None)
    if free.abstained:
        return 0
    years = {str(d.get("doc_id")): d.get("year") for d in indexed_documents(settings)}
    return len({c.doc_id for c in free.citations if excluded(c, p.filters, years)})


def answer_pending(state: ChatState, p: Pending, settings: Settings, files: SourceFiles) -> bool:
    """Answer one queued question; True when it started a stored conversation."""
    history = state.history()
    slot = st.empty()
    with slot.container():
        show_question(p.question)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        live = st.empty()
        on_token = live_writer(live) if settings.llm.provider != "none" else None
        try:
            with st.spinner("Searching the indexed literature…", show_time=True):
                ans: Answer = load_pipeline(settings).answer(
                    p.question, p.audience, history, p.filters, on_token
                )
                extra = {"outside_filters": outside_filters(settings, p, history, ans)}
        except Exception as exc:  # the store or a model failed: say so, keep the chat usable
            state.drop(p)
            st.error(f"citeqa could not answer: {exc}", icon=":material/error:")
            return False
        turn = state.commit(p, ans, history)
        live.empty()
        if turn is None:
            return False
        turn.extra.update(extra)
        created = sessions.persist(turn, settings)
        with slot.container():
            show_question(p.question, ans, turn.id)
        # words stream in, unless the tokens already did (generative mode)
        render_answer(
            ans,
            turn.id,
            stream=on_token is None,
            extras=extras(turn),
            files=files,
            after_body=note(turn),
        )
    return created


def process_queue(state: ChatState, settings: Settings, files: SourceFiles) -> bool:
    """Answer the queued questions in order; each answer is committed with its question.
    True when a stored conversation was started."""
    created = False
    with state.running(timeout=RUN_WAIT_S) as ok:
        if not ok:
            st.info("Still answering the previous question…", icon=":material/hourglass_top:")
            return False
        while (p := state.next_pending()) is not None:
            created = answer_pending(state, p, settings, files) or created
    return created


def welcome(settings: Settings) -> None:
    aud = audience()
    st.markdown(f"#### {texts(settings).ui_title}")
    st.markdown(getattr(texts(settings).intro, aud))
    try:
        docs = indexed_documents(settings)
    except Exception:
        docs = []
    if not docs:
        st.warning(
            "The library is empty. Index the shipped corpus with `citeqa ingest corpus`, "
            "or add files on the Library page.",
            icon=":material/inventory_2:",
        )
        return
    with st.container(horizontal=True, key="welcome-examples"):
        for i, q in enumerate(getattr(texts(settings).examples, aud)[:3]):
            st.button(q, key=f"welcome-{aud}-{i}", on_click=on_example, args=(q,))
    st.caption(texts(settings).not_advice)


def main() -> None:
    settings = current_settings()
    state = chat()
    sessions.sync_from_url(state, settings)
    sidebar(settings, state, on_example)
    with st.bottom:
        input_counter(settings.server.max_question_chars)
    st.chat_input(
        "Ask about childhood B-ALL or blinatumomab…",
        key="prompt",
        on_submit=on_prompt,
        submit_mode="disable",
    )
    notice = st.session_state.pop(sessions.NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/lock:")
    too_long = st.session_state.get(TOO_LONG)
    if too_long:
        st.error(too_long, icon=":material/text_increase:")
    if not state.turns and not state.queue:
        welcome(settings)
    files = source_files(settings)
    for turn in state.turns:
        show_turn(turn, files)
    if process_queue(state, settings, files):
        st.rerun()  # the sidebar lists the new conversation


main()
