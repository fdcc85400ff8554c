"""The manifest of a Chroma index, as Chroma metadata (used by ``ingest.store.ChromaStore``).

The manifest lives in a side collection (``<collection>_manifest``) of the same Chroma database,
so server deployments share it: one row per source file (id = the resolved source path) whose
flat metadata holds the file's hash, the parser version that read it, its counts and (a sample
of) its documents as JSON; plus one state row (:data:`STATE_ID`) whose ``version`` changes on
every write. Chroma rows need a vector: manifest rows carry a one-dimensional placeholder.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from citeqa.errors import StoreError
from citeqa.models import Chunk
from citeqa.protocols import ManifestEntry
from ingest.writes import manifest_docs

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from chromadb.api.types import Metadata

STATE_ID = "__state__"


def manifest_metadata(
    sha256: str, chunks: Sequence[Chunk], parser: str = ""
) -> dict[str, str | int | float]:
    """The manifest record of one source as flat Chroma metadata: its hash, the parser version
    that read it, counts and (a sample of) its documents as JSON."""
    return {
        "sha256": sha256,
        "parser": parser,
        "n_docs": len({c.doc_id for c in chunks}),
        "n_chunks": len(chunks),
        "docs": json.dumps(manifest_docs(chunks)),
        "time": time.time(),
    }


def state_metadata() -> Metadata:
    """A new state row: a fresh random ``version`` and the time of the write."""
    return {"version": uuid.uuid4().hex, "time": time.time()}


def placeholder_vectors(n: int) -> npt.NDArray[np.float32]:
    """``n`` one-dimensional placeholder vectors, shape (n, 1) (the manifest rows' vectors)."""
    import numpy as np

    return np.ones((n, 1), dtype=np.float32)


def _count(md: Metadata, key: str) -> int:
    """The whole number ``md[key]`` (0 if absent); TypeError/ValueError if it is none."""
    value = md.get(key, 0)
    if not isinstance(value, int | float | str):
        raise TypeError(f"{key!r} is {type(value).__name__}, not a number")
    return int(value)


def entry_from_metadata(key: str, md: Metadata) -> ManifestEntry:
    """The manifest entry of source ``key`` from its row's metadata; StoreError (naming the
    source and the way out) when the row is corrupt."""
    try:
        docs = tuple(json.loads(str(md.get("docs", "[]"))))
        if not all(isinstance(d, dict) for d in docs):
            raise ValueError("'docs' must be a JSON list of objects")
        return ManifestEntry(
            key=key,
            sha256=str(md["sha256"]),
            n_docs=_count(md, "n_docs"),
            n_chunks=_count(md, "n_chunks"),
            docs=docs,
            parser=str(md.get("parser", "")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise StoreError(
            f"the index manifest entry for {key} is corrupt ({exc}); run `citeqa ingest --rebuild`"
        ) from exc


def read_manifest(
    ids: Sequence[str], metadatas: Sequence[Metadata | None]
) -> dict[str, ManifestEntry]:
    """Every source's entry from the manifest collection's rows (the state row left out)."""
    out: dict[str, ManifestEntry] = {}
    for key, md in zip(ids, metadatas, strict=False):
        if key != STATE_ID and md is not None:
            out[key] = entry_from_metadata(key, md)
    return out
