"""The Library page: what is indexed; adding, correcting, replacing and deleting documents.

Corrections of a document's type, year and trial are stored in the data dir
(``rag.library.Overrides``) and applied whenever the file is indexed, so they survive a rebuild.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from citeqa.errors import UploadError
from citeqa.models import DOC_TYPE_LABELS
from citeqa.settings import Settings
from rag.format import doc_type_label
from rag.library import UPLOAD_SUFFIXES, MetadataChange, check_upload
from ui.components import current_settings, indexed_documents, load_pipeline

UPLOAD_TYPES = [s.lstrip(".") for s in UPLOAD_SUFFIXES]
AS_PARSED = "as-parsed"
TYPES = list(DOC_TYPE_LABELS)
UPLOAD_GEN = "library-upload-gen"  # bumped after an upload: a new, empty upload box
RESULT = "library-result"
PICK = "library-pick"
PICK_GEN = "library-pick-gen"  # the UPLOAD_GEN the chosen document was last sent for


def max_mb(settings: Settings) -> int:
    """The upload box's limit in whole MB (citeqa's own check is exact)."""
    return max(1, math.ceil(settings.ingest.max_file_mb))


def document_rows(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "Title": str(d.get("title") or d.get("doc_id") or ""),
            "Type": doc_type_label(str(d.get("doc_type") or "other")),
            "Year": str(d["year"]) if isinstance(d.get("year"), int) else "—",
            "Trial": str(d.get("trial") or "—"),
            "Passages": int(d.get("chunks") or 0),
            "File": str(d.get("source") or ""),
        }
        for d in docs
    ]


def editable(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents that can be corrected one by one (not the '+N more' line of a big file)."""
    return [d for d in docs if not str(d.get("doc_id", "")).startswith("(+")]


def matches(d: dict[str, Any], needle: str) -> bool:
    hay = " ".join(str(d.get(k) or "") for k in ("title", "doc_id", "trial", "source", "year"))
    return needle.lower() in hay.lower()


def show_library(settings: Settings) -> list[dict[str, Any]]:
    try:
        docs = indexed_documents(settings)
        stats = load_pipeline(settings).stats()
    except Exception as exc:
        st.error(f"Cannot read the index: {exc}", icon=":material/error:")
        return []
    with st.container(horizontal=True):
        st.metric("Files", stats["files"], border=True)
        st.metric("Documents", stats["documents"], border=True)
        st.metric("Passages", stats["chunks"], border=True)
    if not docs:
        st.info("Nothing is indexed yet: run `citeqa ingest corpus` or add a file below.")
        return []
    needle = st.text_input("Find a document", key="library-find", placeholder="Title, trial, year…")
    shown = [d for d in docs if matches(d, needle)] if needle else docs
    rows = document_rows(shown)
    st.table(  # a plain table: long titles wrap and stay readable, on a phone too
        [{k: r[k] for k in ("Title", "Type", "Year", "Trial", "Passages")} for r in rows],
        hide_index=True,
        alt="Indexed documents",
    )
    return shown


# -- acting on one document -----------------------------------------------------------------------
def outcome(label: str, action: Callable[[], dict[str, Any] | bool]) -> None:
    """Run an index change, then keep a clear message for the next run."""
    try:
        result = action()
    except UploadError as exc:
        st.session_state[RESULT] = ("error", f"{label}: not done: {exc}.")
        return
    except Exception as exc:
        st.session_state[RESULT] = ("error", f"{label}: not done: {exc}")
        return
    failed = result.get("failed") if isinstance(result, dict) else None
    if failed:
        err = "; ".join(str(f.get("error", "")) for f in failed)
        st.session_state[RESULT] = ("error", f"{label}: not done: {err}")
    elif result is False:
        st.session_state[RESULT] = ("error", f"{label}: nothing to do.")
    else:
        st.session_state[RESULT] = ("success", f"{label}: done.")
    st.session_state[UPLOAD_GEN] = st.session_state.get(UPLOAD_GEN, 0) + 1


def edit_form(settings: Settings, d: dict[str, Any]) -> None:
    doc_id = str(d["doc_id"])
    with st.form(key="doc-edit", border=True):
        st.markdown("**Correct the type, year or trial**")
        current = str(d.get("doc_type") or "other")
        doc_type = st.selectbox(
            "Type", TYPES, index=TYPES.index(current) if current in TYPES else 0,
            format_func=doc_type_label,
        )  # fmt: skip
        year = st.number_input(
            "Year", min_value=1900, max_value=2100, step=1,
            value=d["year"] if isinstance(d.get("year"), int) else None,
        )  # fmt: skip
        trial = st.text_input("Trial", value=str(d.get("trial") or ""), max_chars=60)
        if st.form_submit_button("Save corrections", type="primary", icon=":material/save:"):
            change = MetadataChange(doc_type, None if year is None else int(year), trial)
            with st.spinner("Indexing the document again with the corrections…"):
                outcome(
                    "Corrections saved",
                    lambda: load_pipeline(settings).set_metadata(doc_id, change),
                )
            st.rerun()


def replace_and_delete(settings: Settings, d: dict[str, Any]) -> None:
    key, name = str(d.get("path") or d.get("source")), str(d.get("source") or "")
    gen = st.session_state.get(UPLOAD_GEN, 0)
    with st.container(border=True):
        st.markdown(f"**Replace or delete the file** `{name}`")
        new = st.file_uploader(
            "New version of the file",
            type=UPLOAD_TYPES,
            key=f"replace-{gen}",
            max_upload_size=max_mb(settings),
        )
        if st.button("Replace", disabled=new is None, key="replace-file", icon=":material/sync:"):
            assert new is not None
            data = new.getvalue()
            with st.spinner("Replacing…"):
                outcome(
                    f"{name} replaced by {new.name}",
                    lambda: load_pipeline(settings).replace_document(key, new.name, data),
                )
            st.rerun()
        with st.popover("Delete from the library", icon=":material/delete:"):
            st.caption(f"Remove {name} and all its passages from the index?")
            if st.button("Yes, delete", type="primary", key="delete-file"):
                outcome(f"{name} deleted", lambda: load_pipeline(settings).remove_document(key))
                st.rerun()


def reseat_pick(by_id: dict[str, dict[str, Any]]) -> None:
    """After an index change, set the chosen document again before its box is drawn. A keyed
    selectbox keeps its id when its labels change: without this the browser keeps showing the
    document's old title (a replaced file's new title is not shown) and, on the next run, sends
    that old label back, which matches no option and drops the choice (and a form sent then)."""
    gen = st.session_state.get(UPLOAD_GEN, 0)
    if st.session_state.get(PICK_GEN) == gen:
        return
    st.session_state[PICK_GEN] = gen
    picked = st.session_state.get(PICK)
    if picked in by_id:
        st.session_state[PICK] = picked  # sent to the browser again, with its current title


def manage(settings: Settings, docs: list[dict[str, Any]]) -> None:
    choices = editable(docs)
    if not choices:
        return
    st.subheader("Correct, replace or delete")
    by_id = {str(d["doc_id"]): d for d in choices}
    reseat_pick(by_id)
    picked = st.selectbox(
        "Document",
        list(by_id),
        format_func=lambda i: str(by_id[i].get("title") or i),
        index=None,
        placeholder="Choose a document…",
        key=PICK,
    )
    if picked is None:
        return
    d = by_id[picked]
    st.html(f'<div class="citeqa-title"><b>{_esc(d.get("title") or picked)}</b></div>')
    st.caption(f"File: {d.get('source', '')} · {int(d.get('chunks') or 0)} passages")
    edit_form(settings, d)
    replace_and_delete(settings, d)


def _esc(text: object) -> str:
    import html

    return html.escape(str(text))


# -- adding ---------------------------------------------------------------------------------------------
def add_file(name: str, data: bytes, change: MetadataChange, settings: Settings) -> None:
    """Check and ingest one upload, showing each step and a clear outcome."""
    with st.status(f"Adding {name}…", expanded=True) as status:
        try:
            st.write("Checking the file…")
            safe = check_upload(name, data, settings.ingest.max_file_mb)
            st.write("Reading, splitting into passages and indexing…")
            report = load_pipeline(settings).add_document(name, data, change)
        except UploadError as exc:
            status.update(label=f"{name} was not added", state="error")
            st.error(f"Not added: {exc}.", icon=":material/block:")
            return
        except Exception as exc:
            status.update(label=f"{name} was not added", state="error")
            st.error(f"Not added: {exc}", icon=":material/error:")
            return
        if report.get("failed"):
            status.update(label=f"{name} was not added", state="error")
            for f in report["failed"]:
                st.error(
                    f"Not added: {Path(str(f.get('path', safe))).name}: {f.get('error', '')}",
                    icon=":material/block:",
                )
            return
    st.session_state[RESULT] = (
        "success",
        f"{safe} is in the library ({report.get('docs', 0)} document(s), "
        f"{report.get('new_chunks', 0)} new passages) and can be cited now.",
    )
    st.session_state[UPLOAD_GEN] = st.session_state.get(UPLOAD_GEN, 0) + 1
    st.rerun()  # refresh the table above; the upload box comes back empty


def upload_form(settings: Settings) -> None:
    st.subheader("Add a document")
    st.caption(
        f"PDF, Markdown or text, up to {settings.ingest.max_file_mb:g} MB. Markdown may start with "
        "citeqa's front matter (title, year, doc_type, …). Files stay on this computer."
    )
    gen = st.session_state.get(UPLOAD_GEN, 0)
    upload = st.file_uploader(
        "File to add", type=UPLOAD_TYPES, key=f"upload-{gen}", max_upload_size=max_mb(settings)
    )
    with st.expander("Type, year and trial (optional)", icon=":material/edit_note:"):
        kinds = [AS_PARSED, *TYPES]
        doc_type = st.selectbox(
            "Type", kinds, key="up-type",
            format_func=lambda t: "As stated in the file" if t == AS_PARSED else doc_type_label(t),
        )  # fmt: skip
        year = st.number_input("Year", 1900, 2100, value=None, step=1, key="up-year")
        trial = st.text_input("Trial", key="up-trial", max_chars=60)
    clicked = st.button(
        "Add to the library", type="primary", disabled=upload is None, key="add-file"
    )
    if clicked and upload is not None:
        change = MetadataChange(
            None if doc_type == AS_PARSED else doc_type,
            None if year is None else int(year),
            trial.strip() or None,
        )
        add_file(upload.name, upload.getvalue(), change, settings)


def show_result() -> None:
    result = st.session_state.pop(RESULT, None)
    if result is None:
        return
    kind, text = result
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")


def main() -> None:
    settings = current_settings()
    st.title("Library")
    st.caption("The documents citeqa answers from. Answers cite only these.")
    show_result()
    docs = show_library(settings)
    manage(settings, docs)
    upload_form(settings)


main()
