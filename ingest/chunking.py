"""Section- and sentence-aware chunking with provenance.

Chunks never cross a section (or page) boundary, never cut a sentence (a sentence longer than
the chunk size is cut at whitespace), and repeat the last ``overlap`` sentences of the previous
chunk. Each chunk keeps its sentence spans, page, section and a human label.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from citeqa.models import Chunk, Document, Sentence, content_hash
from citeqa.settings import ChunkingSettings
from ingest.sentences import split_sentences


def _cut_long(text: str, a: int, b: int, size: int) -> list[tuple[int, int]]:
    """Split an over-long sentence span at whitespace into pieces of at most ``size``."""
    pieces: list[tuple[int, int]] = []
    while b - a > size:
        cut = text.rfind(" ", a + size // 2, a + size)
        cut = cut if cut > a else a + size
        pieces.append((a, cut))
        a = cut
        while a < b and text[a].isspace():
            a += 1
    if b > a:
        pieces.append((a, b))
    return pieces


def sentence_spans(text: str, size: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for a, b in split_sentences(text):
        spans.extend(_cut_long(text, a, b, size) if b - a > size else [(a, b)])
    return spans


def group_spans(
    spans: list[tuple[int, int]], size: int, overlap: int, min_size: int
) -> list[list[tuple[int, int]]]:
    """Greedy packing of sentence spans into groups of at most ``size`` characters."""
    groups: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    fresh = 0  # sentences in ``cur`` that are not overlap from the previous group
    for span in spans:
        if cur and fresh and span[1] - cur[0][0] > size:
            groups.append(cur)
            keep = cur[-overlap:] if overlap else []
            # drop overlap that would leave no room for the new sentence
            while keep and span[1] - keep[0][0] > size:
                keep = keep[1:]
            cur, fresh = list(keep), 0
        cur.append(span)
        fresh += 1
    if cur and fresh:
        groups.append(cur)
    # merge a too-short tail into its predecessor when it fits reasonably
    if len(groups) > 1:
        tail, prev = groups[-1], groups[-2]
        if tail[-1][1] - tail[0][0] < min_size and tail[-1][1] - prev[0][0] <= size * 1.5:
            merged = prev + [s for s in tail if s not in prev]
            groups[-2:] = [merged]
    return groups


def _label(doc: Document, section: str) -> str:
    try:
        from ingest.reference import human_label
    except ImportError:  # pragma: no cover - reference module always ships
        return f"{doc.meta.title}, {section}".strip(", ")
    return human_label(doc.meta, section)


def chunk_document(doc: Document, cfg: ChunkingSettings) -> list[Chunk]:
    """All chunks of ``doc`` in reading order."""
    chunks: list[Chunk] = []
    for section in doc.sections:
        text = section.text
        spans = sentence_spans(text, cfg.size)
        label = _label(doc, section.heading)
        for group in group_spans(spans, cfg.size, cfg.overlap, cfg.min_size):
            start, end = group[0][0], group[-1][1]
            body = text[start:end]
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=content_hash(doc.doc_id, str(ordinal), body),
                    doc_id=doc.doc_id,
                    text=body,
                    section=section.heading,
                    page=section.page,
                    ordinal=ordinal,
                    char_start=start,
                    char_end=end,
                    sentences=tuple(Sentence(a - start, b - start) for a, b in group),
                    label=label,
                    meta=doc.meta,
                )
            )
    return chunks


def chunk_documents(docs: Iterable[Document], cfg: ChunkingSettings) -> Iterator[Chunk]:
    for doc in docs:
        yield from chunk_document(doc, cfg)


def embedding_text(chunk: Chunk) -> str:
    """What the embedder and BM25 see: title and section give a passage its context."""
    head = ". ".join(p for p in (chunk.meta.title, chunk.section) if p)
    return f"{head}. {chunk.text}" if head else chunk.text
