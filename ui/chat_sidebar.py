"""The chat's sidebar: audience, this browser's conversations, examples, filters.

On narrow screens Streamlit starts with the sidebar collapsed (``initial_sidebar_state="auto"``);
the welcome text repeats the first examples in the main area, so a phone user never needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from citeqa.domain import Texts
from citeqa.models import Filters
from citeqa.settings import Settings
from rag.format import doc_type_label
from ui import sessions
from ui.components import indexed_documents, load_pipeline
from ui.export import ExportTurn, conversation_markdown
from ui.state import AUDIENCES, ChatState, make_filters

AUDIENCE_NAMES = {"clinician": "Clinician", "family": "Family"}
AUDIENCE_PARAM = "a"
LISTED = 30  # conversations listed in the sidebar


def keep(key: str) -> None:
    """Remember a sidebar widget's value beyond the page (widget state is dropped when the
    Library page is shown); the audience also goes into the URL, so a reload keeps it."""
    st.session_state[f"keep_{key}"] = st.session_state.get(key)
    if key == "audience" and st.session_state.get(key) in AUDIENCES:
        st.query_params[AUDIENCE_PARAM] = st.session_state[key]


def restore(key: str, fallback: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"keep_{key}", fallback)


def audience() -> str:
    value = st.session_state.get("audience")
    return value if value in AUDIENCES else "clinician"


def current_filters() -> Filters:
    years = st.session_state.get("f_years")
    full = st.session_state.get("f_years_full")
    return make_filters(st.session_state.get("f_types") or [], years, full)


def clear_filters() -> None:
    st.session_state["f_types"] = st.session_state["keep_f_types"] = []
    full = st.session_state.get("f_years_full")
    if full is not None:
        st.session_state["f_years"] = st.session_state["keep_f_years"] = full


def texts(settings: Settings) -> Texts:
    """The domain profile's texts (intro, examples, the not-advice line)."""
    return load_pipeline(settings).profile.texts


def audience_control() -> None:
    param = st.query_params.get(AUDIENCE_PARAM)
    restore("audience", param if param in AUDIENCES else "clinician")
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


def sidebar(settings: Settings, state: ChatState, ask: Callable[[str], None]) -> None:
    with st.sidebar:
        st.markdown("### citeqa")
        st.caption("Answers with sources about childhood B-ALL and blinatumomab.")
        audience_control()
        st.button(
            "New conversation",
            icon=":material/add_comment:",
            on_click=sessions.start_new,
            args=(state,),
            width="stretch",
            key="new-conversation",
        )
        conversations_panel(settings, state)
        aud = audience()
        st.markdown("**Try asking**")
        with st.container(key="examples", gap="small"):
            for i, q in enumerate(getattr(texts(settings).examples, aud)):
                st.button(
                    q,
                    key=f"example-{aud}-{i}",
                    on_click=ask,
                    args=(q,),
                    type="tertiary",
                    icon=":material/chat_bubble:",
                )
        filters_panel(settings)
        st.caption(texts(settings).not_advice)


# -- conversations ------------------------------------------------------------------------------
def _rename(settings: Settings) -> None:
    title = str(st.session_state.get("conv-title") or "")
    if sessions.rename_current(settings, title):
        st.toast("Renamed.", icon=":material/edit:")


def _delete(state: ChatState, settings: Settings) -> None:
    if sessions.delete_current(state, settings):
        st.toast("Conversation deleted.", icon=":material/delete:")


def _delete_all(state: ChatState, settings: Settings) -> None:
    n = sessions.delete_all(state, settings)
    st.toast(f"Deleted {n} conversation(s).", icon=":material/delete_forever:")


def conversations_panel(settings: Settings, state: ChatState) -> None:
    store = sessions.store_for(settings)
    with st.expander("Conversations", icon=":material/history:", expanded=True):
        if store is None:
            st.caption("Conversations are not stored on this server.")
            return
        convs = store.list_for(sessions.owner())
        current = sessions.current_id()
        if not convs:
            st.caption("Your conversations will be listed here, on this browser only.")
        with st.container(key="saved-conversations", gap="small"):
            for c in convs[:LISTED]:
                st.button(
                    c.title,
                    key=f"conv-{c.id}",
                    on_click=sessions.open_conversation,
                    args=(c.id,),
                    type="secondary" if c.id == current else "tertiary",
                    icon=":material/chat:",
                    width="stretch",
                )
        if current is not None and state.turns:
            current_conversation(settings, state, store.title(sessions.owner(), current) or "")
        if convs:
            with st.popover("Delete all", icon=":material/delete_forever:"):
                st.caption("Delete every conversation of this browser? This cannot be undone.")
                st.button(
                    "Yes, delete all",
                    key="delete-all",
                    on_click=_delete_all,
                    args=(state, settings),
                    type="primary",
                )


def current_conversation(settings: Settings, state: ChatState, title: str) -> None:
    st.session_state.setdefault("conv-title", title)
    if st.session_state.get("conv-title-of") != sessions.current_id():
        st.session_state["conv-title"] = title
        st.session_state["conv-title-of"] = sessions.current_id()
    st.text_input("Title", key="conv-title", on_change=_rename, args=(settings,), max_chars=80)
    md = conversation_markdown(title, [ExportTurn(t.question, t.answer) for t in state.turns])
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "Export",
            md,
            file_name="citeqa-conversation.md",
            mime="text/markdown",
            icon=":material/download:",
            key="export-conversation",
            on_click="ignore",
        )
        st.button(
            "Delete",
            key="delete-conversation",
            icon=":material/delete:",
            on_click=_delete,
            args=(state, settings),
        )


# -- filters ----------------------------------------------------------------------------------------
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
