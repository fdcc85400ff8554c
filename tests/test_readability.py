"""Tests of rag.readability: syllables, sentence splitting, Flesch-Kincaid grade, reading ease."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.readability import fk_grade, reading_ease, split_sentences, syllables, text_stats

# --- syllables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cat", 1),
        ("the", 1),
        ("make", 1),
        ("called", 1),
        ("table", 2),
        ("fever", 2),
        ("people", 2),
        ("treated", 2),
        ("family", 3),
        ("medicine", 3),
        ("leukemia", 4),
        ("radiation", 4),
        ("blinatumomab", 5),
        ("chemotherapy", 5),
    ],
)
def test_syllables_of_common_and_medical_words(word: str, expected: int) -> None:
    assert syllables(word) == expected


def test_syllables_ignore_case() -> None:
    assert syllables("Leukemia") == syllables("leukemia") == 4


@pytest.mark.parametrize(("acronym", "expected"), [("MRD", 3), ("CRS", 3), ("IV", 2)])
def test_short_acronyms_are_read_letter_by_letter(acronym: str, expected: int) -> None:
    assert syllables(acronym) == expected


def test_long_capitalised_token_is_read_as_a_word() -> None:
    assert syllables("ICANS") == 2


@pytest.mark.parametrize(("number", "expected"), [("7", 1), ("1444", 1), ("1,444", 1), ("2.5", 1)])
def test_numbers_count_one_syllable(number: str, expected: int) -> None:
    assert syllables(number) == expected


def test_percent_sign_adds_the_syllables_of_percent() -> None:
    assert syllables("94.8%") == syllables("94.8") + 2


def test_compounds_sum_their_parts() -> None:
    assert syllables("disease-free") == syllables("disease") + syllables("free")
    assert syllables("4-year") == 2
    assert syllables("ug/m2/day") == 4


def test_apostrophes_are_dropped() -> None:
    assert syllables("child's") == syllables("childs") == 1
    assert syllables("don\u2019t") == 1


@pytest.mark.parametrize("token", ["", "-", "()", "...", "|"])
def test_tokens_without_letters_or_digits_have_no_syllables(token: str) -> None:
    assert syllables(token) == 0


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_any_lowercase_word_has_between_one_and_len_syllables(word: str) -> None:
    assert 1 <= syllables(word) <= len(word)


# --- sentences -------------------------------------------------------------------------


def test_split_on_terminal_punctuation() -> None:
    assert split_sentences("One two. Three four! Five six?") == [
        "One two.",
        "Three four!",
        "Five six?",
    ]


def test_decimals_do_not_split_sentences() -> None:
    assert len(split_sentences("The rate was 94.8% at 4 years. It was 86.9% without.")) == 2


def test_headings_and_list_items_are_sentences() -> None:
    text = "# Title here\n\nSome text runs on\n\n- first item\n- second item\n"
    assert split_sentences(text) == ["Title here", "Some text runs on", "first item", "second item"]


def test_paragraph_lines_are_joined() -> None:
    assert split_sentences("This sentence is\nwrapped over lines.") == [
        "This sentence is wrapped over lines."
    ]


def test_front_matter_is_ignored() -> None:
    text = "---\ntitle: Extraordinarily complicated terminology\n---\nThe cat sat.\n"
    assert split_sentences(text) == ["The cat sat."]


def test_markdown_syntax_is_stripped() -> None:
    text = "Read **this** and _that_ with `code` in [the link](https://example.org) now."
    assert split_sentences(text) == ["Read this and that with code in the link now."]


def test_bare_urls_code_fences_and_table_rules_are_dropped() -> None:
    text = (
        "See https://example.org/x today.\n\n```\nx = 1\n```\n\n| a | b |\n|---|---|\n| c | d |\n"
    )
    out = split_sentences(text)
    assert out[0] == "See today."
    assert not any("x = 1" in s for s in out)
    assert len(out) == 3  # the sentence and two table rows


def test_blank_and_symbol_only_lines_are_not_sentences() -> None:
    assert split_sentences("\n\n---\n\n- \n| | |\n") == []


# --- formulas --------------------------------------------------------------------------


def test_text_stats_counts() -> None:
    s = text_stats("The cat sat. A dog ran home.")
    assert (s.sentences, s.words, s.syllables) == (2, 7, 7)


def test_fk_grade_matches_the_formula() -> None:
    # 1 sentence, 3 words, 3 syllables
    assert fk_grade("The cat sat.") == pytest.approx(0.39 * 3 + 11.8 * 1 - 15.59)


def test_reading_ease_matches_the_formula() -> None:
    assert reading_ease("The cat sat.") == pytest.approx(206.835 - 1.015 * 3 - 84.6 * 1)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "---\na: b\n---\n", "- \n# \n"])
def test_empty_text_scores_zero(text: str) -> None:
    assert fk_grade(text) == 0.0
    assert reading_ease(text) == 0.0


def test_simple_text_has_a_low_grade() -> None:
    text = "The dog ran to the park. It was a sunny day. We had fun with the ball."
    assert fk_grade(text) < 3
    assert reading_ease(text) > 90


def test_dense_clinical_sentence_has_a_high_grade() -> None:
    text = (
        "In AALL1731, 4-year disease-free survival among children with standard-risk B-cell "
        "acute lymphoblastic leukemia was 94.8% in the blinatumomab arms versus 86.9% with "
        "chemotherapy alone, with the cumulative incidence of relapse substantially reduced."
    )
    assert fk_grade(text) > 14
    assert reading_ease(text) < 20


def test_longer_words_raise_the_grade() -> None:
    assert fk_grade("The big dog sat on the mat.") < fk_grade(
        "The enormous animal positioned itself on the decorative carpet."
    )


def test_longer_sentences_raise_the_grade() -> None:
    short = "The dog sat. The cat ran. The bird sang. The fish swam."
    long = "The dog sat and the cat ran and the bird sang and the fish swam."
    assert fk_grade(short) < fk_grade(long)


def test_splitting_a_sentence_lowers_the_grade() -> None:
    joined = "Blinatumomab is a medicine that helps immune cells find leukemia cells in the body."
    split = "Blinatumomab is a medicine. It helps immune cells find leukemia cells in the body."
    assert fk_grade(split) < fk_grade(joined)


def test_ease_falls_as_grade_rises() -> None:
    easy, hard = "We sat in the sun.", "Consolidation chemotherapy necessitates hospitalization."
    assert fk_grade(easy) < fk_grade(hard)
    assert reading_ease(easy) > reading_ease(hard)


def test_front_matter_does_not_change_the_grade() -> None:
    body = "The cat sat on the mat. It was warm.\n"
    with_yaml = "---\ntitle: Immunotherapeutic considerations\nyear: 2026\n---\n" + body
    assert fk_grade(with_yaml) == fk_grade(body)


def test_markdown_emphasis_does_not_change_the_grade() -> None:
    assert fk_grade("The **cat** sat on the *mat*.") == fk_grade("The cat sat on the mat.")


def test_heading_is_not_merged_into_the_next_sentence() -> None:
    # as separate sentences the heading shortens the average sentence
    with_heading = "# Side effects\n\nCall the team if your child has a fever or chills today.\n"
    merged = "Side effects call the team if your child has a fever or chills today.\n"
    assert fk_grade(with_heading) < fk_grade(merged)


def test_grade_is_deterministic() -> None:
    text = "Blinatumomab is given as an infusion. The pump runs all day and all night."
    assert fk_grade(text) == fk_grade(text)


def test_answer_grade_reads_each_list_item_as_a_sentence() -> None:
    """A family answer's list (lead-in and items, one a line) is graded as the reader sees it:
    items joined without sentence ends would read as one long sentence."""
    from citeqa.answer import AnswerSentence
    from rag.compose import plain_text

    items = tuple(f"a fever of {n} or more" for n in range(38, 44))
    units = [
        AnswerSentence("Call the care team right away if your child has:", (1,), "list", items)
    ]
    plain = plain_text(units)
    assert plain.count(".") == len(items) + 1
    assert fk_grade(plain) < fk_grade(" ".join([units[0].text, *items]))
