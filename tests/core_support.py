"""Small builders for the answering-core tests: chunks, an Understanding, a fake reranker.

The fake reranker stands in for the cross-encoder (which runs in tests/test_answers.py and the
question benchmark): it scores a text by how many query words it contains, so tests of the
rules around it run in milliseconds and are deterministic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from citeqa.domain import load_profile
from citeqa.models import Chunk, Metadata, ScoredChunk, Sentence
from ingest.sentences import split_sentences
from rag.entities import EntityIndex
from rag.lexicon import IndexLexicon, content_stems
from rag.query import Understanding

PROFILE = load_profile("ball-blinatumomab")


def chunk(doc_id: str, text: str, section: str = "Results", ordinal: int = 0, **meta: Any) -> Chunk:
    m = Metadata(doc_id=doc_id, title=meta.pop("title", f"Report {doc_id}"), **meta)
    return Chunk(
        chunk_id=f"{doc_id}-{ordinal}",
        doc_id=doc_id,
        text=text,
        section=section,
        page=None,
        ordinal=ordinal,
        char_start=0,
        char_end=len(text),
        sentences=tuple(Sentence(a, b) for a, b in split_sentences(text)),
        label=f"{doc_id}, {section}",
        meta=m,
    )


def understanding(chunks: Sequence[Chunk]) -> Understanding:
    return Understanding(
        lexicon=IndexLexicon.build(chunks),
        entities=EntityIndex.build(chunks, PROFILE.vocabulary.common_acronyms),
        vocab=PROFILE.vocabulary,
    )


def scored(chunks: Sequence[Chunk]) -> list[ScoredChunk]:
    return [ScoredChunk(c, 1.0 / (i + 1), {"rrf": 1.0 / (i + 1)}) for i, c in enumerate(chunks)]


class OverlapReranker:
    """A fake cross-encoder: logit = 2 * (shared content stems) - 4."""

    name = "overlap"

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        q = set(content_stems(query))
        return np.array([2.0 * len(q & set(content_stems(t))) - 4.0 for t in texts], "float32")


TRIALS = [
    chunk(
        "nejm-a",
        "In AALL1731, 3-year DFS was 96.0% with blinatumomab versus 87.9% with chemotherapy. "
        "The hazard ratio for DFS was 0.39 (95% CI 0.24-0.64).",
        trial="AALL1731",
        title="Blinatumomab in standard-risk B-ALL",
        venue="N Engl J Med",
        year=2025,
        authors=("Gupta S",),
    ),
    chunk(
        "ash-a",
        "In AALL1731, 4-year DFS was 94.8% in the blinatumomab arms versus 86.9% with "
        "chemotherapy alone. The median follow-up was 3.5 years.",
        trial="AALL1731",
        title="AALL1731 update",
        venue="ASH 2025 Annual Meeting",
        year=2025,
        abstract_number="758",
    ),
    chunk(
        "jama-b",
        "In AALL1331, 2-year DFS was 54.4% with blinatumomab versus 39.0% with chemotherapy.",
        trial="AALL1331",
        title="Blinatumomab in first relapse",
        venue="JAMA",
        year=2021,
    ),
    chunk(
        "fam",
        "Signs of CRS can include:\n\nFever or chills\nA fast heartbeat\nTrouble breathing\n\n"
        "It is not chemo. Cytokine release syndrome (CRS) can happen in the first days.",
        section="Side effects",
        doc_type="plain-language",
        title="Blinatumomab for families",
    ),
]
