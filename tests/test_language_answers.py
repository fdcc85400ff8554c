"""A question in another language is answered from the indexed passages in that language, and
declined in it when none answers (rag/answer.py, rag/language.py); real models, a small index
of a Spanish explainer written here and two English explainers of the shipped corpus."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from citeqa.domain import load_profile
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow

SPANISH = """---
doc_id: blinatumomab-familias-es
title: "El blinatumomab explicado a las familias"
authors: []
venue: "Hoja de prueba de citeqa"
year: 2026
doc_type: plain-language
audience: family
---

# El blinatumomab explicado a las familias

## Cómo se administra

El blinatumomab se administra por una vena, sin parar, durante 28 días en cada ciclo.
Una bomba pequeña empuja el medicamento de día y de noche.

## Efectos secundarios

La fiebre y los escalofríos pueden ser señales del síndrome de liberación de citoquinas.
"""


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from citeqa.settings import Settings
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("mixed")
    docs = root / "docs"
    docs.mkdir()
    (docs / "familias-es.md").write_text(SPANISH, encoding="utf-8")
    for name in ("family-blinatumomab.md", "family-infusion.md"):
        shutil.copy(Path(CORPUS) / "family" / name, docs / name)
    settings = Settings(index_dir=root / "ix")
    assert Ingestor(settings, progress=False).run([docs]).failed == []
    return settings


def test_a_spanish_question_is_answered_from_the_spanish_document(mixed_index: Any) -> None:
    from rag.answer import answer

    q = "¿Durante cuántos días se administra el blinatumomab en cada ciclo de tratamiento?"
    ans = answer(q, audience="family", settings=mixed_index)
    assert not ans.abstained and "28 días" in ans.answer
    assert "language:es" in ans.query.flags
    assert {c.doc_id for c in ans.citations} == {"blinatumomab-familias-es"}


def test_a_spanish_question_no_spanish_passage_answers_is_declined_in_spanish(
    mixed_index: Any,
) -> None:
    from rag.answer import answer

    q = "¿Qué porcentaje de niños seguían vivos y sin leucemia después de cuatro años?"
    ans = answer(q, audience="family", settings=mixed_index)
    assert ans.abstained and not ans.citations
    assert ans.answer == load_profile("ball-blinatumomab").texts.decline_for("es")


def test_an_english_question_still_reads_every_document(mixed_index: Any) -> None:
    from rag.answer import answer

    ans = answer("How long does each blinatumomab cycle run?", "family", settings=mixed_index)
    assert not ans.abstained and not any(c.doc_id.endswith("-es") for c in ans.citations)
