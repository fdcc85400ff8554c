"""load_file: loader choice, size limits, provenance and error wrapping."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import ingest.loaders.beir as beir
from citeqa.settings import IngestSettings
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load_file, parse_bytes


def _reason(path: Path, settings: IngestSettings | None = None) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, settings)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


def test_supported_suffixes() -> None:
    """Derived from the registry of Loader classes (ingest.loaders.LOADERS)."""
    from ingest.loaders import LOADERS, UPLOAD_SUFFIXES

    assert tuple(dict.fromkeys(s for c in LOADERS for s in c.suffixes)) == SUPPORTED_SUFFIXES
    assert set(UPLOAD_SUFFIXES) < set(SUPPORTED_SUFFIXES) and ".jsonl" not in UPLOAD_SUFFIXES
    assert set(SUPPORTED_SUFFIXES) == {
        ".json",
        ".pdf",
        ".md",
        ".markdown",
        ".txt",
        ".xml",
        ".nxml",
        ".jsonl",
    }


def test_provenance_and_reference(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Hello\nyear: 2020\n---\nBody.\n", encoding="utf-8")
    doc = load_file(path)[0]
    assert doc.source_path == str(path)
    assert doc.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.meta.reference == "Hello. 2020."


def test_explicit_reference_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Hello\nreference: My own reference.\n---\nBody.\n", "utf-8")
    assert load_file(path)[0].meta.reference == "My own reference."


@pytest.mark.parametrize("name", ["empty.md", "empty.txt", "empty.xml", "empty.jsonl", "e.pdf"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert _reason(path) == "file is empty"


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "table.xyz"
    path.write_text("a,b\n", encoding="utf-8")
    assert _reason(path) == "unsupported file type '.xyz'"
    bare = tmp_path / "README"
    bare.write_text("text", encoding="utf-8")
    assert _reason(bare) == "unsupported file type '' (no extension)"


def test_pdf_suffix_without_header(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("just text", encoding="utf-8")
    assert _reason(path) == "not a PDF file: no %PDF header"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert _reason(tmp_path / "nope.md") == "file not found"
    folder = tmp_path / "dir.md"
    folder.mkdir()
    assert _reason(folder) == "not a regular file"


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 300_000)  # 1.5 MB
    settings = IngestSettings.model_validate({"max_file_mb": 1})
    assert _reason(path, settings) == "file too large: 1.4 MB > limit 1.0 MB"
    assert len(load_file(path, IngestSettings.model_validate({"max_file_mb": 2}))) == 1


def test_unexpected_parser_errors_are_wrapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(path: Path, data: bytes) -> list[object]:
        raise ValueError("something\n  odd happened")

    monkeypatch.setattr(beir, "beir_documents", boom)
    path = tmp_path / "c.jsonl"
    path.write_text('{"_id": "1", "text": "t"}\n', encoding="utf-8")
    assert _reason(path) == "parser failed: ValueError: something odd happened"


def test_parse_bytes_without_a_file() -> None:
    docs = parse_bytes(Path("upload.md"), b"# Title\n\nText.\n")
    assert docs[0].meta.title == "Title" and docs[0].source_path == "upload.md"
    with pytest.raises(LoadError, match="file is empty"):
        parse_bytes(Path("upload.md"), b"")
