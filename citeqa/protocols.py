"""The swappable parts of citeqa, as Protocols: what each must do, what it returns, what it raises.

Every implementation passes one contract suite (``tests/store_contract.py`` for stores; the
embedder and reranker contracts in ``tests/test_models_contract.py``). The pipeline builder
(``rag/pipeline.py``) is typed against these, never against a concrete class.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from citeqa.models import Chunk, Filters, ScoredChunk

if TYPE_CHECKING:
    import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of length ``dim``.

    ``embed_documents(texts)`` -> array of shape (len(texts), dim); ``embed_query(text)`` ->
    shape (dim,). A text's vector does not depend on the other texts of the call."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class Reranker(Protocol):
    """Scores (query, passage) pairs: one raw float32 logit per passage, higher = more relevant.

    ``score(query, texts)`` -> array of shape (len(texts),); an empty ``texts`` gives an empty
    array. A pair's logit does not depend on the other passages of the call."""

    name: str

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray: ...


class ChatModel(Protocol):
    """A LangChain chat model (generative mode): ``stream(messages)`` yields message chunks."""

    def stream(self, messages: Any) -> Iterator[Any]: ...


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What the index holds for one source file."""

    key: str  # resolved source path
    sha256: str
    n_docs: int
    n_chunks: int
    docs: tuple[dict[str, Any], ...]  # [{doc_id, title, doc_type, year, chunks}]
    parser: str = ""  # the parser version that read the file ("" = before versions existed)


@dataclass(frozen=True)
class SourceWrite:
    """The chunks (and their vectors) one source file should have in the index."""

    key: str
    sha256: str
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    parser: str = ""  # the parser version that read the file


class VectorStore(Protocol):
    """Chunks with their vectors, and a manifest of the source files they came from.

    Writes are per source file and atomic per call: after ``replace_sources`` each source holds
    exactly its write's chunks and a manifest entry, or (StoreError) what it held before.
    ``version()`` changes on every write; readers key caches (BM25) on it. Every method raises
    StoreError when the store cannot be reached or written."""

    def replace_sources(self, writes: Sequence[SourceWrite]) -> None: ...

    def delete_source(self, key: str) -> None: ...

    def manifest(self) -> dict[str, ManifestEntry]: ...

    def query(
        self, vector: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[ScoredChunk]: ...

    def iter_chunks(self, batch: int = 2000) -> Iterator[Chunk]: ...

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]: ...

    def count(self) -> int: ...

    def version(self) -> str: ...

    def doc_owner(self, doc_id: str) -> str | None: ...

    def reset(self) -> None: ...
