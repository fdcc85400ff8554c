"""The Answer schema (issue L): one JSON Schema file, generated from the dataclasses, that every
answer validates against; existing keys keep their names."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from citeqa.answer import (
    SCHEMA_VERSION,
    Answer,
    AnswerSentence,
    Audience,
    Citation,
    Notice,
    json_schema,
)
from tests.helpers import REPO

SCHEMA_FILE = REPO / "citeqa" / "answer.schema.json"


def sample() -> Answer:
    c = Citation(1, "c1", "d1", "T", "Ref.", "journal-article", "p. 2, Results", "q", "p q")
    return Answer(
        "What?",
        Audience.FAMILY,
        "q [1]",
        False,
        sentences=(AnswerSentence("q", (1,)),),
        citations=(c,),
        notices=(Notice("population", "TOWER enrolled adults.", (1,)),),
        readability={"fk_grade": 3.0},
        timings_ms={"total": 1.0},
    )


def test_schema_file_is_the_generated_schema() -> None:
    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(json_schema())), "run: citeqa schema > " + str(
        SCHEMA_FILE
    )


@pytest.mark.parametrize("abstained", [False, True])
def test_answers_validate_against_the_schema(abstained: bool) -> None:
    ans = sample() if not abstained else Answer("Q", Audience.CLINICIAN, "none", True)
    obj: dict[str, Any] = ans.to_json()
    jsonschema.validate(obj, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert obj["schema_version"] == SCHEMA_VERSION
    assert obj["audience"] in ("clinician", "family")


def test_existing_keys_keep_their_names() -> None:
    obj = sample().to_json()
    for key in ("answer", "abstained", "citations", "timings_ms", "readability", "sentences"):
        assert key in obj
    for key in ("quote", "locator", "doc_id", "reference", "title", "doc_type", "url"):
        assert key in obj["citations"][0]


def test_answer_is_frozen() -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        sample().answer = "changed"  # type: ignore[misc]
