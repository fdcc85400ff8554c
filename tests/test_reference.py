"""Vancouver references and human labels."""

from __future__ import annotations

import pytest

from citeqa.models import Metadata
from ingest.reference import (
    format_authors,
    format_reference,
    human_label,
    short_title,
    short_venue,
    surname,
)

NEJM = Metadata(
    doc_id="gupta-nejm-2025",
    title="Blinatumomab in Standard-Risk B-Cell Acute Lymphoblastic Leukemia in Children",
    authors=("Gupta S", "Rau R", "Kairalla J", "et al."),
    venue="N Engl J Med",
    year=2025,
    doc_type="journal-article",
    volume="392",
    issue="9",
    pages="875-891",
    doi="10.1056/NEJMoa2411680",
    pmid="39651791",
    pmcid="PMC11864901",
)
ASH = Metadata(
    doc_id="gupta-ash-2025",
    title="Blinatumomab mitigates the impact of traditional adverse prognosticators",
    authors=("Gupta S", "Rau R", "Kairalla J", "et al."),
    venue="ASH 2025 Annual Meeting",
    year=2025,
    doc_type="conference-abstract",
    abstract_number="758",
)
JAMA = Metadata(
    doc_id="brown-2021",
    title="Effect of Postreinduction Therapy Consolidation With Blinatumomab",
    authors=("Brown PA",),
    venue="JAMA",
    year=2021,
    doc_type="journal-article",
    volume="325",
    issue="9",
    pages="833-842",
    doi="10.1001/jama.2021.0669",
)


def test_journal_article_reference() -> None:
    assert format_reference(NEJM) == (
        "Gupta S, Rau R, Kairalla J, et al. Blinatumomab in Standard-Risk B-Cell Acute "
        "Lymphoblastic Leukemia in Children. N Engl J Med. 2025;392(9):875-891. "
        "doi:10.1056/NEJMoa2411680. PMID: 39651791."
    )


def test_conference_abstract_reference() -> None:
    assert format_reference(ASH) == (
        "Gupta S, Rau R, Kairalla J, et al. Blinatumomab mitigates the impact of traditional "
        "adverse prognosticators. ASH 2025 Annual Meeting; 2025. Abstract 758."
    )


def test_single_author_no_pmid() -> None:
    assert format_reference(JAMA) == (
        "Brown PA. Effect of Postreinduction Therapy Consolidation With Blinatumomab. "
        "JAMA. 2021;325(9):833-842. doi:10.1001/jama.2021.0669."
    )


@pytest.mark.parametrize(
    ("changes", "source"),
    [
        ({"issue": ""}, "N Engl J Med. 2025;392:875-891."),
        ({"pages": ""}, "N Engl J Med. 2025;392(9)."),
        ({"volume": "", "issue": "", "pages": ""}, "N Engl J Med. 2025."),
        ({"year": None}, "N Engl J Med. 392(9):875-891."),
        ({"venue": ""}, "Children. 2025;392(9):875-891."),
        ({"volume": "", "issue": "", "pages": "e217"}, "N Engl J Med. 2025;e217."),
    ],
)
def test_journal_parts_omitted_gracefully(changes: dict[str, object], source: str) -> None:
    from dataclasses import replace

    ref = format_reference(replace(NEJM, **changes))  # type: ignore[arg-type]
    assert source in ref
    assert "None" not in ref and ".." not in ref and "()" not in ref


def test_only_doc_id() -> None:
    assert format_reference(Metadata(doc_id="x")) == ""


def test_title_punctuation_is_not_doubled() -> None:
    for title in ("Is it safe?", "It works!", "Done."):
        ref = format_reference(Metadata(doc_id="x", title=title, year=2020))
        assert ref == f"{title} 2020."


def test_more_than_six_authors() -> None:
    authors = tuple(f"Name{i} A" for i in range(1, 9))
    assert format_authors(authors) == (
        "Name1 A, Name2 A, Name3 A, Name4 A, Name5 A, Name6 A, et al."
    )
    assert format_authors(authors[:6]) == "Name1 A, Name2 A, Name3 A, Name4 A, Name5 A, Name6 A."


@pytest.mark.parametrize(
    ("authors", "text"),
    [
        ((), ""),
        (("et al.",), ""),
        (("  Smith   J ", ""), "Smith J."),
        (("COG Investigators",), "COG Investigators."),
        (("A B", "et al"), "A B, et al."),
    ],
)
def test_format_authors(authors: tuple[str, ...], text: str) -> None:
    assert format_authors(authors) == text


def test_conference_without_number_or_year() -> None:
    meta = Metadata(
        doc_id="x", title="T", venue="ASCO Annual Meeting", doc_type="conference-abstract"
    )
    assert format_reference(meta) == "T. ASCO Annual Meeting."
    meta2 = Metadata(doc_id="x", title="T", abstract_number="12", doc_type="conference-abstract")
    assert format_reference(meta2) == "T. Abstract 12."


def test_trial_registry_reference() -> None:
    meta = Metadata(
        doc_id="nct02807883",
        title="Blinatumomab Maintenance Following Transplant",
        doc_type="trial-registry",
        venue="ClinicalTrials.gov",
        nct="NCT02807883",
        url="https://clinicaltrials.gov/study/NCT02807883",
    )
    assert format_reference(meta) == (
        "Blinatumomab Maintenance Following Transplant. ClinicalTrials.gov. Identifier: "
        "NCT02807883. Available from: https://clinicaltrials.gov/study/NCT02807883"
    )


def test_url_only_when_no_identifiers() -> None:
    meta = Metadata(doc_id="x", title="Label", doc_type="drug-label", url="https://x.org/l")
    assert format_reference(meta) == "Label. Available from: https://x.org/l"
    with_doi = Metadata(doc_id="x", title="Label", doi="10.1/x", url="https://x.org/l")
    assert format_reference(with_doi) == "Label. doi:10.1/x."


# --- labels -------------------------------------------------------------------------------


def test_label_conference_abstract() -> None:
    assert human_label(ASH, "Results") == "Gupta 2025, ASH abstract 758, Results"


def test_label_journal() -> None:
    assert human_label(JAMA, "Methods") == "Brown 2021, JAMA, Methods"
    assert human_label(NEJM, "Abstract: Results") == "Gupta 2025, N Engl J Med, Abstract: Results"


def test_label_family_explainer() -> None:
    meta = Metadata(
        doc_id="fam-blina",
        title="What is blinatumomab? A guide for families",
        audience="family",
        doc_type="plain-language",
    )
    assert human_label(meta, "How it is given") == (
        "citeqa explainer: What is blinatumomab?, How it is given"
    )
    no_title = Metadata(doc_id="fam-x", audience="family")
    assert human_label(no_title, "") == "citeqa explainer: fam-x"


def test_label_degrades_gracefully() -> None:
    assert human_label(Metadata(doc_id="d1"), "") == "d1"
    assert human_label(Metadata(doc_id="d1", title="A short title"), "Intro") == (
        "A short title, Intro"
    )
    no_year = Metadata(doc_id="d", authors=("Brown PA",), venue="JAMA")
    assert human_label(no_year, "Results") == "Brown, JAMA, Results"
    abstract = Metadata(doc_id="d", authors=("Zheng D",), year=2025, doc_type="conference-abstract")
    assert human_label(abstract, "") == "Zheng 2025, abstract"


def test_label_drug_label() -> None:
    meta = Metadata(
        doc_id="blincyto-label",
        title="BLINCYTO (blinatumomab) for injection, for intravenous use",
        venue="US Food and Drug Administration",
        year=2024,
        doc_type="drug-label",
    )
    assert human_label(meta, "Dosing") == "BLINCYTO label 2024, FDA, Dosing"


def test_label_trial_registry() -> None:
    meta = Metadata(doc_id="nct1", doc_type="trial-registry", nct="NCT02807883", title="T")
    assert human_label(meta, "Brief summary") == "NCT02807883, trial registry, Brief summary"
    named = Metadata(
        doc_id="t", doc_type="trial-registry", nct="NCT03914625", trial="AALL1731", year=2019
    )
    assert human_label(named, "") == "AALL1731 2019, trial registry NCT03914625"


@pytest.mark.parametrize(
    ("author", "name"),
    [
        ("Gupta S", "Gupta"),
        ("O'Byrne PM", "O'Byrne"),
        ("van der Meulen MJ", "van der Meulen"),
        ("COG Investigators", "COG Investigators"),
        ("Plato", "Plato"),
    ],
)
def test_surname(author: str, name: str) -> None:
    assert surname(author) == name


@pytest.mark.parametrize(
    ("venue", "short"),
    [
        ("JAMA", "JAMA"),
        ("N Engl J Med", "N Engl J Med"),
        ("The New England Journal of Medicine", "NEJM"),
        ("ASH 2025 Annual Meeting", "ASH"),
        ("67th ASH Annual Meeting and Exposition", "ASH"),
        ("American Society of Hematology Annual Meeting", "ASH"),
        ("Environmental Health Perspectives", "EHP"),
        ("US Food and Drug Administration", "FDA"),
        ("U.S. Food and Drug Administration", "FDA"),
        ("", ""),
    ],
)
def test_short_venue(venue: str, short: str) -> None:
    assert short_venue(venue) == short


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("What is blinatumomab? A guide", "What is blinatumomab?"),
        ("Blinatumomab: what families ask", "Blinatumomab"),
        ("x" * 10 + " " + "y" * 70, "x" * 10 + "…"),
        ("Ends with a stop.", "Ends with a stop"),
    ],
)
def test_short_title(title: str, short: str) -> None:
    assert short_title(title) == short
