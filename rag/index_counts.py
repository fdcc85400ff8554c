"""What the answer path derives from every indexed chunk, kept as counts that chunks can be
added to and taken out of (rag/host_index.py keeps them per store version).

:class:`IndexCounts` holds the sums behind :class:`~rag.lexicon.IndexLexicon` (document
frequencies of stems, surface word counts, the "long form (SHORT)" pairs of the chunk texts and
of the document titles) and every document's metadata (that of its first chunk) with its
number of chunks. Adding the chunks of an index one by one, in the store's order, gives exactly
what ``IndexLexicon.build`` and ``Sources.of`` give for that order, key order included
(tests/test_host_index.py); taking chunks out subtracts what adding them added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from citeqa.models import Chunk, Metadata
from rag.lexicon import IndexLexicon, abbreviation_pairs, best_abbreviations, stem, words

K = TypeVar("K")


def _take(counter: Counter[K], items: Iterable[K]) -> None:
    """Subtract one per item, dropping keys that reach zero."""
    for x in items:
        n = counter[x] - 1
        if n > 0:
            counter[x] = n
        else:
            del counter[x]


@dataclass
class IndexCounts:
    """See the module docstring. Not thread-safe: copy (:meth:`copy`), then change the copy."""

    n_chunks: int = 0
    df: Counter[str] = field(default_factory=Counter)
    surface: Counter[str] = field(default_factory=Counter)
    text_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    title_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    docs: dict[str, Metadata] = field(default_factory=dict)  # first chunk's, in first-seen order
    doc_chunks: Counter[str] = field(default_factory=Counter)

    def copy(self) -> IndexCounts:
        return IndexCounts(
            self.n_chunks,
            Counter(self.df),
            Counter(self.surface),
            Counter(self.text_pairs),
            Counter(self.title_pairs),
            dict(self.docs),
            Counter(self.doc_chunks),
        )

    def add(self, chunks: Iterable[Chunk]) -> None:
        for c in chunks:
            ws = _words(c)
            self.surface.update(ws)
            self.df.update(list(dict.fromkeys(stem(w) for w in ws)))
            self.text_pairs.update(abbreviation_pairs(c.text))
            if c.doc_id not in self.docs:
                self.docs[c.doc_id] = c.meta
                if c.meta.title:
                    self.title_pairs.update(abbreviation_pairs(c.meta.title))
            self.doc_chunks[c.doc_id] += 1
            self.n_chunks += 1

    def remove(self, chunks: Iterable[Chunk]) -> None:
        """Take out chunks added before (each once)."""
        for c in chunks:
            ws = _words(c)
            _take(self.surface, ws)
            _take(self.df, {stem(w) for w in ws})
            _take(self.text_pairs, abbreviation_pairs(c.text))
            _take(self.doc_chunks, [c.doc_id])
            if c.doc_id not in self.doc_chunks:
                meta = self.docs.pop(c.doc_id)
                if meta.title:
                    _take(self.title_pairs, abbreviation_pairs(meta.title))
            self.n_chunks -= 1

    def lexicon(self) -> IndexLexicon:
        """The IndexLexicon of the counted chunks (its counters are copies)."""
        return IndexLexicon(
            n_docs=self.n_chunks,
            df=Counter(self.df),
            surface=Counter(self.surface),
            abbreviations=best_abbreviations(self.text_pairs + self.title_pairs),
        )


def _words(c: Chunk) -> list[str]:
    return words(f"{c.meta.title}\n{c.section}\n{c.match()}")
