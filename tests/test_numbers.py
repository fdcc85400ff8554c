import pytest

from ingest.numbers import Number, extract_numbers, mask_markers, numbers_supported


def values(text: str) -> list[float]:
    return [n.value for n in extract_numbers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,444 patients", [1444.0]),
        ("DFS was 94.8%", [94.8]),
        ("P < .0001", [0.0001]),
        ("P=.04", [0.04]),
        ("a 4-year rate", [4.0]),
        ("HR 0.41 (95% CI, 0.24-0.64)", [0.41, 95.0, 0.24, 0.64]),
        ("36-108 months", [36.0, 108.0]),
        ("36–108 months", [36.0, 108.0]),
        ("≥ 0.01%", [0.01]),
        ("MRD ≥0.01%", [0.01]),
        ("in 2025", [2025.0]),
        ("15 ug/m2/day", [15.0]),
        ("15mg", [15.0]),
        ("t(12;21)", [12.0, 21.0]),
        ("ages 1,2 and 3", [1.0, 2.0, 3.0]),
        ("12,345,678 cells", [12345678.0]),
        ("1.5x10^9/L", [1.5e9]),
        ("85 %", [85.0]),
        ("was 5.", [5.0]),
        ("no digits here", []),
        ("", []),
    ],
)
def test_values(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "AALL1731",
        "NCT03914625",
        "COVID-19",
        "IL-6",
        "CD19 and CD3",
        "9p21",
        "CYP3A4",
        "v2.1",
        "[3]",
        "[1, 2]",
        "[1-3]",
        "[1][2]",
        "[Source 2]",
    ],
)
def test_identifiers_and_markers_are_not_numbers(text: str) -> None:
    assert extract_numbers(text) == []


def test_m2_unit_exponent_is_not_a_number() -> None:
    assert values("15 mcg/m2/day for 28 days") == [15.0, 28.0]


def test_raw_and_span() -> None:
    text = "Rate 94.8% at 4 years [2]."
    nums = extract_numbers(text)
    assert [n.raw for n in nums] == ["94.8%", "4"]
    for n in nums:
        assert text[n.start : n.end] == n.raw


def test_thousands_raw_keeps_comma() -> None:
    (n,) = extract_numbers("n = 1,444")
    assert n == Number(1444.0, "1,444", 4, 9)


def test_marker_masking_keeps_length() -> None:
    text = "DFS [1, 3] rose [2]."
    masked = mask_markers(text)
    assert len(masked) == len(text)
    assert "[" not in masked


def test_supported_formatting_only_differences() -> None:
    assert numbers_supported("DFS was 94.80%", ["DFS 94.8% at 3 years"]) == []
    assert numbers_supported("1444 children", ["1,444 children enrolled"]) == []
    assert numbers_supported("P < 0.0001", ["P < .0001"]) == []


def test_supported_reports_missing() -> None:
    missing = numbers_supported("DFS was 97.5% at 3 years", ["DFS 96.0% at 3 years"])
    assert [n.raw for n in missing] == ["97.5%"]


def test_supported_across_passages() -> None:
    assert numbers_supported("From 87.9% to 96.0%", ["87.9% before", "then 96.0%"]) == []


def test_supported_no_numbers() -> None:
    assert numbers_supported("Blinatumomab binds CD19.", []) == []


def test_supported_identifier_in_passage_does_not_count() -> None:
    # "1731" inside AALL1731 is not a number, so it cannot support a bare 1731.
    assert [n.value for n in numbers_supported("1731 children", ["AALL1731 enrolled"])] == [1731.0]


def test_markers_do_not_need_support() -> None:
    assert numbers_supported("It worked [7].", ["It worked."]) == []


def test_value_not_string_comparison() -> None:
    assert [n.raw for n in numbers_supported("4 years", ["40 years"])] == ["4"]


# --- the notation table (ingest.numbers.NOTATIONS): one test per notation ------------------

from ingest.numbers import NOTATIONS, numbers_equal  # noqa: E402


@pytest.mark.parametrize(
    ("name", "example", "expected"), NOTATIONS, ids=[n for n, _, _ in NOTATIONS]
)
def test_notation(name: str, example: str, expected: tuple[float, ...]) -> None:
    found = extract_numbers(example)
    assert [n.value for n in found] == pytest.approx(list(expected), rel=1e-9)
    for n in found:  # spans are in the caller's text
        assert example[n.start : n.end] == n.raw


def test_notation_table_is_large_enough() -> None:
    assert len(NOTATIONS) >= 20
    assert len({name for name, _, _ in NOTATIONS}) == len(NOTATIONS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("50×10^9 per liter", "50×10⁹ per liter"),
        ("10^-4", "10⁻⁴"),
        ("DFS 94·8%", "DFS 94.80%"),
        ("1,444", "1\u2009444"),
        ("a change of −2.3", "a change (-2.3)"),
    ],
)
def test_notations_compare_equal(a: str, b: str) -> None:
    assert numbers_equal(extract_numbers(a)[0], extract_numbers(b)[0])


def test_superscript_exponent_is_never_read_as_digits() -> None:
    assert [n.value for n in extract_numbers("10×10⁹/L")] != [109.0]
    assert not any(numbers_equal(n, 109) for n in extract_numbers("10×10⁹/L"))
    assert numbers_supported("at least 50×10^9 per liter", ["50×10⁹ per liter"]) == []
    assert numbers_supported("at least 50×109 per liter", ["50×10⁹ per liter"]) != []


def test_bounds_are_recorded() -> None:
    assert [n.bound for n in extract_numbers("P<0.001, P ≤ .05, ~20%, 0.5")] == ["<", "≤", "~", ""]
