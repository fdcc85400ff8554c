"""Two small browser-side helpers (Streamlit components v2, inline code, nothing fetched):

- ``copy_button(text, key)``: copies an answer (Markdown with its references) to the clipboard.
- ``input_counter(limit)``: a live "n / 8,000 characters" line under the chat input, with a
  plain message when a message is longer than the limit (the chat input itself has no
  ``max_chars``: Streamlit would silently drop a longer paste).

The code is ours and fixed; only JSON ``data`` (the text to copy, the limit) varies, and it is
never inserted as HTML.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_COPY_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let btn = parentElement.querySelector("button");
  if (!btn) {
    btn = document.createElement("button");
    btn.type = "button";
    btn.className = "citeqa-copy";
    parentElement.appendChild(btn);
  }
  const label = data.label;
  btn.textContent = label;
  btn.onclick = async () => {
    try {
      await navigator.clipboard.writeText(data.text);
    } catch (err) {
      const ta = document.createElement("textarea");
      ta.value = data.text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    btn.textContent = "Copied";
    setTimeout(() => { btn.textContent = label; }, 2000);
  };
}
"""
_COPY_CSS = """
.citeqa-copy {
  font: inherit; font-size: 0.875rem; color: var(--st-text-color, #1f2d33);
  background: transparent; border: 1px solid rgba(31, 45, 51, 0.3); border-radius: 0.5rem;
  padding: 0.25rem 0.75rem; cursor: pointer; min-height: 2rem;
}
.citeqa-copy:hover { border-color: var(--st-primary-color, #2f6f8f); }
.citeqa-copy:focus-visible { outline: 2px solid var(--st-primary-color, #2f6f8f); outline-offset: 2px; }
"""

_COUNTER_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let out = parentElement.querySelector(".citeqa-count");
  if (!out) {
    out = document.createElement("div");
    out.className = "citeqa-count";
    out.setAttribute("aria-live", "polite");
    out.setAttribute("data-testid", "citeqa-counter");
    parentElement.appendChild(out);
  }
  const limit = data.limit;
  const fmt = (n) => n.toLocaleString("en-US");
  let last = -1;
  const update = () => {
    const box = document.querySelector('[data-testid="stChatInputTextArea"]');
    const n = box ? box.value.length : 0;
    if (n === last) return;
    last = n;
    const over = n > limit;
    out.classList.toggle("over", over);
    out.textContent = over
      ? `${fmt(n)} / ${fmt(limit)} characters: ${fmt(n - limit)} too many. ` +
        `citeqa reads messages up to ${fmt(limit)} characters; please shorten it.`
      : `${fmt(n)} / ${fmt(limit)} characters`;
  };
  if (window.__citeqaCounter) clearInterval(window.__citeqaCounter);
  window.__citeqaCounter = setInterval(update, 250);
  update();
}
"""
_COUNTER_CSS = """
.citeqa-count { font-size: 0.8rem; color: #4a5a61; text-align: right; padding: 0 0.25rem; }
.citeqa-count.over { color: #a1231b; font-weight: 600; text-align: left; }
"""

_copy = st.components.v2.component("citeqa_copy", js=_COPY_JS, css=_COPY_CSS)
_counter = st.components.v2.component("citeqa_counter", js=_COUNTER_JS, css=_COUNTER_CSS)


def copy_button(text: str, key: str, label: str = "Copy answer") -> Any:
    """A button that copies ``text`` to the clipboard (in the browser, no rerun)."""
    return _copy(data={"text": text, "label": label}, key=key, width="content")


def input_counter(limit: int) -> Any:
    """The live character count of the chat input (against ``limit``)."""
    return _counter(data={"limit": int(limit)}, key="input-counter")
