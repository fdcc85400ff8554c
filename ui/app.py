"""citeqa's chat in the browser: ``citeqa ui`` runs ``streamlit run ui/app.py``.

This entry script sets the page up and routes to the pages (Chat, Library). It only uses the
``rag`` package and ``citeqa.settings``; models, index and retriever are loaded once per process
(``st.cache_resource``) and shared by all sessions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/, not the repo, on sys.path
    sys.path.insert(0, str(ROOT))
for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_name, _value)

import streamlit as st  # noqa: E402

ICON = ROOT / "ui" / "assets" / "citeqa-icon.png"  # local: no icon is fetched from a font server

STYLE = """
<style>
/* captions: Streamlit fades them (opacity 0.6) below the 4.5:1 contrast WCAG asks for */
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #4a5a61 !important; }
.citeqa-passage { white-space: pre-wrap; line-height: 1.6; font-size: 0.92rem; }
.citeqa-passage mark { background: #fdeaa7; color: inherit; padding: 0 0.15em; border-radius: 3px; }
blockquote.citeqa-quote {
  margin: 0.1rem 0 0.2rem 0; padding: 0.35rem 0.9rem; border-left: 3px solid #2f6f8f;
  background: rgba(47, 111, 143, 0.06); border-radius: 0 6px 6px 0; font-size: 0.95rem;
  line-height: 1.55;
}
blockquote.citeqa-quote, .citeqa-anchor { scroll-margin-top: 5rem; }
blockquote.citeqa-quote:target { outline: 2px solid #2f6f8f; outline-offset: 2px; }
.citeqa-ref { font-size: 0.9rem; line-height: 1.45; color: #3d4f57; }
.st-key-examples button { justify-content: flex-start; text-align: left; padding-left: 0; }
.st-key-examples button p { text-align: left; }
.st-key-saved-conversations button { justify-content: flex-start; text-align: left; }
.st-key-saved-conversations button p { text-align: left; overflow-wrap: anywhere; }
.citeqa-title { overflow-wrap: anywhere; line-height: 1.4; }
</style>
"""


def main() -> None:
    st.set_page_config(
        page_title="citeqa",
        page_icon=str(ICON),
        layout="centered",
        initial_sidebar_state="auto",  # open on wide screens, collapsed on phones
    )
    st.html(STYLE)
    pages = [
        st.Page("views/chat.py", title="Ask", icon=":material/forum:", default=True),
        st.Page("views/library.py", title="Library", icon=":material/library_books:"),
    ]
    st.navigation(pages, position="top").run()


main()
