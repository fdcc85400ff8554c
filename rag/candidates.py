"""Quotable units of the retrieved passages, each with the context it inherits.

A unit is a sentence, or a list with its lead-in ("Call your child's care team right away if
your child has:" and its items): a list is quoted whole, never as items restated as claims.
Each unit carries its context: the document's title and the section, and the previous sentence
when the unit leans on it ("It is ..."). The cross-encoder reads the unit with that context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from citeqa.models import Chunk, ScoredChunk
from ingest.sentences import MARKER_RE
from ingest.textnorm import match_text
from rag.citations import strip_markers
from rag.question import is_injection

# Sentences that lean on the one before: a pronoun subject ("It is ...", "This can ..."), also
# after an opening phrase ("In the chemo-only groups, it was 86.9%."), or a bare "the figure was".
DANGLING = re.compile(
    r"^(?:(?:in|with|for|among|at|after|by|without|from|of)\b(?:[^,.;:]|\.(?=\d)){0,60},\s*)?"
    r"(?:(?:it|this|that|these|those|they|both|he|she|such|its|their)\b"
    r"|the\s+(?:figure|rate|number|share|proportion)\s+(?:was|were|is|are)\b)"
    r"|^(?:[^.;:]|\.(?=\d)){0,40}?\b(?:of|among)\s+(?:them|these)\b"  # "92.8% of them"
    # a bare percentage as the subject, after at most a time phrase: "After 4 years, 82.3%
    # were alive" (82.3% of the group the sentence before named)
    r"|^(?:(?:after|at|by|within)\s+[^,.;:]{0,30}?\b(?:years?|months?|weeks?|days?),\s*)?"
    r"\d+(?:\.\d+)?\s?%\s+(?:were|was|had|did|got|reached|achieved|remained|stayed|developed"
    r"|died|relapsed|survived)\b"
    # a part of what the sentence before named ("One end holds on to a T cell. The other end
    # ..."), and a consequence of it ("So blinatumomab lowers healthy B cells, too.")
    r"|^(?:one|the other|the first|the second)\s+(?:end|side|part|half|kind|type)\b"
    r"|^(?:so|thus|therefore|hence)\b(?!\s+(?:far|much|many|long)\b)",
    re.I,
)
_CHAIN = 4  # at most this many sentences quoted as one unit
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Unit:
    """One quotable unit (see the module docstring)."""

    text: str  # what is quoted: a sentence, or the lead-in of a list
    items: tuple[str, ...]  # list items ("" for a sentence)
    passage: ScoredChunk
    rank: int  # fused rank of the passage
    position: int  # index of the (first) sentence in the chunk
    span: tuple[int, int]  # offsets of the unit in chunk.text
    context: str  # title and section (and the sentence leaned on)

    @property
    def chunk(self) -> Chunk:
        return self.passage.chunk

    @property
    def doc_id(self) -> str:
        return self.passage.chunk.doc_id

    @property
    def full(self) -> str:
        """The unit's whole text: the sentence, or the lead-in and every item."""
        return "\n".join([self.text, *self.items]) if self.items else self.text

    @property
    def match(self) -> str:
        """The unit's match text (typography folded: hyphens, minus, spaces, superscripts),
        for every comparison with the question; quotes use :attr:`full`."""
        return match_text(self.full)

    def scored_text(self) -> str:
        """What the cross-encoder reads: context, then the unit (match text)."""
        return f"{self.context} {self.match}".strip()


def context_of(chunk: Chunk, prev: str) -> str:
    """The section heading, and the sentence a dangling unit leans on. (The title is left
    out: it would make every sentence of a document read as equally relevant.)"""
    head = chunk.section.strip()
    return f"{head}: {prev}".strip() if prev else f"{head}:" if head else ""


def quotable(text: str, boilerplate: re.Pattern[str] | None) -> bool:
    """A sentence worth quoting: a complete sentence or a long line, not a heading, a question,
    our own boilerplate, or text that tries to instruct the reader."""
    stripped = text.strip()
    n_words = len(stripped.split())
    if n_words < 2 or stripped.endswith("?"):
        return False
    if n_words < 5 and not stripped.endswith((".", "!")):
        return False  # a heading or a fragment
    if boilerplate is not None and boilerplate.search(stripped):
        return False
    return not is_injection(stripped)


def _items_from(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """The items of the list block starting at ``start`` (one a line, bullets dropped, up to
    the next blank line) and where it ends; no items when the block has fewer than two."""
    end = text.find("\n\n", start)
    end = len(text) if end < 0 else end
    lines = [_BULLET.sub("", ln).strip() for ln in text[start:end].split("\n")]
    items = tuple(ln for ln in lines if ln)
    return (items, end) if len(items) >= 2 else ((), start)


def list_items(chunk: Chunk, lead_end: int) -> tuple[tuple[str, ...], int]:
    """The list after a lead-in ending at ``lead_end``: its items (one a line, up to the next
    blank line) and the offset where the list ends."""
    m = re.match(r"\s*\n", chunk.text[lead_end:])
    if not m:
        return (), lead_end
    items, end = _items_from(chunk.text, lead_end + m.end())
    return (items, end) if items else ((), lead_end)


def opening_list(chunk: Chunk) -> tuple[tuple[str, ...], int]:
    """A list that opens the passage, under its section heading as the lead-in ("Call the care
    team right away if" and its items): its items (one a line, up to the first blank line) and
    the offset where it ends. Table rows and passages without a heading have none."""
    if chunk.kind != "text" or not chunk.section.strip():
        return (), 0
    return _items_from(chunk.text, 0)


def units_of(sc: ScoredChunk, rank: int, boilerplate: re.Pattern[str] | None = None) -> list[Unit]:
    """The quotable units of one retrieved passage, in reading order. A sentence that leans on
    the one before ("This includes children with ...") is quoted together with it. List items
    are quoted only as their list, after its lead-in sentence or (a list opening the passage)
    its section heading: never one by one, as claims about the reader's child."""
    chunk = sc.chunk
    spans = chunk.sentences
    out: list[Unit] = []
    items, skip_until = opening_list(chunk)
    if items:
        lead = chunk.section.strip()
        out.append(Unit(lead, items, sc, rank, 0, (0, skip_until), context_of(chunk, "")))
    chain: list[tuple[int, str, int]] = []  # (start, text, position): what may be leaned on
    for pos, s in enumerate(spans):
        raw = chunk.text[s.start : s.end]
        if s.start < skip_until:
            continue
        text = strip_markers(raw) if MARKER_RE.search(raw) else raw
        if text.rstrip().endswith(":"):
            items, end = list_items(chunk, s.end)
            if items:
                ctx = context_of(chunk, "")
                out.append(Unit(text.strip(), items, sc, rank, pos, (s.start, end), ctx))
                skip_until = end
                chain = []
                continue
        flat = " ".join(text.split())
        if not quotable(text, boilerplate):
            chain = []
            continue
        if DANGLING.match(flat) and chain and _same_paragraph(chunk, chain[-1][0], s.start):
            chain = chain[-(_CHAIN - 1) :]  # "X. It is ... In most, it is ...", contiguous
            whole = " ".join([*(c[1] for c in chain), flat])
            span = (chain[0][0], s.end)
            out.append(Unit(whole, (), sc, rank, chain[0][2], span, context_of(chunk, "")))
            chain.append((s.start, flat, pos))
            continue
        out.append(Unit(flat, (), sc, rank, pos, (s.start, s.end), context_of(chunk, "")))
        chain = [(s.start, flat, pos)]
    return out


def _same_paragraph(chunk: Chunk, start: int, end: int) -> bool:
    return "\n\n" not in chunk.text[start:end]


def units_from(
    passages: Sequence[ScoredChunk], boilerplate: re.Pattern[str] | None = None
) -> list[Unit]:
    """Units of every passage (a sentence repeated by the overlap of chunks counts once)."""
    seen: set[str] = set()
    out: list[Unit] = []
    for rank, sc in enumerate(passages):
        for u in units_of(sc, rank, boilerplate):
            key = " ".join(u.full.lower().split())
            if key not in seen:
                seen.add(key)
                out.append(u)
    return out
