"""What a write of one source's chunks records and must satisfy: shared by every store.

``manifest_entry`` is the manifest entry a write leaves; ``stack_vectors`` checks a batch of
writes (one vector per chunk, one dimension) before a store touches anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from citeqa.models import Chunk
from citeqa.protocols import ManifestEntry, SourceWrite

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def manifest_docs(chunks: Sequence[Chunk]) -> list[dict[str, str | int | None]]:
    """The documents of one source's chunks, in first-seen order (at most 500: big corpora such
    as BEIR keep a sample): ``[{doc_id, title, doc_type, year, trial, chunks}]``."""
    docs: dict[str, dict[str, str | int | None]] = {}
    counts: dict[str, int] = {}
    for c in chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        if c.doc_id not in docs:
            m = c.meta
            docs[c.doc_id] = {
                "doc_id": c.doc_id,
                "title": m.title,
                "doc_type": m.doc_type,
                "year": m.year,
                "trial": m.trial,
            }
    return [{**d, "chunks": counts[k]} for k, d in list(docs.items())[:500]]


def manifest_entry(
    key: str, sha256: str, chunks: Sequence[Chunk], parser: str = ""
) -> ManifestEntry:
    """The manifest entry a write of ``chunks`` for source ``key`` records (``parser``: the
    parser version that read the file)."""
    return ManifestEntry(
        key=key,
        sha256=sha256,
        n_docs=len({c.doc_id for c in chunks}),
        n_chunks=len(chunks),
        docs=tuple(manifest_docs(chunks)),
        parser=parser,
    )


def stack_vectors(writes: Sequence[SourceWrite]) -> npt.NDArray[np.float32]:
    """All writes' vectors, in order, as one float32 array of shape (total chunks, dim).

    Raises ValueError (before anything is written) when a write does not have one vector per
    chunk or the writes' vectors differ in dimension. A write without chunks may give its
    vectors as any empty array."""
    import numpy as np

    parts = []
    for w in writes:
        v = np.asarray(w.vectors, dtype=np.float32)
        if not len(w.chunks) and v.size == 0:
            continue
        if v.ndim != 2 or v.shape[0] != len(w.chunks):
            raise ValueError(
                f"{w.key}: {len(w.chunks)} chunks need vectors of shape ({len(w.chunks)}, dim), "
                f"got {v.shape}"
            )
        parts.append(v)
    dims = sorted({v.shape[1] for v in parts})
    if len(dims) > 1:
        raise ValueError(f"the writes' vectors differ in dimension ({dims}); nothing was written")
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
