"""JATS (PMC) and PubMed XML loaders on the real files, plus hostile XML."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import NamedTuple

import defusedxml.ElementTree as DET
import pytest

from ingest.loaders import LoadError, load_file
from tests.loaders_support import PUBMED_XML, REAL_PDF_NXML, shared


class Expected(NamedTuple):
    doc_id: str
    pmid: str
    doi: str
    title_start: str
    first_author: str
    venue: str
    year: int
    volume: str
    issue: str
    pages: str
    headings: tuple[str, ...]


JATS = {
    "1471-2180-11-174.nxml": Expected(
        "pmc3166277", "21810267", "10.1186/1471-2180-11-174",
        "Factors influencing lysis time stochasticity in bacteriophage λ", "Dennehy JJ",
        "BMC Microbiol", 2011, "11", "", "174",
        ("Abstract: Background", "Results > Effects of KCN Addition", "Methods > Statistical analysis"),
    ),
    "1472-6831-8-11.nxml": Expected(
        "pmc2329613", "18405359", "10.1186/1472-6831-8-11",
        "The Dutch version of the Oral Health Impact Profile (OHIP-NL)", "van der Meulen MJ",
        "BMC Oral Health", 2008, "8", "", "11",
        ("Abstract: Conclusion", "Methods > Test-retest reliability", "Discussion"),
    ),
    "6605965a.nxml": Expected(
        "pmc2994229", "21045829", "10.1038/sj.bjc.6605965",
        "Oral contraceptives, reproductive history and risk of colorectal cancer", "Tsilidis KK",
        "Br J Cancer", 2010, "103", "11", "1755-1759",
        ("Abstract: Methods", "Materials and Methods", "Acknowledgements"),
    ),
    "ehp-116-1694.nxml": Expected(
        "pmc2599765", "19079722", "10.1289/ehp.11570",
        "Dietary Exposure to 2,2′,4,4′-Tetrabromodiphenyl Ether (PBDE-47)", "Lema SC",
        "Environ Health Perspect", 2008, "116", "12", "1694-1699",
        ("Abstract: Objective", "Materials and Methods > Gonad histology", "Figures and tables"),
    ),
    "mds526.nxml": Expected(
        "pmc3574550", "23149571", "10.1093/annonc/mds526",
        "Socio-demographic inequalities in stage of cancer diagnosis", "Lyratzopoulos G",
        "Ann Oncol", 2013, "24", "3", "843-850",
        ("Abstract: Patients and methods", "Introduction", "Methods > Analysis"),
    ),
    "pntd.0002065.nxml": Expected(
        "pmc3585041", "23469300", "10.1371/journal.pntd.0002065",
        "Serological Evidence of Rift Valley Fever Virus Circulation", "Fafetine J",
        "PLoS Negl Trop Dis", 2013, "7", "2", "e2065",
        ("Abstract", "Author Summary", "Materials and Methods > Laboratory tests"),
    ),
    "pone.0000217.nxml": Expected(
        "pmc1790863", "17299597", "10.1371/journal.pone.0000217",
        "Quantifying Organismal Complexity using a Population Genetic Approach", "Tenaillon O",
        "PLoS ONE", 2007, "2", "2", "e217",
        ("Abstract: Conclusions/Significance", "Discussion > Robustness of the Model"),
    ),
    "pone.0046493.nxml": Expected(
        "pmc3460867", "23029536", "10.1371/journal.pone.0046493",
        "MmPPOX Inhibits Mycobacterium tuberculosis Lipolytic Enzymes", "Delorme V",
        "PLoS One", 2012, "7", "9", "e46493",
        ("Abstract", "Results > Mass spectrometry analyses", "Supporting Information"),
    ),
}  # fmt: skip


def _reason(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path)
    return info.value.reason


def test_all_jats_files_are_covered() -> None:
    found = sorted(p.name for p in shared("sources", "jats").glob("*.nxml"))
    assert found == sorted(JATS)


@pytest.mark.parametrize("name", sorted(JATS))
def test_jats_file(name: str) -> None:
    path = shared("sources", "jats", name)
    exp = JATS[name]
    docs = load_file(path)
    assert len(docs) == 1
    doc, m = docs[0], docs[0].meta
    assert m.doc_id == exp.doc_id
    assert m.pmcid == "PMC" + exp.doc_id[3:]
    assert (m.pmid, m.doi, m.venue, m.year) == (exp.pmid, exp.doi, exp.venue, exp.year)
    assert (m.volume, m.issue, m.pages) == (exp.volume, exp.issue, exp.pages)
    assert m.title.startswith(exp.title_start)
    assert m.authors[0] == exp.first_author
    assert m.doc_type == "journal-article"
    headings = [s.heading for s in doc.sections]
    for h in exp.headings:
        assert h in headings, (h, headings)
    assert "References" not in headings
    assert f"PMID: {exp.pmid}." in m.reference and f"doi:{exp.doi}." in m.reference
    assert doc.source_path == str(path) and len(doc.source_sha256) == 64
    for s in doc.sections:
        assert s.page is None and s.text and "  " not in s.text and s.text == s.text.strip()


@pytest.mark.parametrize("name", sorted(JATS))
def test_jats_skips_reference_list(name: str) -> None:
    """Titles of cited works (from the file's own ref-list) are not in the text."""
    path = shared("sources", "jats", name)
    root = DET.fromstring(path.read_bytes())
    cited = [
        " ".join("".join(t.itertext()).split())
        for ref in root.iter("ref")
        for t in ref.iter("article-title")
    ]
    cited = [c for c in cited if len(c) > 40]
    assert cited, "test needs a reference list"
    text = load_file(path)[0].text
    assert not any(c in text for c in cited)


def test_jats_twin_of_pdf() -> None:
    shared("sources", "pdf")
    doc = load_file(REAL_PDF_NXML)[0]
    m = doc.meta
    assert (m.doc_id, m.pmid, m.pmcid) == ("pmc11837597", "39966850", "PMC11837597")
    assert m.authors == ("Sadeghi A", "Yousofvand V", "Falahan SN", "Bonyad SA", "Alafchi B")
    assert m.reference == (
        "Sadeghi A, Yousofvand V, Falahan SN, Bonyad SA, Alafchi B. Effects of virtual "
        "counseling on the care burden and quality of life of family caregivers for leukemia "
        "patients: a randomized controlled trial study. BMC Nurs. 2025;24:189. "
        "doi:10.1186/s12912-025-02840-4. PMID: 39966850."
    )
    headings = [s.heading for s in doc.sections]
    assert headings[:5] == [
        "Abstract: Background",
        "Abstract: Method",
        "Abstract: Results",
        "Abstract: Conclusion",
        "Abstract: Trial registration",
    ]
    assert "Methods > Design and participants" in headings
    # the bullet list of weekly sessions: one item per line
    weeks = re.findall(r"^Week (\d):", doc.text, flags=re.MULTILINE)
    assert weeks == ["1", "2", "3", "4", "5", "6"]
    assert "Fig. 1. CONSORT diagram" in doc.text  # figure caption kept


def test_pubmed_file() -> None:
    shared("sources", "pubmed")
    docs = load_file(PUBMED_XML)
    assert len(docs) == 1
    doc, m = docs[0], docs[0].meta
    assert m.doc_id == "pmid29768149"
    assert m.pmid == "29768149" and m.pmcid == ""
    assert m.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert m.authors[:2] == ("O'Byrne PM", "FitzGerald JM")
    assert (m.venue, m.year, m.volume, m.issue, m.pages) == (
        "N Engl J Med",
        2018,
        "378",
        "20",
        "1865-1876",
    )
    assert m.doi == "10.1056/NEJMoa1715274"
    assert [s.heading for s in doc.sections] == [
        "Abstract: Background",
        "Abstract: Methods",
        "Abstract: Results",
        "Abstract: Conclusions",
    ]
    assert "fast-acting β2-agonist" in doc.sections[0].text
    assert "3849 patients underwent randomization" in doc.sections[2].text
    assert m.reference.endswith(
        "N Engl J Med. 2018;378(20):1865-1876. doi:10.1056/NEJMoa1715274. PMID: 29768149."
    )


def _pubmed_text() -> str:
    return shared("sources", "pubmed", PUBMED_XML.name).read_text(encoding="utf-8")


def test_pubmed_set_with_several_articles(tmp_path: Path) -> None:
    text = _pubmed_text()
    start, end = text.index("<PubmedArticle>"), text.index("</PubmedArticle>") + 17
    article = text[start:end]
    second = article.replace("29768149", "11111111").replace(
        "<Abstract>", '<Abstract><AbstractText Label="EXTRA">Only here.</AbstractText>', 1
    )
    path = tmp_path / "set.xml"
    path.write_text(text[:end] + second + text[end:], encoding="utf-8")
    docs = load_file(path)
    assert [d.doc_id for d in docs] == ["pmid29768149", "pmid11111111"]
    assert docs[1].sections[0].heading == "Abstract: Extra"


def test_single_pubmed_article_root(tmp_path: Path) -> None:
    text = _pubmed_text()
    start, end = text.index("<PubmedArticle>"), text.index("</PubmedArticle>") + 17
    path = tmp_path / "one.xml"
    path.write_text(text[start:end], encoding="utf-8")
    assert load_file(path)[0].doc_id == "pmid29768149"


def test_pubmed_unlabeled_abstract_and_missing_abstract(tmp_path: Path) -> None:
    xml = (
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<Journal><Title>J</Title></Journal><ArticleTitle>With abstract</ArticleTitle>"
        "<Abstract><AbstractText>Plain text.</AbstractText></Abstract></Article>"
        "</MedlineCitation></PubmedArticle><PubmedArticle><MedlineCitation><PMID>2</PMID>"
        "<Article><ArticleTitle>No abstract</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>"
    )
    path = tmp_path / "mini.xml"
    path.write_text(xml, encoding="utf-8")
    a, b = load_file(path)
    assert [(s.heading, s.text) for s in a.sections] == [("Abstract", "Plain text.")]
    assert [(s.heading, s.text) for s in b.sections] == [("Title", "No abstract")]
    assert a.meta.reference == "With abstract. J. PMID: 1."


def test_minimal_jats_without_pmcid(tmp_path: Path) -> None:
    xml = (
        '<article><front><article-meta><article-id pub-id-type="doi">10.1/AB.c</article-id>'
        "<title-group><article-title>T</article-title></title-group></article-meta></front>"
        "<body><p>Loose paragraph.</p><sec><title>methods</title><p>M.</p>"
        "<sec><title>Participants</title><p>P.</p></sec><p>After.</p></sec></body></article>"
    )
    path = tmp_path / "mini.nxml"
    path.write_text(xml, encoding="utf-8")
    doc = load_file(path)[0]
    assert doc.doc_id == "10-1-ab-c"
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("", "Loose paragraph."),
        ("Methods", "M."),
        ("Methods > Participants", "P."),
        ("Methods", "After."),
    ]


# --- hostile / wrong XML ------------------------------------------------------------------


def test_random_bytes_xml(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "noise.xml"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(2000)))
    assert _reason(path).startswith("malformed XML: ")


def test_billion_laughs(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    xml = f'<?xml version="1.0"?><!DOCTYPE article [{"".join(entities)}]><article>&lol9;</article>'
    path = tmp_path / "lol.xml"
    path.write_text(xml, encoding="utf-8")
    assert _reason(path) == (
        "XML with entity declarations is refused (possible entity-expansion attack)"
    )


def test_external_entity(tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE article [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<article><body><p>&xxe;</p></body></article>"
    )
    path = tmp_path / "xxe.nxml"
    path.write_text(xml, encoding="utf-8")
    assert _reason(path) == (
        "XML with entity declarations is refused (possible entity-expansion attack)"
    )


def test_unknown_root(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<rss><channel/></rss>", encoding="utf-8")
    assert _reason(path) == "unsupported XML: root element <rss> is not JATS or PubMed"


def test_jats_without_article_meta(tmp_path: Path) -> None:
    path = tmp_path / "bare.nxml"
    path.write_text("<article><body><p>x</p></body></article>", encoding="utf-8")
    assert _reason(path) == "JATS article without <front>/<article-meta>"


def test_deeply_nested_xml_is_an_error_not_a_crash(tmp_path: Path) -> None:
    depth = 200_000
    xml = "<article><front><article-meta/></front><body>" + "<sec>" * depth
    xml += "x" + "</sec>" * depth + "</body></article>"
    path = tmp_path / "deep.nxml"
    path.write_text(xml, encoding="utf-8")
    assert _reason(path) == "document nested too deeply to parse"
