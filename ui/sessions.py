"""Conversations in the chat: which browser is asking, the conversation in the URL, storing turns.

The browser is known by the ``citeqa_browser`` cookie that the chat server sets
(``ui/chat_server.py``, HttpOnly, SameSite=Strict). Without it (a plain ``streamlit run``, AppTest)
the session gets a random token of its own: conversations then live for that session only. The
open conversation's id is the URL's ``c`` query parameter; it opens only for the browser that
owns it (``ConversationStore`` checks the owner on every call).
"""

from __future__ import annotations

import re
import secrets
import threading
import time

import streamlit as st

from citeqa.settings import Settings
from ui.conversations import ConversationStore, StoredTurn, owner_of
from ui.state import AUDIENCES, ChatState, Turn

COOKIE = "citeqa_browser"
TOKEN_KEY = "citeqa_browser_token"
CONV_KEY = "citeqa_conversation"
NOTICE_KEY = "citeqa_conversation_notice"
PARAM = "c"
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")
PURGE_EVERY_S = 3600.0
_PURGED: dict[str, float] = {}
_PURGE_LOCK = threading.Lock()


def browser_token() -> str:
    """This browser's token (from its cookie), or a random one for this session only."""
    token = st.session_state.get(TOKEN_KEY)
    if isinstance(token, str) and token:
        return token
    try:
        cookie = st.context.cookies.get(COOKIE) or ""
    except Exception:  # no request context (AppTest, bare runs)
        cookie = ""
    if not isinstance(cookie, str) or not _TOKEN_RE.fullmatch(cookie):
        cookie = ""  # none, or not one the chat server set
    token = cookie or secrets.token_urlsafe(24)
    st.session_state[TOKEN_KEY] = token
    return token


def owner() -> str:
    return owner_of(browser_token())


def store_for(settings: Settings) -> ConversationStore | None:
    """The conversation store, or None when storing is turned off. Old conversations are
    purged at most once an hour per process."""
    if not settings.chat.store_conversations:
        return None
    store = ConversationStore.for_settings(settings)
    key = str(store.path)
    with _PURGE_LOCK:
        if time.time() - _PURGED.get(key, 0.0) > PURGE_EVERY_S:
            _PURGED[key] = time.time()
            store.purge(settings.chat.retention_days)
    return store


def to_turn(t: StoredTurn) -> Turn:
    return Turn(
        t.id, t.question, t.audience, t.answer, t.filters, t.history, t.created, extra=t.extra
    )


def current_id() -> str | None:
    cid = st.session_state.get(CONV_KEY)
    return cid if isinstance(cid, str) and cid else None


def sync_from_url(state: ChatState, settings: Settings) -> None:
    """Open the conversation named in the URL when it is not the one shown (a reload, a link,
    a choice in the list). An id this browser does not own opens nothing."""
    wanted = st.query_params.get(PARAM) or None
    if wanted == current_id():
        return
    store = store_for(settings)
    stored = store.turns(owner(), wanted) if (store is not None and wanted) else None
    if stored is None:
        if wanted:
            st.session_state[NOTICE_KEY] = "That conversation is not available in this browser."
            del st.query_params[PARAM]
        st.session_state[CONV_KEY] = None
        state.reset()
        return
    turns = [to_turn(t) for t in stored]
    state.load(turns)
    st.session_state[CONV_KEY] = wanted
    if turns and turns[-1].audience in AUDIENCES:  # a parent stays a parent after a reload
        st.session_state["audience"] = st.session_state["keep_audience"] = turns[-1].audience


def persist(turn: Turn, settings: Settings) -> bool:
    """Store a committed turn, creating the conversation (and its URL) on the first one;
    True when a conversation was created (the sidebar's list then changed)."""
    store = store_for(settings)
    if store is None:
        return False
    who = owner()
    cid = current_id()
    created = cid is None or not store.owns(who, cid)
    if created:
        cid = store.create(who, turn.question)
        st.session_state[CONV_KEY] = cid
        st.query_params[PARAM] = cid
    assert cid is not None
    store.add_turn(who, cid, stored_turn(turn))
    return created


def stored_turn(turn: Turn) -> StoredTurn:
    return StoredTurn(
        turn.id,
        turn.question,
        turn.audience,
        turn.filters,
        turn.history,
        turn.answer,
        turn.created,
        dict(turn.extra),
    )


def start_new(state: ChatState) -> None:
    """Leave the open conversation (it stays stored) and start an empty one."""
    state.reset()
    st.session_state[CONV_KEY] = None
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def open_conversation(cid: str) -> None:
    """Callback: show conversation ``cid`` (loaded on this run by ``sync_from_url``)."""
    st.query_params[PARAM] = cid


def rename_current(settings: Settings, title: str) -> bool:
    store, cid = store_for(settings), current_id()
    return bool(store and cid and store.rename(owner(), cid, title))


def delete_current(state: ChatState, settings: Settings) -> bool:
    store, cid = store_for(settings), current_id()
    done = bool(store and cid and store.delete(owner(), cid))
    start_new(state)
    return done


def delete_all(state: ChatState, settings: Settings) -> int:
    store = store_for(settings)
    n = store.delete_all(owner()) if store is not None else 0
    start_new(state)
    return n
