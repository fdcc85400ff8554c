"""The speller against a small hand-made index vocabulary (real symspellpy, wordfreq and the
system's medical word list, which `.ci/run` installs)."""

from __future__ import annotations

from collections import Counter

import pytest

from rag.lexicon import IndexLexicon
from rag.spelling import Speller

INDEX_WORDS = ["blinatumomab", "rituximab", "chemotherapy", "survival", "relapse"]


def speller() -> Speller:
    lex = IndexLexicon(n_docs=1, surface=Counter({w: 3 for w in INDEX_WORDS}))
    return Speller(lex, ["AALL1731", "AALL0932"], ("mab", "ine"), variant_zipf=3.0)


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("how is blinatumamab given?", "how is blinatumomab given?"),
        ("blinatumumab side effects", "blinatumomab side effects"),
    ],
)
def test_a_misspelt_drug_name_with_one_near_index_name_is_corrected(
    typed: str, searched: str
) -> None:
    fixed = speller().correct(typed)
    assert fixed.text == searched and not fixed.did_you_mean


def test_a_real_drug_name_is_never_changed_into_an_indexed_one() -> None:
    # cetuximab is two edits from rituximab, but it is another drug (medical word list)
    fixed = speller().correct("does cetuximab work?")
    assert fixed.text == "does cetuximab work?" and not fixed.did_you_mean


def test_a_near_miss_trial_identifier_still_asks_did_you_mean() -> None:
    fixed = speller().correct("DFS in AALL1371?")
    assert fixed.text == "DFS in AALL1371?" and fixed.did_you_mean == ("AALL1731",)
