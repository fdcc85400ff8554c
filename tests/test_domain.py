"""Domain profile validation (citeqa/domain.py): bad domain data fails at load, with a reason."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from citeqa.domain import Vocabulary, load_profile


def _vocabulary(**changes: object) -> dict[str, object]:
    raw = load_profile("ball-blinatumomab").vocabulary.model_dump()
    raw.update(changes)
    return raw


def test_the_shipped_vocabulary_is_valid() -> None:
    Vocabulary.model_validate(_vocabulary())


@pytest.mark.parametrize(
    "change",
    [
        {"synonyms": [["emergency services", "911"]]},
        {"abbreviations": {"1L": "first line"}},
    ],
)
def test_synonyms_and_shorthand_with_digits_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="may not contain digits"):
        Vocabulary.model_validate(_vocabulary(**change))
