"""LangChain integration: the retriever as a ``BaseRetriever``, the pipeline as a ``Runnable``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from citeqa.answer import Answer
from citeqa.models import Filters
from citeqa.settings import Settings


class CiteqaRetriever(BaseRetriever):
    """Hybrid BM25 + dense + rerank retrieval over the citeqa index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: Any
    k: int = 8
    filters: Filters | None = None
    mode: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> CiteqaRetriever:
        from rag.pipeline import build_pipeline

        return cls(retriever=build_pipeline(settings).retriever, k=settings.retrieval.k, **kw)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        got = self.retriever.retrieve(query, k=self.k, filters=self.filters, mode=self.mode)
        docs = []
        for sc in got.chunks:
            c = sc.chunk
            docs.append(
                LCDocument(
                    page_content=c.text,
                    id=c.chunk_id,
                    metadata={
                        "chunk_id": c.chunk_id,
                        "doc_id": c.doc_id,
                        "label": c.label,
                        "section": c.section,
                        "page": c.page,
                        "doc_type": c.meta.doc_type,
                        "reference": c.meta.reference,
                        "url": c.meta.link(),
                        "score": sc.score,
                        "scores": dict(sc.scores),
                    },
                )
            )
        return docs


def answer_runnable(settings: Settings | None = None) -> Runnable[Any, Answer]:
    """The whole pipeline as a Runnable: input is a question string or
    ``{"question", "audience"?, "history"?, "filters"?}``; output is an ``Answer``."""
    from rag.pipeline import build_pipeline

    def run(inp: Any) -> Answer:
        pipe = build_pipeline(settings)
        if isinstance(inp, str):
            return pipe.answer(inp)
        return pipe.answer(
            inp["question"],
            audience=inp.get("audience", "clinician"),
            history=inp.get("history", ()),
            filters=inp.get("filters"),
        )

    return RunnableLambda(run, name="citeqa_answer")
