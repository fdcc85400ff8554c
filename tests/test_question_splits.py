"""The dev and test question splits (issue P): grouped apart, and big enough per kind.

The test split is read here by the machine only; developers see its aggregates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.qmetrics import Question, parse_question

QDIR = Path(__file__).resolve().parents[1] / "evals" / "questions"
SPLITS = {"dev": ("dev", "dev-real"), "test": ("test", "test-real")}
# issue P's minimums per split: distinct answerable facts, family-audience questions, kinds
MINIMUMS = {
    "dev": {"facts": 120, "family": 60, "near-miss": 40, "follow-up": 40,
            "parent-message": 40, "comparison": 20, "false-premise": 20},
    "test": {"facts": 80, "family": 40, "near-miss": 25, "follow-up": 25,
             "parent-message": 25, "comparison": 15, "false-premise": 15},
}  # fmt: skip


def load(folder: str) -> list[Question]:
    out = []
    for f in sorted((QDIR / folder).glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("//"):
                out.append(parse_question(json.loads(line)))
    return out


def split(name: str) -> list[Question]:
    return [q for folder in SPLITS[name] for q in load(folder)]


def test_no_group_or_document_in_both_splits() -> None:
    dev, test = split("dev"), split("test")
    assert dev and test
    shared_groups = {q.group for q in dev} & {q.group for q in test}
    shared_docs = {d for q in dev for d in q.docs} & {d for q in test for d in q.docs}
    assert not shared_groups, sorted(shared_groups)
    assert not shared_docs, sorted(shared_docs)


def test_every_question_has_a_group_and_unique_id() -> None:
    for name in SPLITS:
        qs = split(name)
        assert all(q.group for q in qs)
        ids = Counter(q.id for q in qs)
        assert not [i for i, n in ids.items() if n > 1]


def test_real_document_sets_are_disjoint() -> None:
    specs = [json.loads((QDIR / f / "docs.json").read_text()) for f in ("dev-real", "test-real")]
    for key in ("scifact", "sources"):
        assert not set(specs[0][key]) & set(specs[1][key])


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_minimum_counts_per_kind(name: str) -> None:
    qs = [q for q in split(name) if q.id.startswith(name)]
    corpus = [q for q in qs if "-real-" not in q.id]
    kinds = Counter(q.category for q in corpus)
    counts = {
        **kinds,
        "facts": len({q.group for q in corpus if q.expect.abstain is False}),
        "family": sum(q.audience == "family" for q in corpus),
    }
    short = {k: (counts.get(k, 0), v) for k, v in MINIMUMS[name].items() if counts.get(k, 0) < v}
    assert not short, short
    assert kinds["off-topic"] and kinds["dosing"]
