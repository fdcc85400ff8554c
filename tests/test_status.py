"""A marker's status as a hard slot (rag/status.py, rag/binding.py, rag/select.py)."""

from __future__ import annotations

import pytest

from citeqa.answer import Audience
from rag.binding import CONFLICT, MATCHED, NA, bind
from rag.candidates import units_from
from rag.query import parse_query
from rag.status import conflicts, status_spans, statuses
from tests.core_support import TRIALS, chunk, scored, understanding

ALIASES = {"philadelphia chromosome": "ph", "philadelphia": "ph", "minimal residual disease": "mrd"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BLAST outcomes for the Ph+ patients?", [(("ph", "+"), "Ph+")]),
        ("In the Ph-negative subgroup, RFS was 54%.", [(("ph", "-"), "Ph-negative")]),
        ("mrd neg kids", [(("mrd", "-"), "mrd neg")]),  # typed in lower case: a known marker
        ("ph- pts", [(("ph", "-"), "ph-")]),
        ("HER2-negative tumours", [(("her2", "-"), "HER2-negative")]),  # written as a marker
        ("his leukemia is Philadelphia positive", [(("ph", "+"), "Philadelphia positive")]),
        (
            "Philadelphia chromosome-negative ALL",
            [(("ph", "-"), "Philadelphia chromosome-negative")],
        ),
        (
            "adults negative for minimal residual disease",
            [(("mrd", "-"), "negative for minimal residual disease")],
        ),
    ],
)
def test_a_status_is_read_with_its_words(text: str, expected: list[object]) -> None:
    assert status_spans(text, {"mrd", "ph"}, ALIASES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the test came back negative",
        "they were positive for it",
        "grade 3 CRS",
        "Gram-negative sepsis",
        "B- and T-cell lymphoma",
    ],
)
def test_words_that_are_not_markers_state_no_status(text: str) -> None:
    assert statuses(text, {"mrd", "ph"}, ALIASES) == frozenset()


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("any-grade CRS", "any"),
        ("CRS of any grade", "any"),
        ("all grades", "any"),
        ("grade >=3 AEs", "3+"),
        ("grade ≥ 3 CRS occurred in 4.9%", "3+"),
        ("grade 3+ infections", "3+"),
        ("grade 3 or higher", "3+"),
        ("grade 3-4 neutropenia", "3+"),
    ],
)
def test_the_severity_scope_of_an_adverse_event_figure(text: str, scope: str) -> None:
    assert statuses(text, set(), {}) == {("grade", scope)}


def test_a_status_after_not_or_other_than_is_not_asked() -> None:
    assert statuses("any-grade CRS in TOWER (not just grade 3+)?", set(), {}) == {("grade", "any")}
    assert statuses("patients other than Ph+", {"ph"}, {}) == frozenset()


def test_only_the_other_status_conflicts() -> None:
    asked = [("ph", "+")]
    assert conflicts(asked, {("ph", "-")})
    assert not conflicts(asked, {("ph", "-"), ("ph", "+")})  # both: a comparison, a limit
    assert not conflicts(asked, set())  # the marker not stated
    assert not conflicts(asked, {("mrd", "-")})  # another marker
    both = [("ph", "+"), ("ph", "-")]  # a comparison: a unit about either side
    assert not conflicts(both, {("ph", "-")}) and not conflicts(both, {("ph", "+")})


def _units_and_understanding():  # type: ignore[no-untyped-def]
    neg = chunk(
        "sub",
        "In the Ph-negative subgroup of AALL1731, 4-year DFS was 95%. "
        "In AALL1731, DFS was similar in both Ph groups.",
        trial="AALL1731",
    )
    docs = [*TRIALS, neg]
    return units_from(scored(docs)), understanding(docs)


def test_a_unit_stating_the_other_status_is_never_quoted() -> None:
    units, u = _units_and_understanding()
    q = parse_query("4-year DFS in Ph+ patients in AALL1731?", u)
    assert [s for s, _ in q.slots.statuses] == [("ph", "+")]
    neg, both = (bind(q, x, u.entities, u.lexicon) for x in units if x.doc_id == "sub")
    assert neg.status == CONFLICT and neg.conflicting() == "status"
    assert both.status == MATCHED


def test_a_document_of_the_other_population_corrects_the_premise() -> None:
    c = chunk("e", "In E1910, 3-year OS was 85%.", trial="E1910", ph_status="Ph-negative")
    u = understanding([*TRIALS, c])
    unit = next(x for x in units_from(scored([*TRIALS, c])) if x.full.startswith("In E1910"))
    premise = parse_query("E1910 OS in Ph+ adults?", u)  # E1910 enrolled Ph-negative adults
    assert bind(premise, unit, u.entities, u.lexicon).status == MATCHED
    assert bind(parse_query("E1910 OS?", u), unit, u.entities, u.lexicon).status == NA


def test_a_claim_has_no_status_slot() -> None:
    _, u = _units_and_understanding()
    assert parse_query("AALL1731 enrolled Ph+ children, didn't it?", u).slots.statuses == ()


def test_only_the_other_status_reported_abstains_naming_the_asked_one() -> None:
    import dataclasses

    from citeqa.settings import Settings
    from rag.ranker import DEFAULT
    from rag.select import Policy, choose, score_units
    from tests.core_support import OverlapReranker

    c = chunk("e", "In the Ph-negative subgroup of E1910, 3-year OS was 85%.", trial="E1910")
    u = understanding([*TRIALS, c])
    units = units_from(scored([c]))
    model = dataclasses.replace(DEFAULT, threshold=0.0)  # answer whatever is eligible
    policy = Policy.of(Settings().answer, model, Audience.CLINICIAN)
    for text, answered in (("E1910 3-year OS in Ph+ adults?", False), ("E1910 3-year OS?", True)):
        q = parse_query(text, u)
        ss = score_units(q, units, OverlapReranker(), policy, (u.entities, u.lexicon))
        ch = choose(q, ss, policy, u.entities)
        assert bool(ch.units) is answered
        if not answered:
            assert ch.reason_code == "unbound-status" and "Ph+" in ch.reason
