"""Faster code paths give exactly what the plain ones give (issue M: speed without changing any
decision). Pure functions, no model: part of the fast lane."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from citeqa.models import Metadata
from rag.entities import EntityIndex
from rag.evidence import Documents, reports_of
from rag.lexicon import _PAIR, mine_abbreviations, norm, pair_matches, words
from rag.rerank import CachedReranker
from rag.timing import collect

# Texts over the characters the abbreviation pattern cares about, with long runs so that the
# 160-character limit of a long form is crossed both ways.
_PIECES = st.sampled_from(
    ["(", ")", " ", "  ", "\n", "\t", ",", ";", "AB", "CD", "x", "Long", "form", "(IR)",
     "(MRD )", "( B-ALL)", "a" * 50, "b" * 150, "free survival", "\u00a0", "(HR, 0.4)"]
)  # fmt: skip
TEXTS = st.lists(_PIECES, max_size=60).map("".join)


@settings(max_examples=600, deadline=None)
@given(TEXTS)
def test_pair_matches_equal_the_plain_scan(text: str) -> None:
    plain = [(m.span(), m.groups()) for m in _PAIR.finditer(text)]
    fast = [(m.span(), m.groups()) for m in pair_matches(text)]
    assert fast == plain


def test_pair_matches_on_real_sentences() -> None:
    text = (
        "Minimal residual disease (MRD) guided therapy.\nEvent-free survival (EFS)\n(EFS) and "
        "overall survival (OS ) were reported; hazard ratio (HR, 0.39) (not an abbreviation). "
        + "x" * 200
        + " blinatumomab (Blincyto) (BLIN)"
    )
    assert [m.groups() for m in pair_matches(text)] == [m.groups() for m in _PAIR.finditer(text)]
    assert set(mine_abbreviations([text])) == {"MRD", "EFS", "OS"}


@given(st.text(alphabet="ab-'/:’ .cD1", max_size=40))
def test_words_equal_the_plain_split(text: str) -> None:
    from rag.lexicon import tokens

    plain: list[str] = []
    for tok in tokens(text):
        low = tok.lower().replace("’", "'")
        plain.append(low)
        parts = [p for p in re.split(r"[-'/]|::", low) if p]
        if len(parts) > 1:
            plain.extend(parts)
    assert words(text) == plain


# -- the cross-encoder cache ----------------------------------------------------------------


class CountingReranker:
    """A fake cross-encoder: the logit is the text's length minus the query's; counts pairs."""

    name = "counting"

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        self.pairs += [(query, t) for t in texts]
        return np.array([len(t) - len(query) for t in texts], dtype=np.float32)


def test_cached_reranker_gives_the_same_logits_and_scores_each_pair_once() -> None:
    inner = CountingReranker()
    ce = CachedReranker(inner, size=3)
    texts = ["alpha", "be", "alpha", "gamma ray"]
    with collect() as clock:
        first = ce.score("q", texts)
    assert first.dtype == np.float32
    assert np.array_equal(first, inner.score("q", texts))
    assert clock["cross-encoder"] >= 0
    inner.pairs.clear()
    assert np.array_equal(ce.score("q", ["gamma ray", "be"]), [8.0, 1.0])
    assert inner.pairs == []  # both kept
    ce.score("other", ["be"])  # a fourth pair: the least recently used one goes
    ce.score("q", ["alpha", "be"])
    assert inner.pairs == [("other", "be"), ("q", "alpha")]
    assert len(ce.score("q", [])) == 0


def test_no_cache_still_dedupes_within_a_call() -> None:
    inner = CountingReranker()
    ce = CachedReranker(inner, size=0)
    assert list(ce.score("q", ["ab", "ab", "abc"])) == [1.0, 1.0, 2.0]
    ce.score("q", ["ab"])
    assert inner.pairs == [("q", "ab"), ("q", "abc"), ("q", "ab")]


# -- per-version lookups -----------------------------------------------------------------------


def test_indexed_documents_give_the_same_report_series() -> None:
    from tests.test_evidence import DOCS

    extra = {
        "late": Metadata("late", venue="Blood", year=2026, doc_type="journal-article", nct="NCT03914625"),
        "other": Metadata("other", year=2020, doc_type="journal-article", trial="TOWER", nct="NCT9"),
        "bare": Metadata("bare", year=2021, doc_type="journal-article"),
    }  # fmt: skip
    plain = {**DOCS, **extra}
    indexed = Documents(plain)
    for doc_id in [*plain, "missing"]:
        assert reports_of(doc_id, indexed) == reports_of(doc_id, plain)


def test_unknown_identifiers_with_normalised_known_words() -> None:
    ents = EntityIndex.build([], common=["COVID-19"])
    ents.studies["aall1731"].add("d")
    known = ["ZUMA-3", "blinatumomab", "e1910"]
    text = "AALL1731 vs ZUMA3, E-1910, AALL9999, COVID-19 and NCT-0001 in 2024"
    plain = ents.unknown_identifiers(text, known)
    assert plain == ["AALL9999", "NCT-0001"]
    assert ents.unknown_identifiers_in(text, frozenset(norm(k) for k in known)) == plain


def test_pairs_of_several_queries_score_as_their_queries_do() -> None:
    from rag.rerank import score_pairs

    inner = CountingReranker()
    pairs = [("my child has fever", "hot"), ("my child has a rash", "hot"), ("q", "abc")]
    want = [inner.score(q, [t])[0] for q, t in pairs]
    assert list(score_pairs(inner, pairs)) == want  # a plain Reranker: one call per query
    assert list(CachedReranker(CountingReranker()).score_pairs(pairs)) == want
