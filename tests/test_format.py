from citeqa.answer import Answer, Audience, Citation
from rag.format import format_answer, format_citation, references_markdown
from rag.glossary import Term, terms_in
from tests.helpers import ABSTAIN_TEXT


def _cite(n: int = 1, **kw: str) -> Citation:
    base = dict(
        chunk_id="c1",
        doc_id="d1",
        title="T",
        reference="Gupta S. T. ASH; 2025.",
        doc_type="conference-abstract",
        locator="Results",
        quote="DFS was 94.8%.",
        passage="DFS was 94.8%. More.",
        url="https://pubmed.ncbi.nlm.nih.gov/1/",
    )
    base.update(kw)
    return Citation(n=n, **base)  # type: ignore[arg-type]


def test_citation_line_labels_abstracts() -> None:
    line = format_citation(_cite())
    assert line.startswith("[1] Gupta S. T. ASH; 2025.")
    assert "Conference abstract (not peer-reviewed); Results" in line
    assert '"DFS was 94.8%."' in line and "pubmed" in line


def test_answer_text_has_references_and_notice() -> None:
    a = Answer(
        "q",
        Audience.CLINICIAN,
        "DFS was 94.8%. [1]",
        False,
        citations=(_cite(),),
        notice="Ask the care team.",
        timings_ms={"total": 12.0},
        readability={"fk_grade": 7.5},
    )
    out = format_answer(a)
    assert out.index("DFS was") < out.index("Ask the care team") < out.index("References:")
    assert "total 12 ms" in out and "grade" not in out  # clinicians get no reading grade
    family = format_answer(a.replace(audience=Audience.FAMILY))
    assert "(total 12 ms; reading grade 7.5)" in family


def test_abstention_shows_nearest_sources() -> None:
    a = Answer("q", "clinician", ABSTAIN_TEXT, True, nearest=[_cite()])
    out = format_answer(a, timings=False)
    assert out.startswith(ABSTAIN_TEXT) and "Nearest sources:" in out


def test_references_markdown() -> None:
    md = references_markdown([_cite(), _cite(2, url="")])
    assert md.splitlines()[0] == "References:" and md.splitlines()[2].startswith("[2]")


def test_glossary_terms_in_order_and_word_bounded() -> None:
    g = (
        Term("MRD", ("minimal residual disease",), "Tiny amounts of leukemia left."),
        Term("relapse", (), "The leukemia comes back."),
        Term("CRS", ("cytokine release syndrome",), "A reaction of the immune system."),
    )
    found = terms_in("After relapse, MRD was checked.", g)
    assert [f["term"] for f in found] == ["relapse", "MRD"]
    assert terms_in("The MRDX gene", g) == []
    assert terms_in("cytokine release syndrome can occur", g)[0]["term"] == "CRS"
