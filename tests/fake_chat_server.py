"""The chat server with hand-made answers (tests/ui_fakes.py), for the browser display tests:
``streamlit run tests/fake_chat_server.py``."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402

import ui.components  # noqa: E402
from tests.ui_fakes import fake_build  # noqa: E402
from ui.web import MIDDLEWARE, ROUTES  # noqa: E402

ui.components.build_pipeline = fake_build  # type: ignore[assignment]

app = st.App(str(REPO / "ui" / "app.py"), routes=ROUTES, middleware=MIDDLEWARE)
