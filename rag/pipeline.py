"""The one builder: ``build_pipeline(settings)`` creates every part once and holds the only cache.

A :class:`Pipeline` is what the chat, the HTTP API, the CLI and the benchmarks use: ``answer()``,
``warm_up()``, ``health()``, ``documents()``, ``add_document()``, ``remove_document()`` and
``ingest()``. None of them imports the store, the models or chromadb. Parts are created lazily
(the embedder on first retrieval or ingest, the cross-encoder on first rerank), so building a
pipeline is cheap and ``citeqa --help`` stays instant.

Models are shared by every pipeline of the process that uses the same model settings
(:func:`shared_embedder`, :func:`shared_reranker`); pipelines are shared per distinct Settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from citeqa.answer import Answer, Audience
from citeqa.domain import DomainProfile, load_profile
from citeqa.errors import EmptyIndexError, StoreError
from citeqa.models import Filters
from citeqa.protocols import ChatModel, Embedder, Reranker, VectorStore
from citeqa.settings import EmbedderSettings, Settings, get_settings

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport
    from rag.answer import Answerer
    from rag.glossary import Term
    from rag.lexicon import IndexLexicon
    from rag.library import MetadataChange
    from rag.retrieval import HybridRetriever
    from rag.spelling import Speller

_LOCK = threading.RLock()
_PIPELINES: dict[str, Pipeline] = {}
_MODELS: dict[tuple[str, ...], Any] = {}


def shared_embedder(cfg: EmbedderSettings) -> Embedder:
    """The process's embedder for these settings (created on first use)."""
    from ingest.embedders import make_embedder

    key = ("embedder", cfg.name, str(cfg.batch_size), str(cfg.threads))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = make_embedder(cfg.name, cfg.batch_size, cfg.threads)
        model: Embedder = _MODELS[key]
        return model


def shared_reranker(name: str) -> Reranker:
    """The process's cross-encoder ``name`` (created on first use)."""
    from rag.rerank import make_reranker

    key = ("reranker", name)
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = make_reranker(name)
        model: Reranker = _MODELS[key]
        return model


class Pipeline:
    """Every part of citeqa for one Settings: store, models, retriever, answerer, profile."""

    def __init__(
        self,
        settings: Settings,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        chat_model: ChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.profile: DomainProfile = load_profile(settings.profile)
        self._store = store
        self._embedder = embedder
        self._reranker = reranker
        self._chat_model = chat_model
        self._retriever: HybridRetriever | None = None
        self._answerer: Answerer | None = None
        self._glossary: tuple[Term, ...] | None = None
        self._lock = threading.RLock()

    # -- parts (created on first use) ---------------------------------------------------------
    @property
    def store(self) -> VectorStore:
        with self._lock:
            if self._store is None:
                from ingest.store import open_store

                self._store = open_store(self.settings)
            return self._store

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = shared_embedder(self.settings.embedder)
            return self._embedder

    @property
    def reranker(self) -> Reranker:
        with self._lock:
            if self._reranker is None:
                from rag.rerank import CachedReranker

                cfg = self.settings.retrieval
                self._reranker = CachedReranker(shared_reranker(cfg.reranker), cfg.rerank_cache)
            return self._reranker

    def chat_model(self) -> ChatModel:
        with self._lock:
            if self._chat_model is None:
                from rag.llm import make_chat_model

                self._chat_model = cast(ChatModel, make_chat_model(self.settings.llm))
            return self._chat_model

    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                from rag.retrieval import HybridRetriever

                self._retriever = HybridRetriever(
                    self.settings, self.store, lambda: self.embedder, lambda: self.reranker
                )
            return self._retriever

    def speller(self, lexicon: IndexLexicon, names: Sequence[str]) -> Speller | None:
        """The spelling corrector for an index's words and names (None when turned off)."""
        if not self.settings.answer.spelling:
            return None
        from rag.spelling import Speller

        v = self.profile.vocabulary
        short = [*v.abbreviations, *v.journal_aliases, *v.common_acronyms]
        return Speller(lexicon, names, v.drug_suffixes, self.settings.answer.variant_zipf, short)

    @property
    def glossary(self) -> tuple[Term, ...]:
        with self._lock:
            if self._glossary is None:
                from rag.glossary import load_glossary

                self._glossary = load_glossary(self.profile.glossary_path())
            return self._glossary

    @property
    def answerer(self) -> Answerer:
        with self._lock:
            if self._answerer is None:
                from rag.answer import Answerer

                self._answerer = Answerer(self)
            return self._answerer

    # -- what the surfaces use ----------------------------------------------------------------
    def answer(
        self,
        question: str,
        audience: Audience | str = Audience.CLINICIAN,
        history: Sequence[str] = (),
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` from the indexed literature, with numbered citations.

        Raises InputError for an unknown audience, StoreError when the index is unreachable.
        ``timings_ms`` holds the answerer's stages and those of rag/timing.py."""
        from rag.timing import collect

        with collect(), self.retriever.pinned():
            return self.answerer.answer(question, audience, history, filters, on_token)

    def warm_up(self) -> None:
        """Load the models and the BM25 index now (the first question is then fast). The
        loads overlap: the embedder with the dense index's first search, the cross-encoder
        with its first scoring, the language data (word frequencies, hyphenation, glossary),
        and the index's word structures in this thread (each model's native code runs
        outside Python's lock). No question is asked: at 100k chunks a warm-up question cost
        0.23 s more than the lazy loads it saved the first user question (docs/benchmarks.md)."""
        if self.store.count() == 0:
            return
        from concurrent.futures import ThreadPoolExecutor

        warm = [f"warm-up {i}" for i in range(4)]  # every session of each model's pool

        def dense() -> None:
            model = shared_embedder(self.settings.embedder)
            model.embed_documents(warm)
            self.store.query(model.embed_query(warm[0]), k=1)  # opens the vector index

        def rerank() -> None:  # the shared model, outside this pipeline's lock
            shared_reranker(self.settings.retrieval.reranker).score(warm[0], warm)

        def language() -> None:  # word frequencies (spelling) and hyphenation (reading grade)
            from rag.readability import fk_grade
            from rag.spelling import zipf

            zipf("the")
            fk_grade("Warm up.")
            self.glossary  # noqa: B018 (loads it)

        with ThreadPoolExecutor(max_workers=3) as pool:
            loads = [pool.submit(dense), pool.submit(rerank), pool.submit(language)]
            self.retriever.snapshot()
            self.answerer.understanding()
            for load in loads:
                load.result()

    def health(self) -> dict[str, Any]:
        """``{"ok": bool, "chunks": int, "error": str}``: is the index reachable?"""
        try:
            return {"ok": True, "chunks": self.store.count(), "error": ""}
        except StoreError as exc:
            return {"ok": False, "chunks": 0, "error": str(exc)}

    def require_documents(self) -> None:
        """Raise EmptyIndexError when nothing is indexed yet."""
        if self.store.count() == 0:
            raise EmptyIndexError("the index is empty")

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents: doc_id, title, doc_type, year, chunks, source."""
        from rag.library import list_documents

        return list_documents(self.store)

    def stats(self) -> dict[str, int]:
        """``{"files", "documents", "chunks"}`` of the index."""
        from rag.library import index_stats

        return index_stats(self.store)

    def ingest(self, paths: Sequence[Path], prune: bool = False, progress: bool | None = None):  # type: ignore[no-untyped-def]
        """Ingest files or folders (incremental); returns the IngestReport."""
        from ingest.pipeline import Ingestor
        from rag.library import Overrides

        report: IngestReport = Ingestor(
            self.settings,
            store=self.store,
            embedder=self.embedder,
            progress=progress,
            overrides=Overrides.for_settings(self.settings),
        ).run(list(paths), prune=prune)
        self.refresh_index()
        return report

    def refresh_index(self) -> None:
        """Bring this host's index (rag/host_index.py) up to the store's current version now,
        so the next question does not wait for it (after an ingest, upload or delete)."""
        if self.store.count() or self._retriever is not None:
            self.retriever.snapshot()

    def add_document(
        self, name: str, data: bytes, change: MetadataChange | None = None
    ) -> dict[str, Any]:
        """Store an uploaded file under ``data_dir/uploads`` and ingest it (UploadError if it is
        refused before parsing), with ``change`` (type, year, trial) applied to its documents;
        returns the ingest report as JSON."""
        from rag.library import MetadataChange, Overrides, check_upload, save_upload

        safe = check_upload(name, data, self.settings.ingest.max_file_mb)
        overrides = Overrides.for_settings(self.settings)
        overrides.set_file(safe, change or MetadataChange())
        overrides.save()
        path = save_upload(name, data, self.settings)
        report = self.ingest([path], progress=False)
        if report.failed:
            path.unlink(missing_ok=True)
        return report.to_json()

    def remove_document(self, source: str) -> bool:
        """Remove the file ``source`` (a manifest key or a file name) and its chunks from the
        index, and the stored upload of that name; False when no such file is indexed."""
        from rag.library import remove_source, remove_upload

        removed = remove_source(self.store, source)
        remove_upload(source, self.settings)
        if removed:
            self.refresh_index()
        return removed

    def replace_document(
        self, source: str, name: str, data: bytes, change: MetadataChange | None = None
    ) -> dict[str, Any]:
        """Replace the indexed file ``source`` by an upload (checked first: UploadError leaves
        the old file indexed); returns the new file's ingest report as JSON."""
        from rag.library import check_upload

        check_upload(name, data, self.settings.ingest.max_file_mb)
        self.remove_document(source)
        return self.add_document(name, data, change)

    def set_metadata(self, doc_id: str, change: MetadataChange) -> dict[str, Any]:
        """Correct a document's type, year or trial: the correction is stored and the
        document's file is indexed again with it. UploadError when the document or its file
        is gone; returns the ingest report as JSON."""
        from citeqa.errors import UploadError
        from rag.library import Overrides

        key = self.store.doc_owner(doc_id)
        if key is None:
            raise UploadError(f"no indexed document {doc_id!r}")
        if not Path(key).is_file():
            raise UploadError(f"the file of {doc_id!r} is no longer on disk; add it again")
        overrides = Overrides.for_settings(self.settings)
        overrides.set_document(doc_id, change)
        overrides.save()
        self.store.delete_source(key)
        return self.ingest([Path(key)], progress=False).to_json()

    def reset_index(self) -> None:
        """Drop this index identity's data (for ``citeqa ingest --rebuild``)."""
        with self._lock:
            self.store.reset()
            self._store = None
            self._retriever = None
            self._answerer = None


def build_pipeline(settings: Settings | None = None) -> Pipeline:
    """The shared Pipeline for ``settings`` (one per distinct Settings in this process)."""
    settings = settings or get_settings()
    key = settings.model_dump_json()
    with _LOCK:
        if key not in _PIPELINES:
            _PIPELINES[key] = Pipeline(settings)
        return _PIPELINES[key]


def drop_pipeline(settings: Settings | None = None) -> None:
    """Forget the shared Pipeline for ``settings`` (e.g. after the store went away)."""
    key = (settings or get_settings()).model_dump_json()
    with _LOCK:
        _PIPELINES.pop(key, None)
