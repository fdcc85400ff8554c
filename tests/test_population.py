"""Population labels (issue N): front matter, extraction rules, and precision per field on the
hand-labelled documents of ../shared/sources (tests/data/population_labels.yaml)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from citeqa.answer import Audience, Population
from citeqa.domain import load_profile
from citeqa.models import Metadata
from ingest.loaders import parse_bytes
from rag.population import (
    UNKNOWN,
    about_children,
    age_group_of_range,
    asked_setting,
    describe,
    design_of,
    exact_ages,
    population_of,
    text_age_groups,
)
from tests.conftest import shared_or_skip

EV = load_profile("ball-blinatumomab").evidence
REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "population_labels.yaml"
FIELDS = ("age_group", "setting", "risk_group", "ph_status")


def pop(title: str = "", text: str = "", **front: str) -> Population:
    return population_of(Metadata("d", title=title, population_text=text, **front), EV)


# -- ages ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "group"),
    [
        (0, 0.9, "infants"),
        (1 / 12, 17, "children"),
        (1, 30, "children and young adults"),
        (18, None, "adults"),
        (30, 70, "adults"),
        (12, None, "adolescents and adults"),
        (1 / 12, None, "children and adults"),
    ],
)
def test_age_group_of_range(low: float, high: float | None, group: str) -> None:
    assert age_group_of_range(low, high) == group


def test_trial_record_ages_are_exact() -> None:
    assert exact_ages("Ages: 1 Year to 30 Years (Child, Adult).") == (1.0, 30.0)
    assert exact_ages("Ages: 18 Years to no upper limit.") == (18.0, None)
    low, high = exact_ages("Ages: 28 Days to 17 Years.") or (0, 0)
    assert low == pytest.approx(28 / 365) and high == 17
    assert pop(text="Ages: 1 Month to 17 Years. Sex: all.").age_group == "children"
    # the record's ages win over cue words elsewhere in the text
    assert pop(text="Ages: 18 Years to 65 Years. Adults and children were screened.").age_group == (
        "adults"
    )


def test_trial_record_loaded_from_ctgov_gets_its_age_group() -> None:
    p = REPO / "tests" / "data" / "ctgov" / "studies-page.json"
    docs = {d.doc_id: d for d in parse_bytes(p, p.read_bytes())}
    assert population_of(docs["nct09000002"].meta, EV).age_group == "adults"
    assert population_of(docs["nct09000003"].meta, EV).age_group == UNKNOWN


def test_age_ranges_in_text() -> None:
    assert text_age_groups("enrolled children aged 1 to 9 years") == {"children"}
    assert text_age_groups("patients 12 years of age or older") == {"adolescents and adults"}
    assert text_age_groups("older than 28 days and younger than 18 years") == {"children"}
    assert text_age_groups("between the ages of 1 and 9") == {"children"}
    assert text_age_groups("no ages here, 4-year DFS 94.8%") == set()


def test_age_cues_need_one_group() -> None:
    assert pop("Blinatumomab in Adult Patients With Relapsed ALL").age_group == "adults"
    assert pop("Pediatric and Adolescent Patients With ALL").age_group == "children"
    assert pop("Children, Adolescents, and Young Adults With First Relapse").age_group == (
        "children and young adults"
    )
    # both children and adults named: unknown, never a guess
    assert pop(text="MRD in adult ALL is prognostic, as shown for childhood ALL.").age_group == (
        UNKNOWN
    )
    # "adult" of animals is not a population of people
    assert pop(text="Adult fathead minnows were given the diet.").age_group == UNKNOWN
    # "regardless of age" vetoes any age label
    assert pop(text="aged at least 60 years, or relapsed ALL regardless of age").age_group == (
        UNKNOWN
    )


def test_title_decides_before_the_text() -> None:
    p = pop(
        "Study in Adults With ALL", "Childhood leukemia is different; children were not enrolled"
    )
    assert p.age_group == "adults"


# -- setting, risk, Ph ---------------------------------------------------------------------------
def test_setting_risk_and_ph_cues() -> None:
    p = pop("Blinatumomab in Relapsed/Refractory Ph-Negative ALL")
    assert (p.setting, p.ph_status) == ("relapsed/refractory", "Ph-negative")
    assert pop(text="newly diagnosed standard-risk B-ALL").risk_group == "standard risk"
    assert pop(text="high- or intermediate-risk first relapse").risk_group == (
        "high or intermediate risk"
    )
    assert pop(text="standard- or high-risk patients, and low-risk ones").risk_group == UNKNOWN
    assert pop(text="newly diagnosed ALL or relapsed/refractory ALL").setting == UNKNOWN
    assert pop(text="Ph+ ALL and Philadelphia chromosome-negative ALL").ph_status == UNKNOWN
    assert pop(text="children without BCR::ABL1 fusion").ph_status == "Ph-negative"
    assert pop(text="Ph-like ALL").ph_status == UNKNOWN  # Ph-like is not Ph-negative
    assert pop(text="patients with minimal residual disease of B-ALL").setting == "MRD-positive"


def test_front_matter_wins_and_unknown_is_curated() -> None:
    p = pop("Study in Adults", age_group="children", setting="unknown")
    assert (p.age_group, p.setting) == ("children", UNKNOWN)
    assert describe(Population("adults", "relapsed/refractory", UNKNOWN, "Ph-negative")) == (
        "adults, relapsed/refractory, Ph-negative"
    )


def test_design() -> None:
    assert design_of(Metadata("d", title="A Randomized Clinical Trial"), EV) == "randomised trial"
    assert design_of(Metadata("d", doc_type="drug-label"), EV) == "drug label"
    assert design_of(Metadata("d", design="survey"), EV) == "survey"
    assert design_of(Metadata("d"), EV) == ""


# -- the question --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "audience", "child"),
    [
        ("What was the CR rate in TOWER for my child?", Audience.CLINICIAN, True),
        ("Is blinatumomab used in pediatric relapsed ALL?", Audience.CLINICIAN, True),
        ("My 7-year-old starts blinatumomab, what about CRS?", Audience.CLINICIAN, True),
        ("CRS rate in a patient aged 12?", Audience.CLINICIAN, True),
        ("What was median OS in TOWER?", Audience.CLINICIAN, False),
        ("OS in adults aged 30 to 70 in E1910?", Audience.CLINICIAN, False),
        ("What was median OS in TOWER?", Audience.FAMILY, True),
    ],
)
def test_about_children(question: str, audience: Audience, child: bool) -> None:
    assert about_children(question, audience, EV) is child


def test_asked_setting() -> None:
    assert asked_setting("Does blinatumomab help after a relapse?", EV) == "relapsed"
    assert asked_setting("In newly diagnosed children, what was DFS?", EV) == "newly diagnosed"
    assert asked_setting("What was DFS?", EV) == ""
    # who was treated, not what happened to them
    for setting in (
        "relapsed B-ALL in kids, what was the CR rate?",
        "does blina work for kids whose leukemia comes back after treatment?",
        "outcomes in second relapse",
    ):
        assert asked_setting(setting, EV) == "relapsed", setting
    for outcome in (
        "blina vs no blina - how often did the leukemia come back by 4 years in aall1731?",
        "relapse-free survival in E1910?",
        "what was the risk of relapse in AALL1731",
        "how many kids relapsed?",
        "did blina do anything to isolated relapse in aall1731?",
    ):
        assert asked_setting(outcome, EV) == "", outcome


# -- precision on hand labels -------------------------------------------------------------------
def measure(root: Path) -> dict[str, tuple[int, int, int]]:
    """Per field: (labels given, correct among them, documents whose hand label is known)."""
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    out = {f: [0, 0, 0] for f in FIELDS}
    for rel, truth in labels.items():
        p = root / rel
        got = population_of(parse_bytes(p, p.read_bytes())[0].meta, EV)
        for f, want in zip(FIELDS, truth, strict=True):
            value = getattr(got, f)
            out[f][2] += want != UNKNOWN
            if value != UNKNOWN:
                out[f][0] += 1
                out[f][1] += value == want
    return {f: (a, b, c) for f, (a, b, c) in out.items()}


def test_hand_labels_cover_the_shared_sources() -> None:
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    assert len(labels) >= 26
    for rel, truth in labels.items():
        assert len(truth) == len(FIELDS), rel


@pytest.mark.slow  # reads a whole real corpus: seconds, out of the fast lane
def test_precision_per_field_on_the_shared_sources() -> None:
    root = shared_or_skip("sources")
    result = measure(root)
    for f, (given, correct, known) in result.items():
        print(f"{f}: precision {correct}/{given}, recall {correct}/{known}")
        if given:
            assert correct / given >= 0.95, (f, result[f])
    assert result["age_group"][0] >= 8 and result["setting"][0] >= 8  # labels are given


def test_extraction_agrees_with_the_corpus_front_matter() -> None:
    """The corpus's curated labels as a second test set: the extraction (front matter blanked)
    gives the curated label or "unknown", never another."""
    given = 0
    for p in sorted((REPO / "corpus" / "clinical").glob("*.md")):
        meta = parse_bytes(p, p.read_bytes())[0].meta
        blank = replace(meta, age_group="", setting="", risk_group="", ph_status="")
        got = population_of(blank, EV)
        for f in FIELDS:
            value = getattr(got, f)
            if value != UNKNOWN:
                given += 1
                assert value == getattr(meta, f), (p.name, f, value)
    assert given >= 15
