"""Synonym groups of a question (the profile's ``synonyms``): which members a text uses, and
the other members the indexed documents use ("comes back" -> relapse; "heart" -> cardiac)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.lexicon import content_stems, stopwords, words

if TYPE_CHECKING:
    from rag.query import Understanding

Groups = list[tuple[list[str], list[str]]]  # per synonym group: members used, others indexed


def synonyms_of(groups: Groups) -> list[str]:
    """The index's words for the plain (or other) words of a text, from its ``groups``
    (:func:`synonym_groups`): every other member of a group one of whose members the text uses,
    when the documents use it ("comes back" -> relapse; "heart" -> cardiac)."""
    out: list[str] = []
    for _, others in groups:
        out += [w for w in others if w not in out]
    return out


def foreign_synonyms(groups: Groups, u: Understanding) -> list[str]:
    """The index's words for the words of a text that the index never uses ("heart" ->
    cardiac): what the cross-encoder needs beside the question. A word the index uses has its
    own passages, and a list of its synonyms beside the question only blurs it."""
    out: list[str] = []
    for used, others in groups:
        if not any(_index_says(w, u) for w in used):
            out += [w for w in others if w not in out]
    return out


def synonym_groups(text: str, u: Understanding) -> Groups:
    """Per synonym group ``text`` uses: the members it uses, and the other members the
    documents use."""
    low = f" {' '.join(words(text))} "
    out = []
    for group in u.vocab.synonyms:
        used = [w for w in group if f" {w.lower()} " in low]
        if used:
            out.append((used, [w for w in group if w not in used and _index_says(w, u)]))
    return out


def alternatives_of(
    groups: Groups, terms: Sequence[str]
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """A text's synonym ``groups`` as stems per phrase, limited to topic ``terms``."""
    keep = set(terms)
    out = []
    for used, others in groups:
        phrases = [tuple(s for s in content_stems(w) if s in keep) for w in used + others]
        phrases = [p for p in dict.fromkeys(phrases) if p]
        if len(phrases) > 1:
            out.append(tuple(phrases))
    return tuple(out)


def _index_says(phrase: str, u: Understanding) -> bool:
    return all(u.lexicon.knows(w) for w in words(phrase) if w not in stopwords())
