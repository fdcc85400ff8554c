"""The chat's server: ``streamlit run ui/chat_server.py`` (what ``citeqa ui`` runs).

It serves the Streamlit app ``ui/app.py`` (``st.App``) with citeqa's own routes and middleware
(``ui/web.py``): the per-browser cookie and the local PDF route.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run ui/chat_server.py` puts ui/ on sys.path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402

from ui.web import MIDDLEWARE, ROUTES  # noqa: E402

app = st.App("app.py", routes=ROUTES, middleware=MIDDLEWARE)
