"""The chat page: questions, streamed answers with numbered source cards, feedback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import streamlit as st

from citeqa.answer import Answer
from citeqa.domain import Texts
from citeqa.models import Filters
from citeqa.settings import Settings
from rag.format import doc_type_label
from ui.components import (
    current_settings,
    escape_markdown,
    indexed_documents,
    load_pipeline,
    render_answer,
)
from ui.feedback import FeedbackStore, record_for
from ui.state import AUDIENCES, ChatState, Pending, Turn, make_filters

AUDIENCE_NAMES = {"clinician": "Clinician", "family": "Family"}
AVATARS = {"user": ":material/person:", "assistant": ":material/local_library:"}
RUN_WAIT_S = 180.0  # how long a run waits for a previous run of the same session


def keep(key: str) -> None:
    """Remember a sidebar widget's value beyond the page (widget state is dropped when the
    Library page is shown)."""
    st.session_state[f"keep_{key}"] = st.session_state.get(key)


def restore(key: str, fallback: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"keep_{key}", fallback)


def chat() -> ChatState:
    return ChatState(st.session_state)  # type: ignore[arg-type]  # a MutableMapping at run time


def audience() -> str:
    value = st.session_state.get("audience")
    return value if value in AUDIENCES else "clinician"


def current_filters() -> Filters:
    years = st.session_state.get("f_years")
    full = st.session_state.get("f_years_full")
    return make_filters(st.session_state.get("f_types") or [], years, full)


# -- callbacks (run before the script, in the session's thread) ----------------------------------
def on_prompt() -> None:
    chat().submit(st.session_state.get("prompt") or "", audience(), current_filters())


def on_example(question: str) -> None:
    chat().submit(question, audience(), current_filters())


def on_new_conversation() -> None:
    chat().reset()


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
def feedback_row(turn: Turn) -> Callable[[], None]:
    def render() -> None:
        with st.container(horizontal=True, vertical_alignment="center", key=f"feedback-{turn.id}"):
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


def show_question(question: str) -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(escape_markdown(question))


def show_turn(turn: Turn) -> None:
    show_question(turn.question)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        render_answer(turn.answer, turn.id, feedback=feedback_row(turn))


def live_writer(slot: Any) -> Callable[[str], None]:
    """on_token for generative mode: the answer grows in ``slot`` as tokens arrive."""
    parts: list[str] = []

    def on_token(token: str) -> None:
        parts.append(token)
        slot.markdown(escape_markdown("".join(parts)) + " ▌")

    return on_token


def answer_pending(state: ChatState, p: Pending, settings: Settings) -> None:
    history = state.history()
    show_question(p.question)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        live = st.empty()
        on_token = live_writer(live) if settings.llm.provider != "none" else None
        try:
            with st.spinner("Searching the indexed literature…", show_time=True):
                ans: Answer = load_pipeline(settings).answer(
                    p.question, p.audience, history, p.filters, on_token
                )
        except Exception as exc:  # the store or a model failed: say so, keep the chat usable
            state.drop(p)
            st.error(f"citeqa could not answer: {exc}", icon=":material/error:")
            return
        turn = state.commit(p, ans, history)
        live.empty()
        if turn is not None:  # words stream in, unless the tokens already did (generative mode)
            stream = on_token is None
            render_answer(ans, turn.id, stream=stream, feedback=feedback_row(turn))


def process_queue(state: ChatState, settings: Settings) -> None:
    """Answer the queued questions in order; each answer is committed with its question."""
    with state.running(timeout=RUN_WAIT_S) as ok:
        if not ok:
            st.info("Still answering the previous question…", icon=":material/hourglass_top:")
            return
        while (p := state.next_pending()) is not None:
            answer_pending(state, p, settings)


def texts(settings: Settings) -> Texts:
    """The domain profile's texts (intro, examples, the not-advice line)."""
    return load_pipeline(settings).profile.texts


def sidebar(settings: Settings) -> None:
    with st.sidebar:
        st.markdown("### :material/local_library: citeqa")
        st.caption("Answers with sources about childhood B-ALL and blinatumomab.")
        restore("audience", "clinician")
        st.segmented_control(
            "Who is asking?",
            list(AUDIENCES),
            format_func=AUDIENCE_NAMES.__getitem__,
            required=True,
            key="audience",
            on_change=keep,
            args=("audience",),
            width="stretch",
        )
        aud = audience()
        st.markdown("**Try asking**")
        with st.container(key="examples", gap="small"):
            for i, q in enumerate(getattr(texts(settings).examples, aud)):
                st.button(
                    q,
                    key=f"example-{aud}-{i}",
                    on_click=on_example,
                    args=(q,),
                    type="tertiary",
                    icon=":material/chat_bubble:",
                )
        filters_panel(settings)
        st.button(
            "New conversation",
            icon=":material/restart_alt:",
            on_click=on_new_conversation,
            width="stretch",
            key="new-conversation",
        )
        st.caption(texts(settings).not_advice)


def filters_panel(settings: Settings) -> None:
    try:
        docs = indexed_documents(settings)
    except Exception as exc:
        st.error(f"Cannot read the index: {exc}")
        return
    types = sorted({str(d.get("doc_type") or "other") for d in docs})
    years = sorted({int(y) for d in docs if isinstance((y := d.get("year")), int)})
    restore("f_types", [])
    st.session_state["f_types"] = [t for t in st.session_state["f_types"] if t in types]
    with st.expander("Filters", icon=":material/filter_list:", expanded=False):
        st.multiselect(
            "Document types",
            types,
            format_func=doc_type_label,
            placeholder="All document types",
            key="f_types",
            on_change=keep,
            args=("f_types",),
        )
        if len(years) > 1:
            full = (years[0], years[-1])
            if st.session_state.get("f_years_full") != full:
                st.session_state["f_years_full"] = full
                st.session_state["f_years"] = st.session_state["keep_f_years"] = full
            restore("f_years", full)
            st.slider(
                "Publication year",
                full[0],
                full[1],
                key="f_years",
                on_change=keep,
                args=("f_years",),
            )
        else:
            st.session_state["f_years_full"] = None


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
    sidebar(settings)
    st.chat_input(
        "Ask about childhood B-ALL or blinatumomab…",
        key="prompt",
        on_submit=on_prompt,
        submit_mode="disable",
        max_chars=settings.server.max_question_chars,
    )
    if not state.turns and not state.queue:
        welcome(settings)
    for turn in state.turns:
        show_turn(turn)
    process_queue(state, settings)


main()
