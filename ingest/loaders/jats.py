"""PMC JATS XML (``.nxml``/``.xml`` with root ``<article>``), plus shared safe-XML helpers.

Parsing uses defusedxml: entity declarations and external entities are refused.
Headings of nested sections are joined as a path: ``Methods > Participants``;
structured abstracts give ``Abstract: Background`` etc. Tables are skipped (captions kept),
reference lists and footnotes are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml.common import DefusedXmlException

from citeqa.models import Document, Metadata, Section
from ingest.loaders.base import LoadError
from ingest.loaders.jats_tables import float_tables, sec_tables
from ingest.loaders.text import collapse, join_paragraphs, slugify

ENTITY_REASON = "XML with entity declarations is refused (possible entity-expansion attack)"
PATH_SEP = " > "

# Never rendered as text (formula soup, tables' cell soup, media).
SKIP_TAGS = frozenset(
    {
        "table",
        "graphic",
        "inline-graphic",
        "media",
        "disp-formula",
        "tex-math",
        "annotation",
        "object-id",
        "ref-list",
        "fn-group",
        "table-wrap-foot",
    }
)
# Block elements: rendered as their own paragraphs, never inline.
BLOCK_TAGS = frozenset(
    {
        "p",
        "list",
        "fig",
        "fig-group",
        "table-wrap",
        "table-wrap-group",
        "disp-quote",
        "boxed-text",
        "def-list",
        "supplementary-material",
        "statement",
        "sec",
    }
)
_CAPTIONED = frozenset({"fig", "supplementary-material"})  # tables: ingest.loaders.jats_tables
_CONTAINERS = frozenset({"fig-group", "table-wrap-group", "disp-quote", "boxed-text", "statement"})
_DATE_RANK = ("ppub", "epub-ppub", "collection", "epub", "pub", "")


def local(tag: object) -> str:
    """Tag name without namespace ('{ns}math' -> 'math'); '' for comments/PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def parse_xml(path: Path, data: bytes) -> Element:
    """Parse untrusted XML safely; LoadError for entity tricks or malformed input."""
    try:
        root = DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise LoadError(path, ENTITY_REASON) from None
    except ParseError as exc:
        raise LoadError(path, f"malformed XML: {exc}") from None
    if root is None:
        raise LoadError(path, "malformed XML: no root element")
    return root


def inline_text(elem: Element | None, skip: frozenset[str] = SKIP_TAGS) -> str:
    """Text of ``elem`` with whitespace collapsed, skipping ``skip`` and block children."""
    if elem is None:
        return ""
    parts: list[str] = []
    _inline(elem, parts, skip)
    return collapse("".join(parts).replace("\n", " "))


_MARKER_SYMBOLS = re.compile(r"^(?:[\s*†‡§¶#,]*|[a-h](?:,[a-h])*)$")  # footnote markers


def superscript(text: str) -> str:
    """How a superscript reads inline: '^9', '^-4', '^+' (exponents, charges); footnote
    symbols ('*', '†') are dropped. Never glued digits: 10<sup>9</sup> is '10^9', not '109'."""
    text = "".join(text.split()).replace("−", "-").replace("–", "-")
    return "" if _MARKER_SYMBOLS.match(text) else "^" + text


def _sup(elem: Element, skip: frozenset[str]) -> str:
    if any(local(c.tag) == "xref" for c in elem.iter()):
        return ""  # a citation or footnote marker
    inner: list[str] = []
    _inline(elem, inner, skip)
    return superscript("".join(inner))


def mathml(elem: Element) -> str:
    """Linear text of a MathML element: msup as '^', mfrac as '/', the rest in order."""
    tag = local(elem.tag)
    kids = [c for c in elem if local(c.tag)]
    if tag == "msup" and len(kids) == 2:
        return mathml(kids[0]) + superscript(mathml(kids[1]))
    if tag == "mfrac" and len(kids) == 2:
        return f"{mathml(kids[0])}/{mathml(kids[1])}"
    if tag in ("annotation", "annotation-xml"):
        return ""
    own = (elem.text or "").strip()
    return own + "".join(mathml(c) + (c.tail or "").strip() for c in kids)


def _inline(elem: Element, parts: list[str], skip: frozenset[str]) -> None:
    if elem.text:
        parts.append(elem.text)
    for child in elem:
        tag = local(child.tag)
        if tag and tag not in skip and tag not in BLOCK_TAGS:
            if tag in ("sub", "sup") and parts and "\n" in parts[-1]:
                parts[-1] = parts[-1].rstrip()  # pretty-printing before a subscript
            if tag == "sup":
                parts.append(_sup(child, skip))
            elif tag == "math":
                parts.append(mathml(child))
            else:
                _inline(child, parts, skip)
        if child.tail:
            parts.append(child.tail)


def children(elem: Element | None, name: str) -> list[Element]:
    return [c for c in elem if local(c.tag) == name] if elem is not None else []


def child(elem: Element | None, name: str) -> Element | None:
    found = children(elem, name)
    return found[0] if found else None


def initials(given: str) -> str:
    """'Olin K.' -> 'OK', 'Jean-Philippe' -> 'JP'."""
    return "".join(w[0].upper() for w in re.split(r"[\s.\-]+", given) if w and w[0].isalpha())


def author_name(surname: str, given: str) -> str:
    return " ".join(p for p in (collapse(surname), initials(given)) if p)


def clean_heading(title: str) -> str:
    title = collapse(title).rstrip(":").strip()
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title


def _block_paras(elem: Element) -> list[str]:
    """Paragraph strings of one block element (lists give one item per line)."""
    tag = local(elem.tag)
    if not tag or tag in SKIP_TAGS or tag == "table-wrap":  # tables: jats_tables
        return []
    if tag == "p":
        paras = [inline_text(elem)]
        for c in elem:
            if local(c.tag) in BLOCK_TAGS:
                paras.extend(_block_paras(c))
        return [p for p in paras if p]
    if tag == "list":
        lines = [_list_item(item) for item in children(elem, "list-item")]
        return ["\n".join(x for x in lines if x)] if any(lines) else []
    if tag in _CAPTIONED:
        caption = child(elem, "caption")
        bits = [inline_text(child(elem, "label"))]
        bits += [inline_text(c) for c in caption] if caption is not None else []
        text = " ".join(b if b[-1:] in ".:;?!" else b + "." for b in bits if b)
        return [text] if caption is not None and text else []
    if tag == "def-list":
        items = [
            ": ".join(x for x in (inline_text(child(d, "term")), inline_text(child(d, "def"))) if x)
            for d in children(elem, "def-item")
        ]
        return ["\n".join(i for i in items if i)] if any(items) else []
    if tag in _CONTAINERS or tag == "sec":
        out: list[str] = []
        for c in elem:
            out.extend(_block_paras(c) if local(c.tag) != "title" else [inline_text(c)])
        return [p for p in out if p]
    text = inline_text(elem)
    return [text] if text else []


def _list_item(item: Element) -> str:
    pieces: list[str] = []
    for c in item:
        pieces.extend(_block_paras(c) if local(c.tag) != "label" else [])
    if not pieces:
        pieces = [inline_text(item)]
    return " ".join(p.replace("\n", " ") for p in pieces if p)


def _sec_sections(sec: Element, path: list[str], out: list[Section]) -> None:
    """Append sections of ``sec`` (and nested secs) with 'A > B' path headings."""
    title = clean_heading(inline_text(child(sec, "title")))
    here = [*path, title] if title else path
    heading = PATH_SEP.join(here)
    paras: list[str] = []
    for c in sec:
        tag = local(c.tag)
        if tag in ("title", "label", "sec-meta"):
            continue
        if tag in ("sec", "app"):
            if paras:
                out.append(Section(heading, join_paragraphs(paras)))
                paras = []
            _sec_sections(c, here, out)
        else:
            paras.extend(_block_paras(c))
    if paras:
        out.append(Section(heading, join_paragraphs(paras)))
    out.extend(sec_tables(sec, heading))


def _abstract_sections(meta_el: Element) -> list[Section]:
    out: list[Section] = []
    for ab in children(meta_el, "abstract"):
        kind = ab.get("abstract-type") or ""
        if kind in ("graphical", "teaser", "toc", "web-summary"):
            continue
        base = clean_heading(inline_text(child(ab, "title")))
        base = base or ("Abstract" if not kind else clean_heading(kind.replace("-", " ")))
        paras: list[str] = []
        for c in ab:
            tag = local(c.tag)
            if tag == "sec":
                label = clean_heading(inline_text(child(c, "title")))
                body = [p for x in c if local(x.tag) != "title" for p in _block_paras(x)]
                if body:
                    out.append(
                        Section(f"{base}: {label}" if label else base, join_paragraphs(body))
                    )
            elif tag not in ("title", "label"):
                paras.extend(_block_paras(c))
        if paras:
            out.append(Section(base, join_paragraphs(paras)))
    return out


def _body_sections(root: Element) -> list[Section]:
    out: list[Section] = []
    for part in ("body", "back"):
        el = child(root, part)
        if el is None:
            continue
        loose: list[str] = []
        for c in el:
            tag = local(c.tag)
            if tag in ("sec", "app-group", "app"):
                _sec_sections(c, [], out)
            elif tag == "ack":
                title = clean_heading(inline_text(child(c, "title"))) or "Acknowledgements"
                paras = [p for x in c if local(x.tag) != "title" for p in _block_paras(x)]
                if paras:
                    out.append(Section(title, join_paragraphs(paras)))
            elif part == "body":
                loose.extend(_block_paras(c))
        if loose:
            out.insert(0, Section("", join_paragraphs(loose)))
        if part == "body":
            out.extend(sec_tables(el, ""))
    floats = [p for g in children(root, "floats-group") for c in g for p in _block_paras(c)]
    if floats:
        out.append(Section("Figures and tables", join_paragraphs(list(dict.fromkeys(floats)))))
    out.extend(float_tables(root))
    return out


def _year(meta_el: Element) -> int | None:
    best: tuple[int, int] | None = None
    for d in children(meta_el, "pub-date"):
        kind = d.get("pub-type") or d.get("date-type") or ""
        year = (d.findtext("year") or "").strip()
        if not re.fullmatch(r"\d{4}", year):
            continue
        rank = _DATE_RANK.index(kind) if kind in _DATE_RANK else len(_DATE_RANK)
        if best is None or rank < best[0]:
            best = (rank, int(year))
    return best[1] if best else None


def _authors(meta_el: Element) -> tuple[str, ...]:
    names: list[str] = []
    for group in children(meta_el, "contrib-group"):
        for contrib in children(group, "contrib"):
            if contrib.get("contrib-type") not in (None, "author"):
                continue
            name = child(contrib, "name")
            if name is None:
                name = child(contrib, "string-name")
            if name is not None and child(name, "surname") is not None:
                given = inline_text(child(name, "given-names"))
                names.append(author_name(inline_text(child(name, "surname")), given))
            elif child(contrib, "collab") is not None:
                names.append(inline_text(child(contrib, "collab")))
            elif name is not None:
                names.append(inline_text(name))
    return tuple(n for n in names if n)


def _venue(root: Element) -> str:
    jmeta = child(child(root, "front"), "journal-meta")
    if jmeta is None:
        return ""
    ids = {j.get("journal-id-type"): inline_text(j) for j in children(jmeta, "journal-id")}
    titles = [inline_text(t) for t in jmeta.iter() if local(t.tag) == "journal-title"]
    return ids.get("nlm-ta") or ids.get("iso-abbrev") or (titles[0] if titles else "")


# JATS article-type -> citeqa doc_type (https://jats.nlm.nih.gov/archiving/tag-library/)
ARTICLE_TYPES = {
    **dict.fromkeys(
        ("research-article", "review-article", "case-report", "brief-report", "systematic-review",
         "rapid-communication", "methods-article", "data-paper", "article-commentary"),
        "journal-article",
    ),
    **dict.fromkeys(("meeting-report", "abstract"), "conference-abstract"),
    **dict.fromkeys(
        ("editorial", "letter", "news", "correction", "retraction", "book-review", "reply",
         "discussion", "obituary", "announcement", "other"),
        "other",
    ),
}  # fmt: skip


def doc_type_of(article_type: str) -> str:
    """doc_type of a JATS ``article-type``; 'unknown' when absent or unrecognised."""
    return ARTICLE_TYPES.get(article_type.strip().lower(), "unknown")


def jats_metadata(path: Path, root: Element) -> Metadata:
    meta_el = child(child(root, "front"), "article-meta")
    if meta_el is None:
        raise LoadError(path, "JATS article without <front>/<article-meta>")
    ids = {a.get("pub-id-type"): inline_text(a) for a in children(meta_el, "article-id")}
    pmid = re.sub(r"\D", "", ids.get("pmid", ""))
    pmc_digits = re.sub(r"\D", "", ids.get("pmc") or ids.get("pmcid") or "")
    doi = ids.get("doi", "")
    fpage, lpage = inline_text(child(meta_el, "fpage")), inline_text(child(meta_el, "lpage"))
    pages = f"{fpage}-{lpage}" if fpage and lpage and lpage != fpage else fpage
    if pmc_digits:
        doc_id = f"pmc{pmc_digits}"
    elif pmid:
        doc_id = f"pmid{pmid}"
    else:
        doc_id = slugify(doi or path.stem)
    return Metadata(
        doc_id=doc_id,
        title=inline_text(child(child(meta_el, "title-group"), "article-title")),
        authors=_authors(meta_el),
        venue=_venue(root),
        year=_year(meta_el),
        doc_type=doc_type_of(root.get("article-type") or ""),
        pmid=pmid,
        pmcid=f"PMC{pmc_digits}" if pmc_digits else "",
        doi=doi,
        volume=inline_text(child(meta_el, "volume")),
        issue=inline_text(child(meta_el, "issue")),
        pages=pages or inline_text(child(meta_el, "elocation-id")),
    )


def jats_document(path: Path, root: Element) -> Document:
    if local(root.tag) != "article":
        raise LoadError(path, f"not a JATS article: root element is <{local(root.tag)}>")
    meta = jats_metadata(path, root)
    meta_el = child(child(root, "front"), "article-meta")
    sections = (_abstract_sections(meta_el) if meta_el is not None else []) + _body_sections(root)
    return Document(meta=meta, sections=tuple(sections))
