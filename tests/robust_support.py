"""Helpers for the robustness tests: loader outcomes and whole-document index checks."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from citeqa.models import Document
from citeqa.settings import Settings
from evals.soak import classify
from ingest.loaders.base import LoadError
from ingest.pipeline import load_with_timeout


def outcome(path: Path, settings: Settings) -> list[Document] | str:
    """Documents, or the LoadError reason; fails on anything else (other exceptions, worker
    crashes, time-limit overruns, loader exceptions wrapped as 'parser failed: ...')."""
    try:
        docs = load_with_timeout(path, settings)
    except LoadError as exc:
        assert exc.reason.strip(), f"empty reason for {path.name}"
        assert exc.path == str(path)
        assert classify(exc.reason) == "refused", f"{path.name}: {exc.reason}"
        return exc.reason
    assert docs, path.name
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    for d in docs:
        assert d.doc_id.strip() and d.source_path == str(path) and d.source_sha256 == sha
        assert any(s.text.strip() for s in d.sections), d.doc_id
    return docs


def index_counts(store: Any) -> tuple[dict[str, int], Counter[tuple[str, str]]]:
    """(chunks per source according to the manifest, chunks per (source, doc_id) in the index)."""
    manifest = {k: e.n_chunks for k, e in store.manifest().items()}
    mds = store.col.get(include=["metadatas"])["metadatas"] or []
    return manifest, Counter((str(m["source"]), str(m["doc_id"])) for m in mds)


def assert_whole_documents(store: Any) -> dict[str, int]:
    """Every indexed document is complete and recorded: the manifest's chunk counts (per
    source and per document) equal what the index holds, and no chunk lacks a manifest entry.
    Returns chunks per source."""
    manifest, per_doc = index_counts(store)
    per_source: Counter[str] = Counter()
    for (source, _), n in per_doc.items():
        per_source[source] += n
    assert dict(per_source) == manifest, "chunks in the index differ from the manifest"
    for key, entry in store.manifest().items():
        if entry.n_docs == len(entry.docs):  # big corpora list a sample only
            want = {d["doc_id"]: d["chunks"] for d in entry.docs}
            got = {doc: n for (src, doc), n in per_doc.items() if src == key}
            assert got == want, f"partial document in {key}"
    return dict(per_source)
