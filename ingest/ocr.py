"""OCR for PDF pages without a text layer: Tesseract through pytesseract, pages rendered by
pypdfium2 (pdfplumber's renderer).

Tesseract is a system package (Debian ``tesseract-ocr``, installed by ``make system-deps`` and
CI); when it is missing, :func:`ocr_unavailable` says why, citeqa logs it once, and the pages are
reported "needs OCR" instead of being read. OCR lines carry ``ocr=True`` so their passages and
citations are marked as read from a page image.
"""

from __future__ import annotations

import functools
import logging
import shutil

from ingest.loaders.pdf_layout import Line

log = logging.getLogger(__name__)
INSTALL_HINT = "install Tesseract (`make system-deps`, or apt-get install tesseract-ocr)"


@functools.cache
def ocr_unavailable() -> str:
    """'' when OCR can run, else the reason (said once in the log)."""
    reason = ""
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        reason = "pytesseract is not installed"
    if not reason and shutil.which("tesseract") is None:
        reason = f"Tesseract is not installed: {INSTALL_HINT}"
    if reason:
        log.warning(
            "OCR is off: %s; pages without a text layer are reported as needing OCR", reason
        )
    return reason


def ocr_page(data: bytes, index: int, dpi: int = 300, lang: str = "eng") -> list[Line]:
    """Lines of page ``index`` (0-based) read by OCR; a blank line in the OCR output starts a
    new block (paragraph)."""
    import pypdfium2 as pdfium
    import pytesseract

    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[index].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
    text = pytesseract.image_to_string(image, lang=lang)
    lines: list[Line] = []
    box = 0
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            box += 1
            continue
        lines.append(Line(line, index + 1, 0.0, -1.0, -1.0, 0.0, box, True))
    return lines
