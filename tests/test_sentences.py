import pytest

from ingest.sentences import sentences, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("DFS was 94.8% vs 86.9%. Relapse fell.", ["DFS was 94.8% vs 86.9%.", "Relapse fell."]),
        ("Gupta S. et al. reported it. Next one.", ["Gupta S. et al. reported it.", "Next one."]),
        ("See e.g. the label. Then stop.", ["See e.g. the label.", "Then stop."]),
        ("Risk fell (P < .0001). It held.", ["Risk fell (P < .0001).", "It held."]),
        ("Is it safe? Ask the team!", ["Is it safe?", "Ask the team!"]),
        ("- first item\n- second item", ["- first item", "- second item"]),
        ("Heading\n\nBody text here.", ["Heading", "Body text here."]),
        ("The U.S. sites joined. Then more.", ["The U.S. sites joined.", "Then more."]),
        ("It was 3.1 vs. 9.4 in bone marrow.", ["It was 3.1 vs. 9.4 in bone marrow."]),
        ("", []),
        ("   ", []),
        ("no final period", ["no final period"]),
        (
            "QT-disp was 61 (0-240) ms. Prolonged QTc was common.",
            ["QT-disp was 61 (0-240) ms.", "Prolonged QTc was common."],
        ),
        (
            "We thank Ms. Smith and Dr. Lee. They helped.",
            ["We thank Ms. Smith and Dr. Lee.", "They helped."],
        ),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_spans_index_the_text() -> None:
    text = "  Alpha beta.  Gamma delta!\nEpsilon. "
    for a, b in split_sentences(text):
        assert text[a:b] == text[a:b].strip()
        assert text[a:b]


def test_lowercase_continuation_is_not_a_boundary() -> None:
    assert sentences("Median follow-up was 3.5 yr. among survivors.") == [
        "Median follow-up was 3.5 yr. among survivors."
    ]
