"""Section- and sentence-aware chunking with provenance.

Chunks never cross a section boundary, never cut a sentence (a sentence longer than the chunk
size is cut at whitespace), and repeat the last ``overlap`` sentences of the previous chunk.
A section may run over a page break: a chunk then carries its page span (``page``-``page_end``),
and a sentence across the break stays whole. A table-row section is one chunk and one quotable
unit. Each chunk keeps its sentence spans, page, section, a human label and its match text
(``ingest.textnorm.fold``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from citeqa.models import Chunk, Document, Section, Sentence, content_hash
from citeqa.settings import ChunkingSettings
from ingest.sentences import split_sentences
from ingest.textnorm import fold


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


def _groups(section: Section, cfg: ChunkingSettings) -> list[list[tuple[int, int]]]:
    if section.kind == "table-row":  # one row, one passage, one quotable unit
        return [[(0, len(section.text))]] if section.text.strip() else []
    spans = sentence_spans(section.text, cfg.size)
    return group_spans(spans, cfg.size, cfg.overlap, cfg.min_size)


def _chunk(doc: Document, section: Section, group: list[tuple[int, int]], ordinal: int) -> Chunk:
    start, end = group[0][0], group[-1][1]
    body = section.text[start:end]
    folded = fold(body)
    page, last = section.page_at(start), section.page_at(max(start, end - 1))
    return Chunk(
        chunk_id=content_hash(doc.doc_id, str(ordinal), body),
        doc_id=doc.doc_id,
        text=body,
        section=section.heading,
        page=page,
        ordinal=ordinal,
        char_start=start,
        char_end=end,
        sentences=tuple(Sentence(a - start, b - start) for a, b in group),
        label=_label(doc, section.heading),
        meta=doc.meta,
        kind=section.kind,
        table=section.table,
        cells=section.cells,
        page_end=last if last != page else None,
        ocr=section.ocr,
        match_text=folded.text if folded.text != body else "",
        match_map=folded.breaks if folded.text != body else (),
        page_breaks=tuple((a - start, p) for a, p in section.page_starts if start < a < end),
    )


def chunk_document(doc: Document, cfg: ChunkingSettings) -> list[Chunk]:
    """All chunks of ``doc`` in reading order."""
    chunks: list[Chunk] = []
    for section in doc.sections:
        for group in _groups(section, cfg):
            chunks.append(_chunk(doc, section, group, len(chunks)))
    return chunks


def chunk_documents(docs: Iterable[Document], cfg: ChunkingSettings) -> Iterator[Chunk]:
    for doc in docs:
        yield from chunk_document(doc, cfg)


def embedding_text(chunk: Chunk) -> str:
    """What the embedder and BM25 see: title, section (and table) give a passage its context;
    the passage itself as match text (folded typography)."""
    head = ". ".join(p for p in (chunk.meta.title, chunk.section) if p)
    body = chunk.match()
    return f"{head}. {body}" if head else body
