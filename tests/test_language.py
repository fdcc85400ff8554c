"""rag.language: another language is named only when it is clear; clinical shorthand never is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from citeqa.domain import load_profile
from rag.language import MIN_WORDS, detect_language, words

REPO = Path(__file__).resolve().parents[1]


def nothing_known(word: str) -> bool:
    return False


@pytest.fixture(scope="module")
def corpus_vocabulary() -> set[str]:
    """The index's vocabulary as the answer path would see it: every word of the corpus."""
    vocab: set[str] = set()
    for path in (REPO / "corpus").rglob("*.md"):
        vocab.update(words(path.read_text(encoding="utf-8")))
    assert len(vocab) > 500
    return vocab


def dev_questions() -> list[str]:
    """Every question (and history question) of the dev question sets."""
    out: list[str] = []
    for path in sorted((REPO / "evals" / "questions").glob("dev*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            item = json.loads(line)
            out.append(item["question"])
            for h in item.get("history") or []:
                out.append(h if isinstance(h, str) else str(h.get("question", "")))
    return out


SHORTHAND = [
    "aall1731 4y dfs blina vs chemo?",
    "pts w/ EOI MRD>=0.01% HR?",
    "pts w/ EOI MRD pos HR B-ALL blina cycles tox grade CRS ICANS?",
    "blin arm 3y DFS: SR-avg vs SR-high in AALL1731",
    "tower median OS blin vs SOC chemo",
    "gr 3+ CRS neurotox rates peds blina cont inf 28d on 14d off",
    "dose <45 kg mcg/m2/d c1 d1-7 then d8-28?",
    "E1910 MRD neg pts OS HR blina + chemo vs chemo",
]
FOREIGN = [
    ("¿Cuáles son los efectos secundarios del blinatumomab en los niños pequeños?", "es"),
    ("Mi hijo tiene leucemia y le van a poner blinatumomab, ¿es peligroso para él?", "es"),
    ("Quels sont les effets secondaires du blinatumomab chez les enfants ?", "fr"),
    ("Mon fils a une leucémie, est-ce que le blinatumomab va l'aider à guérir ?", "fr"),
    ("Mein Kind bekommt Blinatumomab, darf es in die Schule gehen?", "de"),
    ("Meu filho tem leucemia, o blinatumomab vai ajudar na cura dele?", "pt"),
    ("Моему сыну назначили блинатумомаб, какие побочные эффекты бывают?", "ru"),
    ("我的孩子正在接受博纳吐单抗治疗，会有什么副作用吗？", "zh"),
]


@pytest.mark.parametrize("question", SHORTHAND)
def test_clinical_shorthand_is_never_another_language(question: str) -> None:
    # the strictest case: the caller's vocabulary knows no word at all
    assert detect_language(question, nothing_known) is None


def test_no_dev_question_is_taken_for_another_language(corpus_vocabulary: set[str]) -> None:
    questions = dev_questions()
    assert len(questions) >= 300, "the dev question sets are missing"
    for known in (corpus_vocabulary.__contains__, nothing_known):
        flagged = [(q, code) for q in questions if (code := detect_language(q, known))]
        assert flagged == []


@pytest.mark.parametrize(("question", "code"), FOREIGN)
def test_questions_in_other_languages_are_named(
    question: str, code: str, corpus_vocabulary: set[str]
) -> None:
    assert detect_language(question, corpus_vocabulary.__contains__) == code


def test_fewer_than_six_words_is_never_decided() -> None:
    short = "¿Qué es el blinatumomab?"  # Spanish, but only 4 words
    assert len(words(short)) < MIN_WORDS
    assert detect_language(short, nothing_known) is None
    six = "¿Qué es el blinatumomab para niños pequeños?"
    assert len(words(six)) >= MIN_WORDS
    assert detect_language(six, nothing_known) == "es"


def test_mostly_known_words_are_not_another_language() -> None:
    q = "¿Cuáles son los efectos secundarios del blinatumomab en los niños pequeños?"
    assert detect_language(q, nothing_known) == "es"
    assert detect_language(q, lambda w: True) is None  # every word known: not foreign


def test_words_leave_out_shorthand_tokens() -> None:
    assert words("pts w/ EOI MRD>=0.01% HR? aall1731 4y") == ["pts", "eoi", "hr"]
    assert words("l'aider, est-ce que") == ["l'aider", "est-ce", "que"]
    assert words("") == []


def test_profile_declines_in_spanish_and_french() -> None:
    texts = load_profile("ball-blinatumomab").texts
    english = texts.decline_for("en")
    es, fr = texts.decline_for("es"), texts.decline_for("fr")
    assert english and es != english and fr != english
    assert detect_language(es, nothing_known) == "es"
    assert detect_language(fr, nothing_known) == "fr"
    assert texts.decline_for("xx") == english  # no text for a language: the English one
