"""Properties of the question understanding on the shipped corpus (issue H "Must show").

- Ordinary words never veto an answer: 300 ordinary English words (seeded from the wordfreq
  list) are each inserted into an answerable dev question that the pipeline answers; the answer
  must not turn into an abstention.
- A near-miss identifier (a digit transposed or changed in a trial id the index uses) is never
  silently corrected: every one of 20 abstains with "Did you mean".
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from rag.lexicon import stopwords
from tests.helpers import REPO


def dev_questions(n: int = 12) -> list[str]:
    """Answerable clinician questions of the dev split (figures and design), in file order."""
    out = []
    for f in sorted((REPO / "evals/questions/dev").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("//"):
                continue
            q = json.loads(line)
            answerable = q["expect"].get("abstain") is False and not q.get("history")
            if answerable and q["category"] in ("figures", "design"):
                out.append(q["question"])
    return out[:n]


def ordinary_words(n: int = 300, seed: int = 7) -> list[str]:
    from wordfreq import top_n_list

    stop = stopwords()
    pool = [w for w in top_n_list("en", 6000)[500:] if w.isalpha() and len(w) >= 4]
    pool = [w for w in pool if w not in stop]
    return random.Random(seed).sample(pool, n)


@pytest.mark.slow
def test_ordinary_words_never_cause_an_abstention(corpus_settings: Any) -> None:
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(corpus_settings)
    base = [q for q in dev_questions() if not pipe.answer(q).abstained]
    assert len(base) >= 5, "the base questions must be answered"
    vetoed = []
    for i, word in enumerate(ordinary_words()):
        q = base[i % len(base)]
        asked = f"{q.rstrip('?')} ({word})?"
        if pipe.answer(asked).abstained:
            vetoed.append(asked)
    assert not vetoed, f"{len(vetoed)} of 300 abstained, e.g. {vetoed[:5]}"


def near_misses(names: list[str], n: int = 20, seed: int = 3) -> list[str]:
    """Identifiers one edit away from known ones (digits transposed or changed)."""
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        name = rng.choice(names)
        digits = [i for i, ch in enumerate(name) if ch.isdigit()]
        i = rng.choice(digits)
        chars = list(name)
        if rng.random() < 0.5 and i + 1 < len(chars) and chars[i + 1].isdigit():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = str((int(chars[i]) + rng.randint(1, 8)) % 10)
        miss = "".join(chars)
        if miss not in names:
            out.add(miss)
    return sorted(out)


@pytest.mark.slow
def test_near_miss_identifiers_abstain_with_did_you_mean(corpus_settings: Any) -> None:
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(corpus_settings)
    u = pipe.answerer.understanding()
    names = [u.entities.name(k) for k in u.entities.studies if any(c.isdigit() for c in k)]
    assert len(names) >= 4
    misses = near_misses(names)
    for miss in misses:
        ans = pipe.answer(f"What was the disease-free survival in {miss}?")
        assert ans.abstained and ans.query is not None and ans.query.did_you_mean, miss
        assert ans.abstain_reason is not None and ans.abstain_reason.code == "did-you-mean"


@pytest.mark.slow
def test_the_profiles_shorthand_is_never_spelling_corrected(corpus_settings: Any) -> None:
    """ "nejm" was corrected to "team" (a word the index uses, two edits away), which lost the
    report the question names."""
    from rag.pipeline import build_pipeline

    q = build_pipeline(corpus_settings).answerer.parse("median follow-up in the nejm paper?")
    assert "nejm" in q.text and "team" not in q.text
    assert q.slots.reports
