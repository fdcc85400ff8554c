"""PubMed efetch XML (root ``PubmedArticleSet`` or ``PubmedArticle``): one Document per article.

Abstract sections come from ``AbstractText/@Label`` (``Abstract: Background``), or one
``Abstract`` section when unlabeled. Articles without an abstract keep their title as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from citeqa.models import Document, Metadata, Section
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError
from ingest.loaders.jats import author_name, child, children, inline_text, local, parse_xml

ROOTS = ("PubmedArticleSet", "PubmedArticle")


def _label(label: str) -> str:
    """'BACKGROUND' -> 'Background'; mixed case is kept."""
    label = " ".join(label.split()).rstrip(":")
    return label.capitalize() if label.isupper() else label


def _abstract(article: Element) -> list[Section]:
    abstract = child(article, "Abstract")
    texts = children(abstract, "AbstractText")
    out: list[Section] = []
    for t in texts:
        text = inline_text(t)
        if not text:
            continue
        label = _label(t.get("Label") or "")
        heading = f"Abstract: {label}" if label else "Abstract"
        if out and out[-1].heading == heading:  # unlabeled paragraphs of one abstract
            out[-1] = Section(heading, f"{out[-1].text}\n\n{text}")
        else:
            out.append(Section(heading, text))
    return out


def _authors(article: Element) -> tuple[str, ...]:
    names: list[str] = []
    for a in children(child(article, "AuthorList"), "Author"):
        collective = inline_text(child(a, "CollectiveName"))
        last = inline_text(child(a, "LastName"))
        if last:
            given = inline_text(child(a, "Initials"))
            fore = inline_text(child(a, "ForeName"))
            names.append(f"{last} {given}" if given else author_name(last, fore))
        elif collective:
            names.append(collective)
    return tuple(names)


def _year(journal: Element | None) -> int | None:
    date = child(child(journal, "JournalIssue"), "PubDate")
    for text in (inline_text(child(date, "Year")), inline_text(child(date, "MedlineDate"))):
        m = re.search(r"\b(\d{4})\b", text)
        if m:
            return int(m.group(1))
    return None


_PEER_REVIEWED = ("journal article", "randomized controlled trial", "clinical trial", "review",
                  "meta-analysis", "systematic review", "case reports", "comparative study",
                  "multicenter study", "observational study", "evaluation study")  # fmt: skip
_MEETING = ("congress", "meeting abstract")
_NOT_ARTICLES = ("editorial", "comment", "letter", "news", "published erratum", "preprint",
                 "retraction of publication", "biography", "interview")  # fmt: skip


def publication_doc_type(article: Element) -> str:
    """doc_type from ``PublicationTypeList``: a meeting abstract, a peer-reviewed article, or
    another kind; 'unknown' when the record lists none."""
    kinds = {
        inline_text(t).lower()
        for t in children(child(article, "PublicationTypeList"), "PublicationType")
    }
    kinds.discard("")
    if not kinds:
        return "unknown"
    if kinds & set(_MEETING):
        return "conference-abstract"
    if kinds & set(_NOT_ARTICLES) and not kinds & {"randomized controlled trial", "clinical trial"}:
        return "other"
    if any(k.startswith(_PEER_REVIEWED) for k in kinds):
        return "journal-article"
    return "other"


def _ids(citation: Element, pubmed_data: Element | None, article: Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for a in children(child(pubmed_data, "ArticleIdList"), "ArticleId"):
        kind = (a.get("IdType") or "").lower()
        if kind and kind not in ids:
            ids[kind] = inline_text(a)
    for e in children(article, "ELocationID"):
        if (e.get("EIdType") or "").lower() == "doi" and "doi" not in ids:
            ids["doi"] = inline_text(e)
    pmid = inline_text(child(citation, "PMID")) or ids.get("pubmed", "")
    ids["pmid"] = re.sub(r"\D", "", pmid)
    return ids


def pubmed_document(path: Path, record: Element) -> Document:
    citation = child(record, "MedlineCitation")
    article = child(citation, "Article")
    if citation is None or article is None:
        raise LoadError(path, "PubmedArticle without MedlineCitation/Article")
    ids = _ids(citation, child(record, "PubmedData"), article)
    if not ids["pmid"]:
        raise LoadError(path, "PubmedArticle without a PMID")
    journal = child(article, "Journal")
    issue = child(journal, "JournalIssue")
    title = inline_text(child(article, "ArticleTitle")) or inline_text(
        child(article, "VernacularTitle")
    )
    pmc = re.sub(r"\D", "", ids.get("pmc", ""))
    meta = Metadata(
        doc_id=f"pmid{ids['pmid']}",
        title=title,
        authors=_authors(article),
        venue=inline_text(child(journal, "ISOAbbreviation"))
        or inline_text(child(journal, "Title")),
        year=_year(journal),
        doc_type=publication_doc_type(article),
        pmid=ids["pmid"],
        pmcid=f"PMC{pmc}" if pmc else "",
        doi=ids.get("doi", ""),
        volume=inline_text(child(issue, "Volume")),
        issue=inline_text(child(issue, "Issue")),
        pages=inline_text(child(child(article, "Pagination"), "MedlinePgn")),
    )
    sections = _abstract(article) or ([Section("Title", title)] if title else [])
    return Document(meta=meta, sections=tuple(sections))


def pubmed_documents(path: Path, root: Element) -> Iterator[Document]:
    tag = local(root.tag)
    if tag not in ROOTS:
        raise LoadError(path, f"not PubMed XML: root element is <{tag}>")
    records = [root] if tag == "PubmedArticle" else children(root, "PubmedArticle")
    if not records:
        raise LoadError(path, "PubmedArticleSet holds no PubmedArticle records")
    for record in records:
        yield pubmed_document(path, record)


class XmlLoader(Loader):
    """XML by its root element: JATS ``<article>`` or PubMed ``PubmedArticleSet``."""

    name = "JATS/PubMed XML"
    suffixes = (".xml", ".nxml")

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        from ingest.loaders.jats import jats_document

        root = parse_xml(path, data)
        tag = local(root.tag)
        if tag in ROOTS:
            yield from pubmed_documents(path, root)
        elif tag == "article":
            yield jats_document(path, root)
        else:
            raise LoadError(path, f"unsupported XML: root element <{tag}> is not JATS or PubMed")
