"""Render the PDF-only family sheets of the corpus from our own markdown.

Sources: ``scripts/pdf_sources/<doc_id>.md`` (YAML front matter + a small markdown subset:
``#``/``##`` headings, paragraphs, ``- `` bullet lists and pipe tables). They live outside
``corpus/`` so the markdown is not indexed next to its PDF. Output:
``corpus/pdf/<doc_id>.pdf`` (the PDF loader takes the doc_id from the file stem).

The PDFs are written deterministically (reportlab ``invariant=1``: fixed dates and ids), so
re-running the script on unchanged sources gives byte-identical files. They have a real text
layer (standard Helvetica fonts), headings set in bold on their own lines, and an outline
(bookmarks) entry per heading. Front matter is stored in the PDF document information:
Title, Author, Subject (the reference) and Keywords (``key=value`` pairs: doc_id, doc_type,
audience, year, venue, evidence).

Usage: ``.venv/bin/python scripts/make_corpus_pdfs.py [--src DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SRC = REPO / "scripts" / "pdf_sources"
DEFAULT_OUT = REPO / "corpus" / "pdf"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)


@dataclass
class Block:
    """One markdown block: heading (level 1/2), paragraph, bullet list or table."""

    kind: str
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter mapping, body) of a markdown source; raises ValueError without one."""
    m = _FRONT_MATTER.match(text)
    if not m:
        raise ValueError("missing YAML front matter")
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    return meta, text[m.end() :]


def parse_blocks(body: str) -> list[Block]:
    """The blocks of a markdown body (the subset described in the module docstring)."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("para", text=" ".join(para)))
            para.clear()

    for raw in body.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            blocks.append(Block("heading", text=heading.group(2), level=len(heading.group(1))))
        elif line.startswith("- "):
            flush()
            if not blocks or blocks[-1].kind != "bullets":
                blocks.append(Block("bullets"))
            blocks[-1].items.append(line[2:].strip())
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                continue
            if not blocks or blocks[-1].kind != "table":
                blocks.append(Block("table"))
            blocks[-1].rows.append(cells)
        else:
            para.append(line)
    flush()
    return blocks


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName="Helvetica", fontSize=11.5, leading=16, spaceAfter=6)
    return {
        "body": base,
        "h1": ParagraphStyle("h1", parent=base, fontName="Helvetica-Bold", fontSize=20,
                             leading=25, spaceAfter=10),
        "h2": ParagraphStyle("h2", parent=base, fontName="Helvetica-Bold", fontSize=14,
                             leading=18, spaceBefore=10, spaceAfter=4),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=16, bulletIndent=4,
                                 spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12, spaceAfter=0),
        "cellhead": ParagraphStyle("cellhead", parent=base, fontName="Helvetica-Bold",
                                   fontSize=9.5, leading=12, spaceAfter=0),
    }  # fmt: skip


def _table(rows: list[list[str]], width: float, styles: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    ncols = max(len(r) for r in rows)
    data = []
    for i, row in enumerate(rows):
        style = styles["cellhead"] if i == 0 else styles["cell"]
        cells = [Paragraph(escape(c), style) for c in row]
        data.append(cells + [Paragraph("", style)] * (ncols - len(cells)))
    heights = [None] + [30.0] * (len(rows) - 1)
    table = Table(data, colWidths=[width / ncols] * ncols, rowHeights=heights, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def flowables(blocks: list[Block], width: float) -> list[Any]:
    """reportlab flowables for the blocks; headings are Paragraphs with style h1/h2."""
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    out: list[Any] = []
    for b in blocks:
        if b.kind == "heading":
            out.append(Paragraph(escape(b.text), styles["h1" if b.level == 1 else "h2"]))
        elif b.kind == "para":
            out.append(Paragraph(escape(b.text), styles["body"]))
        elif b.kind == "bullets":
            out.extend(
                Paragraph(escape(item), styles["bullet"], bulletText="-") for item in b.items
            )
        elif b.kind == "table":
            out.append(_table(b.rows, width, styles))
            out.append(Spacer(1, 8))
    return out


def pdf_keywords(meta: dict[str, Any]) -> str:
    """Front matter fields as ``key=value`` pairs for the PDF Keywords entry."""
    pairs = [
        ("doc_id", meta.get("doc_id", "")),
        ("doc_type", meta.get("doc_type", "")),
        ("audience", meta.get("audience", "")),
        ("year", meta.get("year", "")),
        ("venue", meta.get("venue", "")),
        ("evidence", ",".join(meta.get("evidence") or [])),
    ]
    return "; ".join(f"{k}={v}" for k, v in pairs)


def pdf_subject(meta: dict[str, Any]) -> str:
    """A reference-style citation for the PDF Subject entry: 'Title. Venue. Year.'"""
    if meta.get("reference"):
        return str(meta["reference"])
    parts = [str(meta.get(k) or "").strip().rstrip(".") for k in ("title", "venue", "year")]
    return " ".join(f"{p}." for p in parts if p)


def render(source: Path, out_dir: Path) -> Path:
    """Render one markdown source to ``out_dir/<doc_id>.pdf``; returns the path."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    rl_config.invariant = 1
    meta, body = split_front_matter(source.read_text(encoding="utf-8"))
    doc_id = str(meta["doc_id"])
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{doc_id}.pdf"

    class _Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:  # reportlab hook
            style = getattr(flowable, "style", None)
            name = getattr(style, "name", "")
            if name in ("h1", "h2"):
                key = f"h{len(self._outline_keys)}"
                self._outline_keys.append(key)
                self.canv.bookmarkPage(key)
                level = 0 if name == "h1" else 1
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)

    doc = _Doc(
        str(target),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=str(meta.get("title", "")),
        author="citeqa",
        subject=pdf_subject(meta),
        keywords=[pdf_keywords(meta)],
        creator="citeqa scripts/make_corpus_pdfs.py",
        invariant=1,
    )
    doc._outline_keys = []  # type: ignore[attr-defined]
    doc.build(flowables(parse_blocks(body), doc.width))
    return target


def build_all(src_dir: Path = DEFAULT_SRC, out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Render every ``*.md`` in ``src_dir`` (sorted); returns the written PDF paths."""
    return [render(p, out_dir) for p in sorted(src_dir.glob("*.md"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in build_all(args.src, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
