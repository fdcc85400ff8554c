"""Checks of the shipped corpus (``corpus/``): format, metadata, figures, wording, PDFs.

Corpus format
-------------
* ``corpus/clinical/<doc_id>.md``: one structured summary per study on the evidence fact sheet
  (``../shared/sources/FACTS.md``). YAML front matter with the ``citeqa.models.Metadata``
  fields (doc_id, title, authors as "Surname Initials" plus a final "et al." when the list
  is truncated, venue, year, doc_type, trial, nct, pmid, pmcid, doi, url, audience, volume,
  issue, pages, abstract_number; optional ``reference`` when the generated Vancouver
  reference would lose detail). The body opens with ``## About this summary`` (a summary
  written for citeqa, naming the original), then ``## Background``, ``## Methods``,
  ``## Results``, ``## Conclusions`` and ``## Limitations``.
* ``corpus/family/<doc_id>.md``: plain-language explainers (doc_type ``plain-language``,
  audience ``family``) with ``evidence: [clinical doc_ids]``; Flesch-Kincaid grade <= 7; the
  last section points to the child's care team.
* ``corpus/pdf/<doc_id>.pdf``: family sheets that exist only as PDF, rendered by
  ``scripts/make_corpus_pdfs.py`` from ``scripts/pdf_sources/<doc_id>.md`` (kept outside
  ``corpus/`` so nothing is indexed twice). Front matter goes to the PDF Keywords entry as
  ``key=value`` pairs.
* ``corpus/glossary.yaml``: ``{term, aliases, definition, doc_ids}`` entries. It is not a
  document (YAML is not ingested). ``doc_ids`` lists exactly the documents that use the term.

To add a document: write it in this format, add its doc_id to ``FACT_SECTIONS`` (clinical)
or ``FAMILY_DOCS`` below, update the glossary doc_ids, and run this file.

Figure audit: every number in a document body must appear in the fact-sheet section(s) of
its study (family documents: the union over their evidence). Numbers glued to letters
(``AALL1731``, ``CD19``, ``NCT03914625``, ``m2``) are identifiers, not figures, and are not
extracted. The label "95% CI"/"95% confidence interval" names the interval type and is not a
figure, so it is removed before extraction (the fact sheet writes some intervals without it).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from html import unescape
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from rag.readability import fk_grade, split_sentences

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
PDF_SOURCES = REPO / "scripts" / "pdf_sources"
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
FACTS = SOURCES / "FACTS.md"

# clinical doc_id -> fact-sheet section number(s) of its study
FACT_SECTIONS: dict[str, tuple[int, ...]] = {
    "ash2025-758-aall1731": (1,),
    "nejm2025-aall1731": (2,),
    "ash2025-1077-care-delivery": (3,),
    "jama2021-aall1331": (4,),
    "jama2021-locatelli": (5,),
    "nejm2024-e1910": (6,),
    "nejm2017-tower": (7,),
    "blood2018-blast": (8,),
    "blincyto-label": (9,),
    "cancernurs2024-withycombe": (10,),
}
SUMMARISED_FROM_NEWS = {"ash2025-758-aall1731", "ash2025-1077-care-delivery"}  # [S] sections
FAMILY_DOCS = {
    "family-what-is-ball",
    "family-blinatumomab",
    "family-infusion",
    "family-side-effects",
    "family-mrd",
    "family-aall1731-results",
    "family-home-treatment",
}
PDF_DOCS = {"family-questions-to-ask", "family-infusion-diary"}
# How each clinical document names its study in result sentences.
STUDY_NAMES: dict[str, str] = {
    "ash2025-1077-care-delivery": "COG care delivery survey",
    "jama2021-locatelli": "Locatelli trial",
    "blincyto-label": "BLINCYTO",
    "cancernurs2024-withycombe": "Withycombe survey",
}
# Facts marked [M] on the sheet: a marker of each, and the documents that state it.
REPORTED_MARKERS: dict[str, tuple[str, ...]] = {
    "ash2025-758-aall1731": ("2.5 to 4.3", "crossover"),
    "nejm2025-aall1731": ("0.39", "sepsis", "more infections"),
    "ash2025-1077-care-delivery": ("REDCap",),
    "blincyto-label": ("Hospitalization at the start",),
    "family-aall1731-results": ("seizures", "more infections"),
    "family-side-effects": ("seizures were", "more infections"),
    "family-infusion": ("advises a hospital stay",),
}
ABBREVIATIONS = (
    "B-ALL", "ALL", "MRD", "DFS", "CIR", "CNS", "NCI", "COG", "HR", "SE", "IQR", "CI", "CRS",
    "ICANS", "OS", "EFS", "RFS", "IV", "FDA", "ASH", "WBC", "HC3", "Ph+", "Ph-negative",
    "SR-average", "SR-high",
)  # fmt: skip
REQUIRED_META = (
    "doc_id", "title", "authors", "venue", "year", "doc_type", "trial", "nct", "pmid", "pmcid",
    "doi", "url", "audience", "volume", "issue", "pages", "abstract_number",
)  # fmt: skip
CLINICAL_SECTIONS = ("Background", "Methods", "Results", "Conclusions", "Limitations")
GLOSSARY_REQUIRED = (
    "minimal residual disease", "disease-free survival", "relapse", "cytokine release syndrome",
    "central nervous system", "B-cell acute lymphoblastic leukemia", "Philadelphia chromosome",
    "hazard ratio", "consolidation", "maintenance", "induction", "remission", "infusion",
    "standard risk", "randomized", "cumulative incidence of relapse", "overall survival",
    "event-free survival", "immune effector cell-associated neurotoxicity syndrome",
    "neurological effects", "cycle",
)  # fmt: skip
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)


@dataclass(frozen=True)
class CorpusDoc:
    doc_id: str
    kind: str  # clinical | family | pdf
    path: Path
    meta: dict[str, Any]
    body: str  # markdown body, or the text layer of a PDF


def split_front(text: str) -> tuple[dict[str, Any], str]:
    m = _FRONT.match(text)
    assert m, "missing YAML front matter"
    meta = yaml.safe_load(m.group(1))
    assert isinstance(meta, dict)
    return meta, text[m.end() :]


def pdf_keywords(path: Path) -> dict[str, str]:
    from pypdf import PdfReader

    info: dict[str, Any] = dict(PdfReader(path).metadata or {})
    raw = str(info.get("/Keywords", ""))
    pairs = (p.split("=", 1) for p in raw.split(";") if "=" in p)
    return {k.strip(): v.strip() for k, v in pairs}


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _pdf_doc(path: Path) -> CorpusDoc:
    from pypdf import PdfReader

    info: dict[str, Any] = dict(PdfReader(path).metadata or {})
    kw = pdf_keywords(path)
    meta: dict[str, Any] = {
        "doc_id": kw.get("doc_id", ""),
        "title": str(info.get("/Title", "")),
        "doc_type": kw.get("doc_type", ""),
        "audience": kw.get("audience", ""),
        "year": int(kw["year"]) if kw.get("year", "").isdigit() else None,
        "venue": kw.get("venue", ""),
        "evidence": [e for e in kw.get("evidence", "").split(",") if e],
    }
    return CorpusDoc(path.stem, "pdf", path, meta, pdf_text(path))


@cache
def corpus_docs() -> tuple[CorpusDoc, ...]:
    docs = []
    for kind in ("clinical", "family"):
        for path in sorted((CORPUS / kind).glob("*.md")):
            meta, body = split_front(path.read_text(encoding="utf-8"))
            docs.append(CorpusDoc(path.stem, kind, path, meta, body))
    docs.extend(_pdf_doc(p) for p in sorted((CORPUS / "pdf").glob("*.pdf")))
    return tuple(docs)


def docs_of(*kinds: str) -> list[CorpusDoc]:
    return [d for d in corpus_docs() if d.kind in kinds]


def _ids(docs: list[CorpusDoc]) -> list[str]:
    return [d.doc_id for d in docs]


def md_sections(body: str) -> list[tuple[str, str]]:
    """(## heading, text) pairs of a markdown body, in order."""
    parts = re.split(r"^##[ \t]+(.+)$", body, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


# --- figures ---------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![A-Za-z0-9_])(\d{1,3}(?:,\d{3})+(?!\d)|\d*\.\d+|\d+)")
_CI_LABEL = re.compile(r"95%\s*(?:CI\b|confidence interval)", re.IGNORECASE)


def normalise_number(token: str) -> str:
    value = Decimal(token.replace(",", ""))
    text = format(value.normalize(), "f")
    return text


def numbers_in(text: str) -> set[str]:
    return {normalise_number(m.group(1)) for m in _NUMBER.finditer(_CI_LABEL.sub(" ", text))}


@cache
def fact_sections() -> dict[int, str]:
    if not FACTS.is_file():
        pytest.skip(f"{FACTS} not available (../shared is not beside the repo)")
    text = FACTS.read_text(encoding="utf-8")
    parts = re.split(r"^## (\d+)\.", text, flags=re.MULTILINE)
    out = {int(parts[i]): parts[i + 1].split("\n## ")[0] for i in range(1, len(parts) - 1, 2)}
    return out


def allowed_sections(doc: CorpusDoc) -> tuple[int, ...]:
    if doc.doc_id in FACT_SECTIONS:
        return FACT_SECTIONS[doc.doc_id]
    return tuple(sorted({s for e in doc.meta.get("evidence", []) for s in FACT_SECTIONS[e]}))


# --- glossary matching -----------------------------------------------------------------


def term_pattern(term: str) -> re.Pattern[str]:
    """Whole-word match with an optional plural; acronyms (2+ capitals) are case-sensitive."""
    flags = 0 if sum(c.isupper() for c in term) >= 2 else re.IGNORECASE
    tail = r"(?:s|es)?(?![A-Za-z0-9])" if term[-1].isalnum() else ""
    return re.compile(r"(?<![A-Za-z0-9-])" + re.escape(term) + tail, flags)


def uses_term(text: str, names: list[str]) -> bool:
    return any(term_pattern(n).search(text) for n in names)


@cache
def glossary() -> list[dict[str, Any]]:
    """Glossary entries ([] when the file is missing: test_corpus_layout reports that)."""
    path = CORPUS / "glossary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else []
    assert isinstance(data, list)
    return data


# --- layout and metadata ---------------------------------------------------------------


def test_corpus_layout() -> None:
    assert {d.doc_id for d in docs_of("clinical")} == set(FACT_SECTIONS)
    assert {d.doc_id for d in docs_of("family")} == FAMILY_DOCS
    assert {d.doc_id for d in docs_of("pdf")} == PDF_DOCS
    assert {p.stem for p in PDF_SOURCES.glob("*.md")} == PDF_DOCS
    assert (CORPUS / "glossary.yaml").is_file()
    stray = [
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and p.suffix.lower() in (".md", ".txt", ".xml", ".nxml", ".jsonl", ".pdf")
        and p.parent.name not in ("clinical", "family", "pdf")
    ]
    assert not stray, f"files that would be ingested outside the corpus folders: {stray}"


def test_doc_ids_unique_and_match_file_names() -> None:
    ids = [d.doc_id for d in corpus_docs()]
    assert len(ids) == len(set(ids))
    for d in corpus_docs():
        assert d.meta["doc_id"] == d.path.stem == d.doc_id


@pytest.mark.parametrize(
    "doc", docs_of("clinical", "family"), ids=_ids(docs_of("clinical", "family"))
)
def test_front_matter_fields(doc: CorpusDoc) -> None:
    missing = [k for k in REQUIRED_META if k not in doc.meta]
    assert not missing, f"{doc.doc_id}: missing front matter fields {missing}"
    m = doc.meta
    assert m["title"].strip() and isinstance(m["year"], int) and 2000 <= m["year"] <= 2100
    assert isinstance(m["authors"], list)
    for a in m["authors"]:
        assert a == "et al." or re.fullmatch(r"[A-ZÀ-Ý][\w'À-ÿ-]+ [A-Z]{1,3}", a), a
    assert m["venue"].strip(), "a citation needs a venue"
    assert not m["nct"] or re.fullmatch(r"NCT\d{8}", m["nct"])
    assert not m["pmid"] or re.fullmatch(r"\d{6,9}", str(m["pmid"]))
    assert not m["pmcid"] or re.fullmatch(r"PMC\d+", m["pmcid"])
    assert not m["doi"] or re.fullmatch(r"10\.\d{4,9}/\S+", m["doi"])
    assert not m["url"] or m["url"].startswith("https://")
    if doc.kind == "clinical":
        assert m["audience"] == "clinician"
        assert m["doc_type"] in ("conference-abstract", "journal-article", "drug-label")
        assert m["authors"] or m["doc_type"] == "drug-label", "clinical citation needs authors"
        if m["doc_type"] == "conference-abstract":
            assert str(m["abstract_number"]).isdigit()
        if m["doc_type"] == "journal-article":
            assert m["volume"] and m["pages"], "journal citation needs volume and pages"
    else:
        assert m["audience"] == "family" and m["doc_type"] == "plain-language"


@pytest.mark.parametrize("doc", docs_of("pdf"), ids=_ids(docs_of("pdf")))
def test_pdf_metadata(doc: CorpusDoc) -> None:
    m = doc.meta
    assert m["doc_id"] == doc.path.stem
    assert m["title"] and m["venue"] and m["year"]
    assert m["doc_type"] == "plain-language" and m["audience"] == "family"


@pytest.mark.parametrize("doc", docs_of("family", "pdf"), ids=_ids(docs_of("family", "pdf")))
def test_family_evidence_ids_are_clinical_docs(doc: CorpusDoc) -> None:
    evidence = doc.meta.get("evidence")
    assert evidence, f"{doc.doc_id} names no evidence"
    assert set(evidence) <= set(FACT_SECTIONS), set(evidence) - set(FACT_SECTIONS)


# --- structure and wording -------------------------------------------------------------


@pytest.mark.parametrize("doc", docs_of("clinical"), ids=_ids(docs_of("clinical")))
def test_clinical_structure_and_summary_statement(doc: CorpusDoc) -> None:
    sections = md_sections(doc.body)
    headings = [h for h, _ in sections]
    assert headings[0] == "About this summary"
    positions = []
    for name in CLINICAL_SECTIONS:
        found = [i for i, h in enumerate(headings) if h.startswith(name)]
        assert found, f"{doc.doc_id}: no '## {name}' section"
        positions.append(found[0])
    assert positions == sorted(positions), f"{doc.doc_id}: sections out of order"
    first_para = sections[0][1].split("\n\n")[0]
    assert "summary written for citeqa" in first_para
    assert "not the original" in first_para or "not the label itself" in first_para
    original = doc.meta["authors"][0].split()[0] if doc.meta["authors"] else "BLINCYTO"
    assert original in first_para, f"{doc.doc_id}: the original is not named up front"
    for _, text in sections:
        assert text.strip(), f"{doc.doc_id}: empty section"


@pytest.mark.parametrize("doc", docs_of("clinical"), ids=_ids(docs_of("clinical")))
def test_result_sentences_name_their_study(doc: CorpusDoc) -> None:
    name = STUDY_NAMES.get(doc.doc_id) or doc.meta["trial"]
    results = next(t for h, t in md_sections(doc.body) if h.startswith("Results"))
    for sentence in split_sentences(results):
        if re.search(r"\d", sentence):
            assert name in sentence, f"{doc.doc_id}: result sentence without '{name}': {sentence}"


@pytest.mark.parametrize(
    "doc", docs_of("clinical", "family"), ids=_ids(docs_of("clinical", "family"))
)
def test_abbreviations_spelled_out_at_first_use(doc: CorpusDoc) -> None:
    prose = "\n".join(line for line in doc.body.splitlines() if not line.startswith("#"))
    for abbr in ABBREVIATIONS:
        m = term_pattern(abbr).search(prose) if abbr[-1].isalnum() else None
        m = m or re.search(r"(?<![A-Za-z0-9-])" + re.escape(abbr), prose)
        if m:
            before = prose[m.start() - 1]
            assert before in "([", f"{doc.doc_id}: '{abbr}' used before it is defined"


@pytest.mark.parametrize(
    "doc", docs_of("clinical", "family"), ids=_ids(docs_of("clinical", "family"))
)
def test_time_points_written_consistently(doc: CorpusDoc) -> None:
    body = doc.body.lower()
    assert not re.search(r"\b(?:two|three|four|five)-year\b", body)
    assert not re.search(r"\b\d+ year\b", body), "write '4-year', not '4 year'"
    assert " vs " not in body and " vs." not in body, "write 'versus' (sentence splitting)"


@pytest.mark.parametrize("doc_id", sorted(REPORTED_MARKERS))
def test_secondary_report_items_say_reported(doc_id: str) -> None:
    doc = next(d for d in corpus_docs() if d.doc_id == doc_id)
    sentences = split_sentences(doc.body)
    for marker in REPORTED_MARKERS[doc_id]:
        hits = [s for s in sentences if marker.lower() in s.lower()]
        assert hits, f"{doc_id}: marker '{marker}' not found"
        for s in hits:
            assert "reported" in s, f"{doc_id}: [M] item not written as reported: {s}"


@pytest.mark.parametrize("doc_id", sorted(SUMMARISED_FROM_NEWS))
def test_news_sourced_summaries_say_so_in_limitations(doc_id: str) -> None:
    doc = next(d for d in corpus_docs() if d.doc_id == doc_id)
    limitations = next(t for h, t in md_sections(doc.body) if h == "Limitations")
    assert "news report" in limitations and "peer" in limitations


@pytest.mark.parametrize("doc", docs_of("family"), ids=_ids(docs_of("family")))
def test_family_docs_end_with_care_team_section(doc: CorpusDoc) -> None:
    heading, text = md_sections(doc.body)[-1]
    assert heading == "Talk with your child's care team" and text.strip()


@pytest.mark.parametrize("path", sorted(PDF_SOURCES.glob("*.md")), ids=lambda p: p.stem)
def test_pdf_sources_end_with_care_team_section(path: Path) -> None:
    _, body = split_front(path.read_text(encoding="utf-8"))
    heading, text = md_sections(body)[-1]
    assert heading == "Talk with your child's care team" and text.strip()


@pytest.mark.parametrize("doc", docs_of("family", "pdf"), ids=_ids(docs_of("family", "pdf")))
def test_family_reading_grade(doc: CorpusDoc) -> None:
    grade = fk_grade(doc.body)
    assert 0 < grade <= 7.0, f"{doc.doc_id}: Flesch-Kincaid grade {grade:.1f} > 7"


@pytest.mark.parametrize("path", sorted(PDF_SOURCES.glob("*.md")), ids=lambda p: p.stem)
def test_pdf_source_reading_grade(path: Path) -> None:
    assert 0 < fk_grade(path.read_text(encoding="utf-8")) <= 7.0


@pytest.mark.parametrize("doc", docs_of("family", "pdf"), ids=_ids(docs_of("family", "pdf")))
def test_family_docs_give_no_individual_dosing(doc: CorpusDoc) -> None:
    text = doc.body.lower()
    assert not re.search(r"\bug\b|mcg|mg/|/m2|\bkg\b", text), f"{doc.doc_id}: dose in family doc"
    assert not re.search(r"you should (?:stop|start)", text)


# --- figures on the fact sheet ---------------------------------------------------------


@pytest.mark.parametrize("doc", list(corpus_docs()), ids=_ids(list(corpus_docs())))
def test_every_figure_is_on_the_fact_sheet(doc: CorpusDoc) -> None:
    sections = fact_sections()
    allowed: set[str] = set()
    for number in allowed_sections(doc):
        allowed |= numbers_in(sections[number])
    unknown = sorted(numbers_in(doc.body) - allowed, key=float)
    assert not unknown, (
        f"{doc.doc_id}: figures not in fact-sheet section(s) {allowed_sections(doc)}: {unknown}"
    )


def test_number_normalisation() -> None:
    assert numbers_in("1,444 and 1444") == {"1444"}
    assert numbers_in("P < .0001 and 0.0001") == {"0.0001"}
    assert numbers_in("4.0 months and 4 arms") == {"4"}
    assert numbers_in("AALL1731, CD19, NCT03914625, 15 ug/m2/day") == {"15"}
    assert numbers_in("HR 0.41 (95% CI 0.23-0.73)") == {"0.41", "0.23", "0.73"}
    assert numbers_in("June 14, 2024; 2.5-4.3") == {"14", "2024", "2.5", "4.3"}


# --- no copied sentences ---------------------------------------------------------------


def _normal(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    return " ".join(text.replace("\u201d", '"').lower().split())


@cache
def source_texts() -> dict[str, str]:
    """Normalised text of every readable source file (XML tags dropped).

    PDFs are skipped: the shared PDF's text is also present as its JATS XML beside it.
    """
    if not SOURCES.is_dir():
        pytest.skip(f"{SOURCES} not available (../shared is not beside the repo)")
    out = {}
    for p in sorted(SOURCES.rglob("*")):
        if p.is_file() and p.suffix.lower() in (".txt", ".md", ".xml", ".nxml"):
            text = p.read_text(encoding="utf-8", errors="replace")
            if p.suffix.lower() in (".xml", ".nxml"):
                text = unescape(re.sub(r"<[^>]+>", " ", text))
            out[str(p.relative_to(SOURCES))] = _normal(text)
    return out


@pytest.mark.parametrize("doc", list(corpus_docs()), ids=_ids(list(corpus_docs())))
def test_no_sentence_copied_from_sources(doc: CorpusDoc) -> None:
    texts = source_texts()
    for sentence in split_sentences(doc.body):
        if len(sentence.split()) < 8:
            continue
        needle = _normal(sentence).rstrip(".!?:")
        for name, text in texts.items():
            assert needle not in text, f"{doc.doc_id}: sentence copied from {name}: {sentence}"


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _normal(text))


@pytest.mark.parametrize("doc", list(corpus_docs()), ids=_ids(list(corpus_docs())))
def test_no_long_word_run_shared_with_the_news_report(doc: CorpusDoc) -> None:
    """Stricter than whole sentences: no run of 10 words in common with the news article."""
    news = [t for n, t in source_texts().items() if n.endswith("news.txt")]
    if not news:
        pytest.skip("news report not available")
    n = 10
    src = _tokens(news[0])
    grams = {tuple(src[i : i + n]) for i in range(len(src) - n + 1)}
    mine = _tokens(doc.body)
    shared = [" ".join(mine[i : i + n]) for i in range(len(mine) - n + 1)]
    shared = [g for g in shared if tuple(g.split()) in grams]
    assert not shared, f"{doc.doc_id}: word runs shared with the news report: {shared[:3]}"


# --- glossary --------------------------------------------------------------------------


def test_glossary_entries_are_well_formed() -> None:
    entries = glossary()
    terms = [e["term"] for e in entries]
    assert len(terms) == len(set(terms))
    known = {d.doc_id for d in corpus_docs()}
    for e in entries:
        assert set(e) == {"term", "aliases", "definition", "doc_ids"}, e
        assert isinstance(e["aliases"], list) and isinstance(e["doc_ids"], list)
        assert e["doc_ids"], f"glossary term '{e['term']}' is used by no document"
        assert set(e["doc_ids"]) <= known, set(e["doc_ids"]) - known
        assert 0 < fk_grade(e["definition"]) <= 8.0, (e["term"], fk_grade(e["definition"]))


def test_glossary_covers_required_terms() -> None:
    names = {n.lower() for e in glossary() for n in [e["term"], *e["aliases"]]}
    missing = [t for t in GLOSSARY_REQUIRED if t.lower() not in names]
    assert not missing, missing


@pytest.mark.parametrize("entry", glossary(), ids=lambda e: e["term"])
def test_glossary_doc_ids_are_exactly_the_documents_using_the_term(entry: dict[str, Any]) -> None:
    names = [entry["term"], *entry["aliases"]]
    using = sorted(d.doc_id for d in corpus_docs() if uses_term(d.body, names))
    assert sorted(entry["doc_ids"]) == using


def test_term_matching_rules() -> None:
    assert uses_term("the B-ALL cells", ["B-ALL"]) and not uses_term("the B-ALL cells", ["ALL"])
    assert uses_term("two relapses", ["relapse"]) and not uses_term("all of them", ["ALL"])
    assert uses_term("Ph+ ALL", ["Ph+"]) and uses_term("Cycles", ["cycle"])


# --- PDFs ------------------------------------------------------------------------------


def _pdf_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_corpus_pdfs", REPO / "scripts" / "make_corpus_pdfs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_pdfs_are_deterministic_and_match_their_sources(tmp_path: Path) -> None:
    script = _pdf_script()
    first = script.build_all(PDF_SOURCES, tmp_path / "a")
    second = script.build_all(PDF_SOURCES, tmp_path / "b")
    assert [p.name for p in first] == sorted(f"{d}.pdf" for d in PDF_DOCS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} is not deterministic"
        shipped = CORPUS / "pdf" / a.name
        assert pdf_text(a) == pdf_text(shipped), f"{a.name}: re-run scripts/make_corpus_pdfs.py"


@pytest.mark.parametrize("doc", docs_of("pdf"), ids=_ids(docs_of("pdf")))
def test_pdf_text_layer_has_every_heading_and_sentence(doc: CorpusDoc) -> None:
    from pypdf import PdfReader

    _, body = split_front((PDF_SOURCES / f"{doc.doc_id}.md").read_text(encoding="utf-8"))
    flat = _normal(doc.body.replace("\n", " "))
    headings = re.findall(r"^#{1,2}\s+(.+)$", body, flags=re.MULTILINE)
    for h in headings:
        assert _normal(h) in flat, f"heading '{h}' missing from the PDF text"
    for sentence in split_sentences(body):
        assert _normal(sentence) in flat, f"sentence missing from the PDF text: {sentence}"
    assert sorted(_outline_titles(PdfReader(doc.path).outline)) == sorted(headings)


def _outline_titles(outline: Any) -> list[str]:
    """Titles of all entries of a (nested) pypdf outline."""
    if isinstance(outline, list):
        return [t for item in outline for t in _outline_titles(item)]
    return [str(outline.title)]


def test_pdf_script_parses_the_markdown_subset() -> None:
    script = _pdf_script()
    blocks = script.parse_blocks(
        "# T\n\nOne two.\nthree.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| | |\n"
    )
    assert [b.kind for b in blocks] == ["heading", "para", "bullets", "table"]
    assert blocks[1].text == "One two. three." and blocks[2].items == ["a", "b"]
    assert blocks[3].rows == [["x", "y"], ["", ""]]
    with pytest.raises(ValueError):
        script.split_front_matter("no front matter")


# --- the project's own loader ----------------------------------------------------------


def _load_file() -> Any:
    try:
        from ingest.loaders import load_file
    except ImportError:
        pytest.skip("ingest.loaders.load_file is not available yet")
    return load_file


@pytest.mark.parametrize("doc", list(corpus_docs()), ids=_ids(list(corpus_docs())))
def test_every_corpus_file_loads(doc: CorpusDoc) -> None:
    loaded = _load_file()(doc.path)
    assert len(loaded) == 1
    meta = loaded[0].meta
    assert meta.doc_id == doc.doc_id and loaded[0].text.strip()
    if doc.kind != "pdf":
        assert meta.title == doc.meta["title"] and meta.year == doc.meta["year"]
        assert meta.doc_type == doc.meta["doc_type"] and meta.audience == doc.meta["audience"]
        assert list(meta.evidence) == list(doc.meta.get("evidence") or [])
        assert meta.reference, "no reference could be formatted"
