"""Scoring, deciding and choosing units (rag/select.py) with a fake cross-encoder."""

from __future__ import annotations

import dataclasses

from citeqa.answer import Audience
from citeqa.settings import Settings
from rag.candidates import units_from
from rag.query import parse_query
from rag.ranker import DEFAULT, FEATURES, features, load_ranker
from rag.select import Policy, choose, score_units
from tests.core_support import TRIALS, OverlapReranker, chunk, scored, understanding

U = understanding(TRIALS)
UNITS = units_from(scored(TRIALS))
MODEL = dataclasses.replace(DEFAULT, threshold=0.5, keep=0.7)


def run(text: str, audience: Audience = Audience.CLINICIAN, history: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    q = parse_query(text, U, history)
    policy = Policy.of(Settings().answer, MODEL, audience)
    ss = score_units(q, UNITS, OverlapReranker(), policy, (U.entities, U.lexicon))
    return q, ss, choose(q, ss, policy, U.entities)


def test_conflicting_time_point_is_never_quoted() -> None:
    _, ss, ch = run("What was the 4-year DFS in AALL1731?")
    assert ch.units and "94.8%" in ch.units[0].unit.full
    assert all("3-year" not in s.unit.full for s in ch.units)
    assert any(not s.eligible for s in ss)


def test_unreported_time_point_abstains_naming_it() -> None:
    _, _, ch = run("What was the 5-year DFS in AALL1731?")
    assert not ch.units and ch.reason_code == "unbound-time" and "5-year" in ch.reason


def test_other_study_is_never_quoted_for_a_named_study() -> None:
    _, _, ch = run("2-year DFS in AALL1731?")
    assert not ch.units or all("AALL1331" not in s.unit.full for s in ch.units)


def test_asked_statistic_must_be_present() -> None:
    _, _, ch = run("what was the hazard ratio for DFS in AALL1731")
    assert ch.units and "0.39" in ch.units[0].unit.full


def test_comparison_quotes_both_sides() -> None:
    q, _, ch = run("DFS in AALL1731 vs AALL1331")
    assert q.has("comparison")
    texts = " ".join(s.unit.full for s in ch.units)
    assert "AALL1331" in texts and "AALL1731" in texts


def test_audience_feature_prefers_plain_language_for_families() -> None:
    _, fam, _ = run("does CRS cause fever or chills", Audience.FAMILY)
    _, clin, _ = run("does CRS cause fever or chills", Audience.CLINICIAN)
    plain = [s for s in fam if s.unit.doc_id == "fam"]
    assert plain and all(s.features["audience"] == 1.0 for s in plain)
    assert all(s.features["audience"] == -1.0 for s in clin if s.unit.doc_id == "fam")


def test_features_are_the_six_named_ones() -> None:
    from rag.binding import bind

    q = parse_query("4-year DFS in AALL1731", U)
    u = UNITS[0]
    f = features(u, bind(q, u, U.entities, U.lexicon), 1.0, Audience.CLINICIAN)
    assert tuple(f) == FEATURES and f["ce"] == 1.0 and f["study"] == 1.0


def test_missing_ranker_file_falls_back_to_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_ranker(tmp_path / "none.json") is DEFAULT
    assert load_ranker(None) is DEFAULT


def test_duplicate_units_are_not_quoted_twice() -> None:
    twin = chunk("twin", "In AALL1731, 4-year DFS was 94.8% in the blinatumomab arms versus 86.9%.")
    units = units_from(scored([*TRIALS, twin]))
    q = parse_query("What was the 4-year DFS in AALL1731?", U)
    policy = Policy.of(Settings().answer, MODEL, Audience.CLINICIAN)
    ss = score_units(q, units, OverlapReranker(), policy, (U.entities, U.lexicon))
    ch = choose(q, ss, policy, U.entities)
    assert sum("94.8%" in s.unit.full for s in ch.units) == 1
