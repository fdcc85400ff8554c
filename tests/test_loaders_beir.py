"""BEIR corpus.jsonl loader: the SciFact corpus and bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_file
from tests.loaders_support import shared


def _jsonl(tmp_path: Path, lines: list[str], name: str = "corpus.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _reason(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path)
    return info.value.reason


@pytest.mark.slow  # reads a whole real corpus: seconds, out of the fast lane
def test_scifact_corpus() -> None:
    path = shared("benchmarks", "scifact", "corpus.jsonl")
    docs = load_file(path)
    assert len(docs) == 5183
    assert len({d.doc_id for d in docs}) == 5183
    first = docs[0]
    assert first.doc_id == "4983"
    assert first.meta.title == (
        "Microstructural development of human newborn cerebral white matter assessed in vivo "
        "by diffusion tensor magnetic resonance imaging."
    )
    assert first.meta.doc_type == "journal-article"
    assert [s.heading for s in first.sections] == [""]
    assert first.sections[0].text.startswith("Alterations of the architecture of cerebral white")
    assert first.meta.reference == first.meta.title
    sha = first.source_sha256
    assert all(d.source_sha256 == sha and d.source_path == str(path) for d in docs)
    assert all(d.sections[0].text and "  " not in d.sections[0].text for d in docs)


def test_small_corpus(tmp_path: Path) -> None:
    rows = [
        {"_id": "a1", "title": "First", "text": "Some   text\nhere."},
        {"_id": 42, "title": "", "text": "Numeric id."},
        {"_id": "t", "title": "Title only", "text": ""},
    ]
    path = _jsonl(tmp_path, [json.dumps(r) for r in rows[:2]] + ["", json.dumps(rows[2])])
    docs = load_file(path)
    assert [d.doc_id for d in docs] == ["a1", "42", "t"]
    assert docs[0].sections[0].text == "Some text here."
    assert docs[2].sections[0].text == "Title only"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "line 2: invalid JSON: "),
        ("[1, 2]", "line 2: expected a JSON object, got list"),
        ('{"title": "x", "text": "y"}', "line 2: missing '_id'"),
        ('{"_id": "", "text": "y"}', "line 2: empty '_id'"),
        ('{"_id": "b", "text": ["y"]}', "line 2: field 'text' must be a string"),
        ('{"_id": "b", "title": "", "text": ""}', "line 2: empty 'title' and 'text'"),
        ('{"_id": "a", "text": "dup"}', "line 2: duplicate _id 'a'"),
    ],
)
def test_bad_line_fails_the_file(tmp_path: Path, bad: str, reason: str) -> None:
    path = _jsonl(tmp_path, ['{"_id": "a", "title": "ok", "text": "fine"}', bad])
    assert _reason(path).startswith(reason)
