"""The Library page: what is indexed, and adding a PDF or Markdown file to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from citeqa.errors import UploadError
from citeqa.settings import Settings
from rag.format import doc_type_label
from rag.library import UPLOAD_SUFFIXES, check_upload
from ui.components import current_settings, indexed_documents, load_pipeline

UPLOAD_TYPES = [s.lstrip(".") for s in UPLOAD_SUFFIXES]


def document_rows(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "Title": str(d.get("title") or d.get("doc_id") or ""),
            "Type": doc_type_label(str(d.get("doc_type") or "other")),
            "Year": str(d["year"]) if isinstance(d.get("year"), int) else "—",
            "Passages": int(d.get("chunks") or 0),
            "File": str(d.get("source") or ""),
        }
        for d in docs
    ]


def show_library(settings: Settings) -> None:
    try:
        docs = indexed_documents(settings)
        stats = load_pipeline(settings).stats()
    except Exception as exc:
        st.error(f"Cannot read the index: {exc}", icon=":material/error:")
        return
    with st.container(horizontal=True):
        st.metric("Files", stats["files"], border=True)
        st.metric("Documents", stats["documents"], border=True)
        st.metric("Passages", stats["chunks"], border=True)
    if not docs:
        st.info("Nothing is indexed yet: run `citeqa ingest corpus` or add a file below.")
        return
    st.dataframe(
        document_rows(docs),
        hide_index=True,
        column_order=["Title", "Type", "Year", "Passages"],
        width="stretch",
        column_config={
            "Title": st.column_config.TextColumn(width=330),
            "Type": st.column_config.TextColumn(width=215),
            "Year": st.column_config.TextColumn(width=60),
            "Passages": st.column_config.NumberColumn(width=80),
        },
        key="library-table",
    )


def add_file(name: str, data: bytes, settings: Settings) -> None:
    """Check and ingest one upload, showing each step and a clear outcome."""
    with st.status(f"Adding {name}…", expanded=True) as status:
        try:
            st.write("Checking the file…")
            safe = check_upload(name, data, settings.ingest.max_file_mb)
            st.write("Reading, splitting into passages and indexing…")
            report = load_pipeline(settings).add_document(name, data)
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
        status.update(
            label=f"Added {safe}: {report.get('docs', 0)} document(s), "
            f"{report.get('new_chunks', 0)} new passages",
            state="complete",
            expanded=False,
        )
    st.session_state["library-added"] = (
        f"{safe} is in the library ({report.get('docs', 0)} document(s), "
        f"{report.get('new_chunks', 0)} new passages) and can be cited now."
    )
    st.rerun()  # refresh the table above


def upload_form(settings: Settings) -> None:
    st.subheader("Add a document")
    st.caption(
        f"PDF, Markdown or text, up to {settings.ingest.max_file_mb:g} MB. Markdown may start with "
        "citeqa's front matter (title, year, doc_type, …). Files stay on this computer."
    )
    added = st.session_state.pop("library-added", None)
    if added:
        st.success(added, icon=":material/check_circle:")
    upload = st.file_uploader("File to add", type=UPLOAD_TYPES, key="upload")
    clicked = st.button(
        "Add to the library", type="primary", disabled=upload is None, key="add-file"
    )
    if clicked and upload is not None:
        add_file(upload.name, upload.getvalue(), settings)


def main() -> None:
    settings = current_settings()
    st.title("Library")
    st.caption("The documents citeqa answers from. Answers cite only these.")
    show_library(settings)
    upload_form(settings)


main()
