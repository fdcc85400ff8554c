"""Helpers for the loader tests: the shared source files and small PDF builders."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SOURCES = SHARED / "sources"
REAL_PDF = SOURCES / "pdf" / "12912_2025_Article_2840.pdf"
REAL_PDF_NXML = SOURCES / "pdf" / "12912_2025_Article_2840.nxml"
PUBMED_XML = SOURCES / "pubmed" / "pubmed-29768149.xml"
SCIFACT = SHARED / "benchmarks" / "scifact" / "corpus.jsonl"


def shared(*parts: str) -> Path:
    """A path under ../shared; skip the test with a clear message if it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available: ../shared is not beside the repo")
    return path


def text_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A PDF with a real text layer: one list of lines per page (reportlab)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    if title:
        c.setTitle(title)
    for lines in pages:
        c.setFont("Helvetica", 10)
        y = 740
        for line in lines:
            c.drawString(72, y, line)
            y -= 14
        c.showPage()
    c.save()
    return buf.getvalue()


def blank_pdf(pages: int = 1) -> bytes:
    """A PDF whose pages carry no text at all (what a scan without OCR looks like)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    """``data`` re-written with RC4 encryption (no extra crypto dependency needed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password=owner_password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
