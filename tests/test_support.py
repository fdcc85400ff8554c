from rag.support import NO_CITATION, check_sentence

PASSAGE = "Three-year DFS was 96.0% with blinatumomab and 87.9% with chemotherapy alone."


def test_supported_sentence() -> None:
    r = check_sentence("DFS rose from 87.9% to 96.0%.", [PASSAGE], 0.8, 0.55)
    assert r.supported
    assert r.reasons == [] and r.missing_numbers == []


def test_no_citation() -> None:
    r = check_sentence("Blinatumomab is an antibody.", [], None, 0.55)
    assert not r.supported
    assert r.reasons == [NO_CITATION]


def test_missing_number() -> None:
    r = check_sentence("DFS was 97.5% at three years.", [PASSAGE], None, 0.55)
    assert not r.supported
    assert r.missing_numbers == ["97.5%"]
    assert "97.5%" in r.reasons[0]


def test_number_in_second_passage_is_enough() -> None:
    r = check_sentence(
        "About 1,444 children took part.", [PASSAGE, "1444 were enrolled."], None, 0.5
    )
    assert r.supported


def test_low_similarity() -> None:
    r = check_sentence("Chemotherapy is given by mouth.", [PASSAGE], 0.21, 0.55)
    assert not r.supported
    assert r.missing_numbers == []
    assert "0.21" in r.reasons[0]


def test_similarity_exactly_at_threshold_passes() -> None:
    assert check_sentence("DFS improved.", [PASSAGE], 0.55, 0.55).supported


def test_similarity_none_skips_check() -> None:
    assert check_sentence("DFS improved.", [PASSAGE], None, 0.99).supported


def test_several_reasons() -> None:
    r = check_sentence("It was 12% better.", [], 0.1, 0.5)
    assert not r.supported
    assert len(r.reasons) == 3
    assert r.missing_numbers == ["12%"]


def test_year_must_be_in_passage() -> None:
    assert not check_sentence("In 2025 DFS rose.", [PASSAGE], None, 0.5).supported


def test_citation_markers_are_not_numbers() -> None:
    assert check_sentence("DFS improved [4].", [PASSAGE], None, 0.5).supported
