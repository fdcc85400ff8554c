"""PDF loader: the real article, its JATS twin (text parity), and hostile PDFs."""

from __future__ import annotations

import difflib
import io
import random
import re
from pathlib import Path

import pytest

from citeqa.models import Document
from citeqa.settings import IngestSettings
from ingest.loaders import LoadError, load_file
from ingest.loaders.pdf_layout import Line, body_size, running_lines
from ingest.loaders.pdf_text import dehyphenate, split_sections, title_block
from ingest.loaders.text import match_heading
from tests.loaders_support import (
    REAL_PDF,
    REAL_PDF_NXML,
    blank_pdf,
    encrypted_pdf,
    shared,
    text_pdf,
)


@pytest.fixture(scope="module")
def real_pdf() -> Document:
    shared("sources", "pdf")
    docs = load_file(REAL_PDF)
    assert len(docs) == 1
    return docs[0]


def _reason(path: Path, **settings: object) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, IngestSettings.model_validate(settings))
    assert info.value.path == str(path)
    return info.value.reason


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- the real article --------------------------------------------------------------------


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_real_pdf_metadata(real_pdf: Document) -> None:
    meta = real_pdf.meta
    assert meta.doc_id == "12912-2025-article-2840"
    assert meta.title.startswith("Effects of virtual counseling on the care burden")
    assert meta.doi == "10.1186/s12912-025-02840-4"
    assert meta.year == 2025
    assert meta.doc_type == "journal-article"  # XMP: PRISM aggregation type "journal"
    assert meta.authors == ("Sadeghi A", "Yousofvand V", "Falahan SN", "Bonyad SA", "Alafchi B")
    assert meta.venue == "BMC Nursing"
    assert "doi:10.1186/s12912-025-02840-4." in meta.reference
    assert real_pdf.source_path == str(REAL_PDF)
    assert len(real_pdf.source_sha256) == 64


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_real_pdf_headings_and_pages(real_pdf: Document) -> None:
    first_page: dict[str, int | None] = {}
    for s in real_pdf.sections:
        first_page.setdefault(s.heading, s.page)
    for heading in ("Abstract", "Background", "Methods", "Results", "Discussion"):
        assert heading in first_page, heading
    assert first_page["Abstract"] == 1
    assert first_page["Background"] == 2
    assert first_page["Limitations"] == 11
    assert first_page["Conclusion"] == 11
    assert all(s.page is not None and 1 <= s.page <= 13 for s in real_pdf.sections)
    text = [s for s in real_pdf.sections if s.kind == "text"]
    pages = [s.page or 0 for s in text]
    assert pages == sorted(pages)
    # Discussion runs over pages 8-11: one Section with its page starts (sentences stay whole)
    (discussion,) = [s for s in text if s.heading == "Discussion"]
    assert discussion.page == 8
    assert [p for _, p in discussion.page_starts] == [9, 10, 11]


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_real_pdf_drops_references_and_running_headers(real_pdf: Document) -> None:
    assert "References" not in {s.heading for s in real_pdf.sections}
    assert "doi. org/" not in real_pdf.text  # broken DOIs of the reference list
    assert not re.search(r"Page \d+ of 13", real_pdf.text)
    assert "Sadeghi et al. BMC Nursing" not in real_pdf.text
    assert "RESEARCH" not in real_pdf.text and "Amir Sadeghi" not in real_pdf.text  # front matter


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_real_pdf_dehyphenation(real_pdf: Document) -> None:
    text = real_pdf.text
    assert "hematopoiesis" in text and "hemat -" not in text
    assert "Moreover, frequent" in text
    assert "counseling can help" in text  # 'coun-' + 'seling' across lines
    assert "well-being" in text  # a real compound keeps its hyphen
    assert "However, their" in text  # no space before the comma


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_real_pdf_text_normalised(real_pdf: Document) -> None:
    for s in real_pdf.sections:
        assert s.text == s.text.strip()
        assert "\n\n\n" not in s.text
        for para in s.text.split("\n\n"):
            assert para and "  " not in para


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _body(doc: Document) -> str:
    return "\n\n".join(s.text for s in doc.sections if s.kind == "text")


@pytest.mark.slow  # parses the real 13-page article: seconds, out of the fast lane
def test_pdf_jats_parity(real_pdf: Document) -> None:
    """>= 98.7% of the JATS body words appear in the PDF body text in the same order (0.987
    before the layout reader; tables are compared cell by cell below)."""
    jats = load_file(REAL_PDF_NXML)[0]
    jats_words, pdf_words = _tokens(_body(jats)), _tokens(_body(real_pdf))
    matcher = difflib.SequenceMatcher(None, jats_words, pdf_words, autojunk=False)
    matched = sum(b.size for b in matcher.get_matching_blocks())
    ratio = matched / len(jats_words)
    print(f"PDF/JATS in-order word parity: {ratio:.4f} ({matched}/{len(jats_words)} words)")
    assert len(jats_words) > 4000
    assert ratio >= 0.987


# --- synthetic PDFs ------------------------------------------------------------------------


def test_text_pdf_sections_pages_and_title(tmp_path: Path) -> None:
    pages = [
        ["A study of widgets", "Abstract", "Widgets were counted in two towns."],
        ["1. Introduction", "Counting widgets is an old craft and a sur-", "prisingly hard one."],
        ["Results", "We counted 42 widgets.", "References", "1. Smith J. Widgets. 1999."],
    ]
    path = _write(tmp_path, "Widget Study.pdf", text_pdf(pages, title="Widgets counted"))
    doc = load_file(path)[0]
    assert doc.meta.doc_id == "widget-study"
    assert doc.meta.title == "Widgets counted"
    got = [(s.heading, s.page) for s in doc.sections]
    assert got == [("", 1), ("Abstract", 1), ("Introduction", 2), ("Results", 3)]
    assert "surprisingly hard one." in doc.sections[2].text
    assert "Smith J" not in doc.text


def _styled_pdf(keywords: str = "", subject: str = "") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    c.setKeywords(keywords)
    c.setSubject(subject)
    y = 740
    for size, text in [
        (20, "Caring for a child at home"),
        (11, "A short guide written for families."),
        (14, "Before you go home"),
        (11, "Ask the team who to call at night."),
        (11, "- Keep the numbers by the phone."),
        (11, "- Check the pump once a day."),
        (14, "Questions to ask"),
        (11, "Write your questions down before the visit."),
    ]:
        c.setFont("Helvetica", size)
        c.drawString(72, y, text)
        y -= size + 8
    c.showPage()
    c.save()
    return buf.getvalue()


def test_font_headings_bullets_and_front_info(tmp_path: Path) -> None:
    keywords = "doc_id=home-guide; doc_type=plain-language; audience=family; year=2026"
    path = _write(tmp_path, "guide.pdf", _styled_pdf(keywords, "My reference."))
    doc = load_file(path)[0]
    assert [(s.heading, s.page) for s in doc.sections] == [
        ("", 1),
        ("Before you go home", 1),
        ("Questions to ask", 1),
    ]
    assert doc.sections[1].text == (
        "Ask the team who to call at night.\n\nKeep the numbers by the phone.\n"
        "Check the pump once a day."
    )  # a bulleted list is one block, an item a line (as a Markdown list)
    m = doc.meta
    assert (m.doc_id, m.doc_type, m.audience, m.year) == (
        "home-guide",
        "plain-language",
        "family",
        2026,
    )
    assert m.title == "Caring for a child at home"  # no /Title: the large first-page line
    assert m.reference == "My reference."


def test_plain_pdf_keywords_are_not_front_info(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "p.pdf", _styled_pdf("leukemia; caregivers")))[0]
    # nothing says this PDF is a journal's: never peer-reviewed by default
    assert (doc.meta.doc_id, doc.meta.doc_type) == ("p", "unknown")


def test_pdf_front_info_is_validated(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.pdf", _styled_pdf("doc_type=poster"))
    assert _reason(path).startswith("invalid doc_type 'poster'; allowed: ")


def test_title_falls_back_to_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.pdf", text_pdf([["Widget counting in practice", "Some text."]]))
    assert load_file(path)[0].meta.title == "Widget counting in practice"


def test_empty_password_encryption_is_accepted(tmp_path: Path) -> None:
    data = encrypted_pdf(text_pdf([["Readable words behind an empty password."]]), "")
    doc = load_file(_write(tmp_path, "open.pdf", data))[0]
    assert "Readable words behind an empty password." in doc.text


# --- bad PDFs ------------------------------------------------------------------------------


def test_random_bytes_pdf(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(4000))
    path = _write(tmp_path, "noise.pdf", noise)
    assert _reason(path) == "not a PDF file: no %PDF header"
    path = _write(tmp_path, "noise2.pdf", b"%PDF-1.7\n" + noise.replace(b"obj", b"") + b"\n%%EOF\n")
    assert _reason(path) == "corrupt PDF: no PDF objects found"


def test_corrupt_pdf_objects(tmp_path: Path) -> None:
    data = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ngarbage\n%%EOF\n"
    reason = _reason(_write(tmp_path, "bad.pdf", data))
    assert reason.startswith("corrupt PDF: ")


def test_empty_pdf(tmp_path: Path) -> None:
    assert _reason(_write(tmp_path, "empty.pdf", b"")) == "file is empty"


def test_truncated_pdf(tmp_path: Path) -> None:
    data = shared("sources", "pdf", REAL_PDF.name).read_bytes()
    path = _write(tmp_path, "half.pdf", data[: len(data) // 2])
    assert _reason(path) == "PDF is truncated: no %%EOF marker"


def test_encrypted_pdf(tmp_path: Path) -> None:
    data = encrypted_pdf(text_pdf([["Secret words."]]), "s3cret")
    assert _reason(_write(tmp_path, "locked.pdf", data)) == "PDF is encrypted"


def test_image_only_pdf(tmp_path: Path) -> None:
    path = _write(tmp_path, "scan.pdf", blank_pdf(2))
    assert _reason(path) == "PDF has no text layer (image-only or scanned)"  # blank pages


def test_too_many_pages(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.pdf", text_pdf([["Page one text."], ["Page two text."]]))
    assert _reason(path, max_pdf_pages=1) == "PDF has too many pages (2 > limit 1)"
    assert len(load_file(path, IngestSettings.model_validate({"max_pdf_pages": 2}))) == 1


def test_pdf_magic_wins_over_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path, "paper.bin", text_pdf([["Sniffed by content, not by name."]]))
    assert "Sniffed by content" in load_file(path)[0].text


# --- pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Abstract", "Abstract"),
        ("ABSTRACT", "Abstract"),
        ("2. Methods", "Methods"),
        ("II. RESULTS", "Results"),
        ("Materials and Methods", "Materials and Methods"),
        ("Conclusions:", "Conclusions"),
        ("Authors’ contributions", "Authors' contributions"),
        ("Results of the trial were good", ""),
        ("Methods were standard.", ""),
        ("", ""),
    ],
)
def test_match_heading(line: str, expected: str) -> None:
    assert match_heading(line) == expected


def _at(text: str, page: int, top: float, size: float = 10.0) -> Line:
    return Line(text, page, size, top, top + size, 792.0)


def test_running_lines_by_position() -> None:
    body = ["Alpha text.", "Beta words.", "Gamma lines."]
    pages = [
        [_at(f"Journal X (2020) 1:{i}", i, 20), _at(b, i, 300), _at(f"Page {i} of 3", i, 760)]
        for i, b in enumerate(body, 1)
    ]
    running = running_lines(pages, 10.0)
    kept = [x.text for p in pages for i, x in enumerate(p) if (x.page, i) not in running]
    assert kept == body


def test_running_lines_on_two_pages_and_body_repeats_kept() -> None:
    """Two pages are enough for a running head; body lines that differ only in numbers stay."""
    pages = [
        [_at("Test Journal 2024; 12: 345", 1, 25), _at("Dose 1 was given.", 1, 300)],
        [_at("Test Journal 2024; 12: 346", 2, 25), _at("Dose 2 was given.", 2, 300)],
    ]
    running = running_lines(pages, 10.0)
    assert running == {(1, 0), (2, 0)}


def test_dehyphenate_rules() -> None:
    lines = [
        Line("the care-", 1),
        Line("givers and the well-being of the long-", 1),
        Line("term caregivers; a long baseline term study", 1),
        Line("measure at base-", 1),
        Line("line; hemat -", 1),
        Line("opoiesis across a page break-", 1),
        Line("down", 2),
    ]
    out = dehyphenate(lines)
    text = " ".join(x.text for x in out)
    assert "the caregivers and" in text
    assert "long-term" in text  # both halves are words
    assert "at baseline; hematopoiesis" in text  # 'baseline' occurs unbroken elsewhere
    assert "hematopoiesis" in text
    assert out[-1].text.endswith("breakdown") and out[-1].page == 1


def test_font_size_headings_and_title_block() -> None:
    lines = [
        Line("Big Title Of", 1, 20.0),
        Line("The Document", 1, 20.0),
        Line("Intro body text that is long enough.", 1, 10.0),
        Line("What it is", 1, 14.0),
        Line("Body text under the first heading.", 1, 10.0),
        Line("A heading that wraps", 2, 14.0),
        Line("over two lines", 2, 14.0),
        Line("More body text on page two here.", 2, 10.0),
        Line("Large but a sentence.", 2, 14.0),
        Line("Methods", 2, 10.0),
        Line("Known heading in body size.", 2, 10.0),
    ]
    body = body_size(lines)
    assert body == 10.0
    assert title_block(lines, body) == ("Big Title Of The Document", 2)
    got = [(h, [x.text for x in ls]) for h, ls in split_sections(lines, body, skip=2)]
    assert got == [
        ("", ["Big Title Of", "The Document", "Intro body text that is long enough."]),
        ("What it is", ["Body text under the first heading."]),
        (
            "A heading that wraps over two lines",
            ["More body text on page two here.", "Large but a sentence."],
        ),
        ("Methods", ["Known heading in body size."]),
    ]


def test_no_title_block_when_page_one_has_no_large_font() -> None:
    lines = [Line("Same size title", 1, 10.0), Line("Body", 1, 10.0)]
    assert title_block(lines, body_size(lines)) == ("", 0)


def test_split_sections_drops_reference_list() -> None:
    lines = [
        Line("Intro text", 1),
        Line("Results", 1),
        Line("R text", 2),
        Line("References", 2),
        Line("1. A ref", 2),
        Line("Funding", 3),
        Line("None.", 3),
    ]
    got = [(h, [x.text for x in ls]) for h, ls in split_sections(lines)]
    assert got == [("", ["Intro text"]), ("Results", ["R text"]), ("Funding", ["None."])]


def test_the_title_is_the_one_page_one_shows() -> None:
    """A stored title whose words page 1 mostly uses is kept (it may be the longer form); a
    tool's name for the file gives way to the title block in the largest type."""
    from ingest.loaders.pdf_meta import visible_title

    page = "Home infusion diary. Keep this diary during the 28-day blinatumomab infusion."
    longer = "Home infusion diary for the 28-day blinatumomab infusion"
    assert visible_title(longer, "Home infusion diary", page) == longer
    page = "Blinatumomab versus chemotherapy in the HERON-9 trial. Results. The 2-year EFS..."
    block = "Blinatumomab versus chemotherapy in the HERON-9 trial"
    assert visible_title("Two-column trial report: columns", block, page) == block
    assert visible_title("", block, page) == block
    assert visible_title("Stored only", "", page) == "Stored only"


def _bullets_in_own_boxes_pdf() -> bytes:
    """A tick list whose bullets are set smaller and lower than their items (as the family
    question sheets are): pdfminer reads some bullets as lines of their own, before the item."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    c.setFont("Helvetica-Bold", 20)
    c.drawString(63, 760, "Questions to ask")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(63, 720, "About the diagnosis")
    y = 700.0
    for item in ["What type of leukemia is it?", "Is it B-ALL?", "Is there a trial to join?"]:
        c.setFont("Helvetica", 10)
        c.drawString(66.7, y - 1.2, "-")
        c.setFont("Helvetica", 11.5)
        c.drawString(78.7, y, item)
        y -= 19
    c.drawString(63, y - 10, "Bring this sheet to each visit.")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_bullet_drawn_apart_from_its_item_still_makes_a_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "ask.pdf", _bullets_in_own_boxes_pdf())
    sec = next(s for s in load_file(path)[0].sections if s.heading)
    assert sec.heading == "About the diagnosis"
    assert sec.text == (
        "What type of leukemia is it?\nIs it B-ALL?\nIs there a trial to join?\n\n"
        "Bring this sheet to each visit."
    )
