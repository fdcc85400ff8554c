"""Exact, incremental BM25 over the chunks of one index, saved as .npy files and memory-mapped.

bm25s stores, per (term, chunk), a score that depends on the number of chunks, their average
length and the term's document frequency: one new chunk changes all of them, so a bm25s index
can only be rebuilt whole (4.8 s at 100k chunks here, about a minute at 1M). This index keeps
what a new chunk does not change, each chunk's term frequencies and length, in immutable
*segments* (one per batch of added chunks), and the corpus statistics (chunks, total length,
document frequency of every term) beside them. A query's scores are computed from them with
bm25s's formula and float types (method "lucene", k1 1.5, b 0.75; float32 scores, float64
arithmetic inside), so they equal what bm25s gives on the same chunks bit for bit
(tests/test_bm25_store.py); the top k are taken with bm25s's own selection.

Tokens follow bm25s's tokenizer: lower case, ``\\b\\w\\w+\\b``, bm25s's English stopwords, then
the Snowball English stemmer. Rows are numbered by the caller (0, 1, 2, ... in the order chunks
were added); removing chunks marks their rows dead and takes their terms out of the statistics.
An :class:`PostingsIndex` is never changed: :meth:`~PostingsIndex.added` and
:meth:`~PostingsIndex.removed` return a new one (questions in flight keep the old).
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

K1, B = 1.5, 0.75  # bm25s's defaults
_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's token pattern
_STEM_CACHE = 500_000  # stems kept by a Tokenizer before it starts again


class Tokenizer:
    """Text -> stemmed tokens, as ``bm25s.tokenize(..., stopwords="en", stemmer=Snowball)``
    makes them (order and repeats kept). Thread-safe."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stop = frozenset(STOPWORDS_EN)
        self._stemmer = Stemmer.Stemmer("english")
        self._stems: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str) -> list[str]:
        toks = [t for t in _WORD.findall(text.lower()) if t not in self._stop]
        stems = self._stems
        new = [t for t in dict.fromkeys(toks) if t not in stems]
        if new:
            with self._lock:
                if len(stems) > _STEM_CACHE:
                    stems = self._stems = {}
                stems.update(zip(new, self._stemmer.stemWords(new), strict=True))
        return [stems[t] for t in toks]


@dataclass(frozen=True)
class Segment:
    """Postings of a batch of rows: for each term (sorted ids), its rows and frequencies."""

    name: str
    terms: npt.NDArray[np.int32]
    indptr: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    tf: npt.NDArray[np.float32]

    @classmethod
    def build(cls, rows: Sequence[int], counts: Sequence[Counter[int]]) -> Segment:
        import numpy as np

        sizes = [len(c) for c in counts]
        r = np.repeat(np.asarray(rows, dtype=np.int32), sizes)
        t = np.fromiter((k for c in counts for k in c), dtype=np.int32, count=sum(sizes))
        f = np.fromiter((v for c in counts for v in c.values()), np.float32, count=sum(sizes))
        order = np.lexsort((r, t))
        t, r, f = t[order], r[order], f[order]
        terms, starts = np.unique(t, return_index=True)
        indptr = np.append(starts, len(t)).astype(np.int64)
        return cls(uuid.uuid4().hex, terms.astype(np.int32), indptr, r, f)

    def postings(self, term: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        import numpy as np

        i = int(np.searchsorted(self.terms, term))
        if i >= len(self.terms) or int(self.terms[i]) != term:
            return self.rows[:0], self.tf[:0]
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.rows[a:b], self.tf[a:b]

    def save(self, root: Path) -> None:
        import numpy as np

        d = root / self.name
        d.mkdir(parents=True, exist_ok=True)
        for part in ("terms", "indptr", "rows", "tf"):
            np.save(d / f"{part}.npy", getattr(self, part))

    @classmethod
    def load(cls, root: Path, name: str) -> Segment:
        """The saved segment ``name`` under ``root``, memory-mapped (read-only)."""
        import numpy as np

        d = root / name
        arrays = {
            p: np.load(d / f"{p}.npy", mmap_mode="r") for p in ("terms", "indptr", "rows", "tf")
        }
        return cls(name, **arrays)


def merge_segments(segments: Sequence[Segment], live: npt.NDArray[np.bool_] | None) -> Segment:
    """One segment holding the postings of ``segments`` for the rows ``live`` marks."""
    import numpy as np

    t = np.concatenate([np.repeat(s.terms, np.diff(s.indptr)) for s in segments])
    r = np.concatenate([np.asarray(s.rows) for s in segments])
    f = np.concatenate([np.asarray(s.tf) for s in segments])
    if live is not None:
        keep = live[r]
        t, r, f = t[keep], r[keep], f[keep]
    order = np.lexsort((r, t))
    t, r, f = t[order], r[order], f[order]
    terms, starts = np.unique(t, return_index=True)
    indptr = np.append(starts, len(t)).astype(np.int64)
    return Segment(uuid.uuid4().hex, terms.astype(np.int32), indptr, r.astype(np.int32), f)


def _grown(a: npt.NDArray[Any], n: int) -> npt.NDArray[Any]:
    import numpy as np

    if len(a) >= n:
        return np.array(a)
    out = np.zeros(n, dtype=a.dtype)
    out[: len(a)] = a
    return out


@dataclass(frozen=True)
class PostingsIndex:
    """BM25 statistics and postings of the live rows (see the module docstring)."""

    vocab: dict[str, int] = field(default_factory=dict)
    df: npt.NDArray[np.int64] | None = None  # live rows containing each term
    lens: npt.NDArray[np.int32] | None = None  # tokens per row (dead rows too)
    live: npt.NDArray[np.bool_] | None = None
    n_live: int = 0
    total: int = 0  # tokens in the live rows
    segments: tuple[Segment, ...] = ()

    @property
    def n_rows(self) -> int:
        return 0 if self.lens is None else len(self.lens)

    def added(self, rows: Sequence[int], tokens: Sequence[Sequence[str]]) -> PostingsIndex:
        """A new index with ``rows`` (new row numbers, at or after :attr:`n_rows`) holding
        ``tokens``, in one new segment."""
        import numpy as np

        if not rows:
            return self
        vocab = dict(self.vocab)
        counts = []
        for toks in tokens:
            c: Counter[int] = Counter()
            for t in toks:
                c[vocab.setdefault(t, len(vocab))] += 1
            counts.append(c)
        n = max(self.n_rows, max(rows) + 1)
        df = _grown(self.df if self.df is not None else np.zeros(0, np.int64), len(vocab))
        lens = _grown(self.lens if self.lens is not None else np.zeros(0, np.int32), n)
        live = _grown(self.live if self.live is not None else np.zeros(0, np.bool_), n)
        for r, toks, c in zip(rows, tokens, counts, strict=True):
            if live[r]:
                raise ValueError(f"row {r} is already live")
            lens[r], live[r] = len(toks), True
            df[list(c)] += 1
        seg = Segment.build(rows, counts)
        total = self.total + sum(len(t) for t in tokens)
        segs = (*self.segments, seg)
        return PostingsIndex(vocab, df, lens, live, self.n_live + len(rows), total, segs)

    def removed(self, rows: Sequence[int], tokens: Sequence[Sequence[str]]) -> PostingsIndex:
        """A new index without ``rows`` (live rows, with the tokens they were added with)."""
        import numpy as np

        if not rows:
            return self
        assert self.df is not None and self.lens is not None and self.live is not None
        df, live = np.array(self.df), np.array(self.live)
        total = self.total
        for r, toks in zip(rows, tokens, strict=True):
            if not live[r]:
                raise ValueError(f"row {r} is not live")
            live[r] = False
            total -= int(self.lens[r])
            df[[self.vocab[t] for t in set(toks)]] -= 1
        n_live = self.n_live - len(rows)
        return dataclasses.replace(self, df=df, live=live, n_live=n_live, total=total)

    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every row for the query ``tokens`` (dead rows 0), as bm25s's
        ``get_scores`` computes them."""
        import numpy as np

        out = self._raw_scores(tokens)
        if self.n_live < self.n_rows:
            assert self.live is not None
            out *= self.live.astype(np.float32)
        return out

    def _raw_scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """:meth:`scores`, dead rows left with what their postings give."""
        import numpy as np

        n = self.n_rows
        out = np.zeros(n, dtype=np.float32)
        ids = [self.vocab[t] for t in tokens if t in self.vocab]
        if not ids or self.n_live == 0:
            return out
        assert self.df is not None and self.lens is not None and self.live is not None
        avg = np.float64(self.total) / self.n_live
        for t in ids:
            df = int(self.df[t])
            idf = np.float32(math.log(1 + (self.n_live - df + 0.5) / (df + 0.5)))
            for seg in self.segments:
                rows, tf = seg.postings(t)
                if len(rows):
                    tfc = tf / (K1 * ((1 - B) + B * self.lens[rows] / avg) + tf)
                    np.add.at(out, rows, (idf * tfc).astype(np.float32))
        return out

    def top(
        self, tokens: Sequence[str], k: int, mask: npt.NDArray[np.float32] | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best rows ``(row, score)`` with a score above 0, best first, chosen as
        bm25s's ``retrieve`` chooses them (its top-k selection over the live rows in row
        order, so equal scores come in the order a fresh bm25s index of the live rows gives);
        ``mask`` (one weight per row) multiplies the scores first, as bm25s's
        ``weight_mask``."""
        import numpy as np
        from bm25s.selection import topk

        if self.n_live == 0 or k <= 0:
            return []
        s = self._raw_scores(tokens)
        if mask is not None:
            s *= mask
        rows = None
        if self.n_live < self.n_rows:
            assert self.live is not None
            rows = np.flatnonzero(self.live)
            s = s[rows]
        best, idx = topk(s, min(k, len(s)), backend="numpy", sorted=True)
        if rows is not None:
            idx = rows[idx]
        return [(int(i), float(v)) for i, v in zip(idx, best, strict=True) if float(v) > 0]

    def compacted(self, max_segments: int = 8) -> PostingsIndex:
        """The same index with its segments merged into fewer (dead rows' postings dropped)
        once there are more than ``max_segments``: every segment but the largest becomes one
        (a single segment is rewritten without its dead rows)."""
        if len(self.segments) <= max_segments or not self.segments:
            return self
        if len(self.segments) == 1:
            return dataclasses.replace(self, segments=(merge_segments(self.segments, self.live),))
        largest = max(self.segments, key=lambda s: len(s.rows))
        small = [s for s in self.segments if s is not largest]
        merged = merge_segments(small, self.live)
        return dataclasses.replace(self, segments=(largest, merged))

    def state(self) -> dict[str, Any]:
        """Everything but the segments' arrays (saved with :meth:`Segment.save`), to pickle."""
        return {
            "vocab": self.vocab,
            "df": self.df,
            "lens": self.lens,
            "live": self.live,
            "n_live": self.n_live,
            "total": self.total,
            "segments": [s.name for s in self.segments],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], root: Path) -> PostingsIndex:
        """The index :meth:`state` described, its segments memory-mapped from ``root``."""
        segs = tuple(Segment.load(root, name) for name in state["segments"])
        keep = {k: state[k] for k in ("vocab", "df", "lens", "live", "n_live", "total")}
        return cls(**keep, segments=segs)
