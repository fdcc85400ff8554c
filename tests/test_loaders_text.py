"""Text decoding, plain .txt files and the trial-registry texts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_file
from ingest.loaders.text import decode_text, looks_like_text, paragraphs, slugify
from tests.loaders_support import shared

BINARY = "binary or undecodable text file"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reason(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path)
    return info.value.reason


# --- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain ascii", "plain ascii"),
        ("café – naïve".encode(), "café – naïve"),
        (b"\xef\xbb\xbfwith BOM", "with BOM"),
        ("utf16 é".encode("utf-16"), "utf16 é"),
        ("utf16be é".encode("utf-16-be").join([b"\xfe\xff", b""]), "utf16be é"),
        (b"caf\xe9 \x93quoted\x94 \x96 dash", "café “quoted” – dash"),
        (b"a\r\nb\rc", "a\nb\nc"),
        (b"", ""),
    ],
)
def test_decode_text(data: bytes, text: str) -> None:
    assert decode_text(data) == text


@pytest.mark.parametrize(
    "data",
    [
        b"text with a \x00 NUL",
        random.Random(5).randbytes(3000),
        b"\x01\x02\x03\x04" * 50 + b"mostly control characters",
        b"\x81\x8d\x8f\x90\x9d undefined in cp1252 and invalid utf-8",
    ],
)
def test_decode_refuses_binary(data: bytes) -> None:
    assert decode_text(data) is None


def test_looks_like_text_allows_a_few_controls() -> None:
    assert looks_like_text("x" * 200 + "\x07")
    assert not looks_like_text("x" * 20 + "\x07")
    assert looks_like_text("tabs\tand\nnewlines\fform feed")


def test_cp1252_file_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "old.txt", b"Caf\xe9 notes \x96 first.\n\nSecond \x93para\x94.\n")
    doc = load_file(path)[0]
    assert doc.text == "Café notes – first.\n\nSecond “para”."


def test_random_binary_txt_is_refused(tmp_path: Path) -> None:
    data = random.Random(11).randbytes(5000)
    assert _reason(_write(tmp_path, "blob.txt", data)) == BINARY
    assert _reason(_write(tmp_path, "blob.md", data)) == BINARY


# --- plain text ---------------------------------------------------------------------------


def test_plain_txt_paragraphs(tmp_path: Path) -> None:
    data = b"First   paragraph\nwraps here.\n\n\n  Second one.  \n"
    doc = load_file(_write(tmp_path, "Some Notes.txt", data))[0]
    assert doc.meta.doc_id == "some-notes"
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("", "First paragraph wraps here.\n\nSecond one.")
    ]
    assert doc.meta.reference == ""


def test_whitespace_only_txt_has_no_text(tmp_path: Path) -> None:
    assert _reason(_write(tmp_path, "blank.txt", b" \n\n \t\n")) == (
        "no text found in document 'blank'"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\n\nc", ["a b", "c"]),
        ("\n\n  \n", []),
        ("x  \t y", ["x y"]),
    ],
)
def test_paragraphs(text: str, expected: list[str]) -> None:
    assert paragraphs(text) == expected


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("12912_2025_Article_2840", "12912-2025-article-2840"),
        ("10.1186/s12912-025-02840-4", "10-1186-s12912-025-02840-4"),
        ("  ***  ", "doc"),
        ("Ünïcode Title", "n-code-title"),
    ],
)
def test_slugify(value: str, slug: str) -> None:
    assert slugify(value) == slug


# --- trial registry texts -----------------------------------------------------------------


def test_all_trial_texts() -> None:
    folder = shared("sources", "trials")
    files = sorted(folder.glob("NCT*.txt"))
    assert len(files) == 16
    for path in files:
        first_line = path.read_text(encoding="utf-8").split("\n", 1)[0]
        doc = load_file(path)[0]
        m = doc.meta
        assert m.doc_type == "trial-registry"
        assert m.nct == path.stem and m.doc_id == path.stem.lower()
        assert m.venue == "ClinicalTrials.gov"
        assert m.title and m.title in first_line and "Quint)" not in m.title
        assert not m.title.endswith(".")
        assert [s.heading for s in doc.sections] == ["Description", "Brief summary"]
        assert "@highlight" not in doc.text
        assert f"Identifier: {m.nct}." in m.reference
        assert all(p.strip(" .") for p in doc.text.split("\n\n"))


def test_trial_text_details() -> None:
    path = shared("sources", "trials", "NCT02807883.txt")
    doc = load_file(path)[0]
    assert doc.meta.title == (
        "Blinatumomab Maintenance Following Allogeneic Hematopoietic Cell Transplantation "
        "for Patients With Acute Lymphoblastic Leukemia"
    )
    assert doc.meta.url == "https://clinicaltrials.gov/study/NCT02807883"
    description, summary = doc.sections
    assert description.text.startswith("Study Drug Administration: Every study cycle")
    assert "Up to 30 participants will be enrolled" in description.text
    assert summary.text.startswith("You are being asked to take part in this study")
    assert "The safety of this drug will also be studied." in summary.text
    # the repeated title line before '@highlight' is not body text
    assert doc.meta.title not in summary.text and doc.meta.title not in description.text


def test_trial_layout_detected_without_nct_filename(tmp_path: Path) -> None:
    data = b"(thirdQuint)A Trial Title.\n\n Body text.\n\n.\n\n A Trial Title@highlight\n\nSum.\n"
    doc = load_file(_write(tmp_path, "renamed.txt", data))[0]
    assert doc.meta.doc_type == "trial-registry"
    assert (doc.meta.title, doc.meta.nct, doc.meta.doc_id) == ("A Trial Title", "", "renamed")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("Description", "Body text."),
        ("Brief summary", "Sum."),
    ]
