import itertools
import random

import pytest

from rag.citations import (
    format_markers,
    marker_keys,
    parse_markers,
    renumber,
    split_sentences,
    strip_markers,
)


def sents(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("DFS was 94.8% vs 86.9%. Relapse fell.", ["DFS was 94.8% vs 86.9%.", "Relapse fell."]),
        ("Risk fell (P < .0001). It held.", ["Risk fell (P < .0001).", "It held."]),
        ("See e.g. the label. Then stop.", ["See e.g. the label.", "Then stop."]),
        ("Use i.e. Blinatumomab here. Next.", ["Use i.e. Blinatumomab here.", "Next."]),
        ("Gupta et al. Reported it. Next.", ["Gupta et al. Reported it.", "Next."]),
        ("It was 3.1 vs. 9.4 in marrow. Ok.", ["It was 3.1 vs. 9.4 in marrow.", "Ok."]),
        ("Ask Dr. Smith. She knows.", ["Ask Dr. Smith.", "She knows."]),
        ("See Fig. 2 for it. Next.", ["See Fig. 2 for it.", "Next."]),
        ("It rose approx. 5 times. Next.", ["It rose approx. 5 times.", "Next."]),
        ("Abstract no. 758 was late. Next.", ["Abstract no. 758 was late.", "Next."]),
        ("The answer was no. The end.", ["The answer was no.", "The end."]),
        ("The U.S. sites joined. Then more.", ["The U.S. sites joined.", "Then more."]),
        ("Gupta S. Rau RE. reported. Next.", ["Gupta S. Rau RE. reported.", "Next."]),
        ("Is it safe? Ask the team! Ok.", ["Is it safe?", "Ask the team!", "Ok."]),
        ("The dose was 15 mg. Then it rose.", ["The dose was 15 mg.", "Then it rose."]),
        ("It was 5. 12 were not.", ["It was 5.", "12 were not."]),
        ("He said “stop.” Then left.", ["He said “stop.”", "Then left."]),
        ("(It rose.) Then fell.", ["(It rose.)", "Then fell."]),
        ("Median was 3.5 yr. among all.", ["Median was 3.5 yr. among all."]),
        ("", []),
        ("   \n  ", []),
        ("no final period", ["no final period"]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert sents(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rate 85%. [1][2] Next one [3].", ["Rate 85%. [1][2]", "Next one [3]."]),
        ("Rate 85% [1]. Next one.", ["Rate 85% [1].", "Next one."]),
        ("Rate 85%.[1] Next.", ["Rate 85%.[1]", "Next."]),
        ("Rate 85%. [1, 2] Next.", ["Rate 85%. [1, 2]", "Next."]),
    ],
)
def test_split_keeps_trailing_markers(text: str, expected: list[str]) -> None:
    assert sents(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- first item\n- second item", ["- first item", "- second item"]),
        ("Intro:\n1. one\n2. two", ["Intro:", "1. one", "2. two"]),
        ("• a thing\n• another", ["• a thing", "• another"]),
        ("Heading\n\nBody text here.", ["Heading", "Body text here."]),
        ("Results\nBlinatumomab helped.", ["Results", "Blinatumomab helped."]),
        ("## Methods\nWe enrolled.", ["## Methods", "We enrolled."]),
        ("Key outcomes:\nDFS rose.", ["Key outcomes:", "DFS rose."]),
        ("Short Title Here\nThe study began.", ["Short Title Here", "The study began."]),
        (
            "Children were assigned to\nBlinatumomab or not.",
            ["Children were assigned to\nBlinatumomab or not."],
        ),
        (
            "A wrapped pdf line that goes\non and on. Next.",
            ["A wrapped pdf line that goes\non and on.", "Next."],
        ),
    ],
)
def test_split_line_breaks(text: str, expected: list[str]) -> None:
    assert sents(text) == expected


def test_spans_trimmed_and_ordered() -> None:
    text = "  Alpha beta.  Gamma delta!\n\n- Epsilon\n  Zeta. "
    spans = split_sentences(text)
    assert spans == sorted(spans)
    for a, b in spans:
        assert text[a:b] == text[a:b].strip() != ""
    for (_, b1), (a2, _) in itertools.pairwise(spans):
        assert b1 <= a2


def test_split_covers_all_words_random() -> None:
    rng = random.Random(7)
    pieces = ["Dr.", "e.g.", "94.8%", "P < .0001.", "Yes.", "no.", "[1]", "\n", "\n\n", "- x", "It"]
    for _ in range(200):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        joined = "".join(text[a:b] for a, b in split_sentences(text))
        assert joined.split() == [] or "".join(joined.split()) == "".join(text.split())


@pytest.mark.parametrize(
    ("marker", "keys"),
    [
        ("[1]", (1,)),
        ("[1, 3]", (1, 3)),
        ("[1,3]", (1, 3)),
        ("[1-3]", (1, 2, 3)),
        ("[1–3]", (1, 2, 3)),
        ("[2; 4]", (2, 4)),
        ("[Source 2]", (2,)),
        ("[3-1]", (3, 1)),
        ("[1-500]", (1, 500)),
    ],
)
def test_marker_keys(marker: str, keys: tuple[int, ...]) -> None:
    assert marker_keys(marker) == keys


def test_parse_markers_basic() -> None:
    text = "Blinatumomab binds CD19 [1]. It improved DFS [2, 3].\nIt is an infusion.[1][2]"
    assert parse_markers(text) == [
        ("Blinatumomab binds CD19.", (1,)),
        ("It improved DFS.", (2, 3)),
        ("It is an infusion.", (1, 2)),
    ]


def test_parse_markers_range_and_duplicates() -> None:
    assert parse_markers("It held [1-3][2].") == [("It held.", (1, 2, 3))]


def test_parse_markers_no_markers() -> None:
    assert parse_markers("Just a claim. Another.") == [("Just a claim.", ()), ("Another.", ())]


def test_parse_markers_orphan_marker_line_joins_previous() -> None:
    assert parse_markers("It rose.\n\n[2]") == [("It rose.", (2,))]


def test_parse_markers_leading_orphan_dropped() -> None:
    assert parse_markers("[4]") == []


def test_parse_markers_keeps_decimals() -> None:
    assert parse_markers("DFS 96.0% vs 87.9% [1]. P < .0001 [1].") == [
        ("DFS 96.0% vs 87.9%.", (1,)),
        ("P < .0001.", (1,)),
    ]


def test_strip_markers() -> None:
    assert strip_markers("Rate was 85% [1] . Yes [2][3].") == "Rate was 85%. Yes."
    assert strip_markers("No markers here.") == "No markers here."
    assert strip_markers("[1]") == ""


def test_format_markers() -> None:
    assert format_markers((1, 3)) == "[1][3]"
    assert format_markers([]) == ""


def test_renumber_first_appearance_and_unknown() -> None:
    sentences = [("A.", (3,)), ("B.", (1, 3)), ("C.", (9,)), ("D.", (2, 2))]
    out, mapping = renumber(sentences, known={1, 2, 3})
    assert mapping == {3: 1, 1: 2, 2: 3}
    assert out == [("A.", (1,)), ("B.", (2, 1)), ("C.", ()), ("D.", (3,))]


def test_renumber_empty() -> None:
    assert renumber([], known={1}) == ([], {})
