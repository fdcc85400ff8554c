"""The ClinicalTrials.gov loader on real API v2 records (tests/data/ctgov/README.md names their
source): every result value of the record is found in its row's cells, checked by walking the
raw JSON here, independently of the loader; then values read off the records by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from citeqa.models import Document, Section
from citeqa.settings import ChunkingSettings
from ingest.chunking import chunk_document
from ingest.loaders import load_file

DATA = Path(__file__).parent / "data" / "ctgov"
REAL = ["NCT02210780", "NCT00763412", "NCT02552212"]


def _text(value: object) -> str:
    """A JSON scalar as the reader sees it: one line, Markdown escapes removed."""
    return " ".join(re.sub(r"\\(.)", r"\1", str(value)).split())


def _doc(nct: str) -> tuple[Document, dict[str, object]]:
    (doc,) = load_file(DATA / f"{nct}.json")
    raw = json.loads((DATA / f"{nct}.json").read_text(encoding="utf-8"))
    return doc, raw


def _rows(doc: Document, table: str) -> list[dict[str, str]]:
    return [
        {c.header: c.text for c in s.cells}
        for s in doc.sections
        if s.kind == "table-row" and s.table == table
    ]


def _section(doc: Document, heading: str) -> Section:
    (s,) = [s for s in doc.sections if s.heading == heading]
    return s


@pytest.mark.parametrize("nct", REAL)
def test_every_outcome_value_is_in_its_row(nct: str) -> None:
    doc, raw = _doc(nct)
    measures = raw["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]  # type: ignore[index]
    assert measures
    for i, om in enumerate(measures, 1):
        title = _text(om["title"])
        rows = _rows(doc, f"Outcome {i}: {title}")
        groups = {g["id"]: _text(g["title"]) for g in om["groups"]}
        counts = {c["groupId"]: c["value"] for d in om.get("denoms", []) for c in d["counts"]}
        found = 0
        for cls in om.get("classes", []):
            for cat in cls["categories"]:
                for m in cat["measurements"]:
                    parts = [
                        m[k] for k in ("value", "spread", "lowerLimit", "upperLimit") if k in m
                    ]
                    hit = [
                        r
                        for r in rows
                        if r.get("Group") == groups[m["groupId"]]
                        and all(p in " ".join(r.values()) for p in parts)
                        and r.get("Units", "") == _text(om.get("unitOfMeasure", ""))
                        and r.get("Participants analysed", "") == counts.get(m["groupId"], "")
                        and r.get("Note", "") == _text(m.get("comment", ""))
                    ]
                    assert hit, (nct, i, m)
                    found += 1
        for a in om.get("analyses", []):
            names = " vs ".join(groups[g] for g in a["groupIds"])
            hit = [
                r
                for r in rows
                if r.get("Comparison") == names
                and r.get("P-value", "") == a.get("pValue", "")
                and a["paramValue"] in r[a["paramType"]]
                and f"{a['ciLowerLimit']} to {a['ciUpperLimit']}" in r["Confidence interval"]
                and r["Confidence interval"].startswith(f"{a['ciPctValue']}% CI")
            ]
            assert hit, (nct, i, a)
            found += 1
        assert len(rows) == found  # one row per measurement and analysis, nothing else
        assert all(r["Outcome"] == title for r in rows)


@pytest.mark.parametrize("nct", REAL)
def test_every_adverse_event_is_in_its_row(nct: str) -> None:
    doc, raw = _doc(nct)
    ae = raw["resultsSection"]["adverseEventsModule"]  # type: ignore[index]
    groups = {g["id"]: _text(g["title"]) for g in ae["eventGroups"]}
    for key, table in (("seriousEvents", "Serious adverse events"), ("otherEvents", "Other adverse events")):  # fmt: skip
        rows = _rows(doc, table)
        stats = [(ev, st) for ev in ae.get(key, []) for st in ev["stats"]]
        assert len(rows) == len(stats)
        for ev, st in stats:
            want = {
                "Event": _text(ev["term"]),
                "Organ system": _text(ev["organSystem"]),
                "Group": groups[st["groupId"]],
                "Participants affected": f"{st['numAffected']} of {st['numAtRisk']}",
            }
            assert any(want.items() <= r.items() for r in rows), (nct, want)


@pytest.mark.parametrize("nct", REAL)
def test_the_nct_id_is_the_trial_of_every_passage(nct: str) -> None:
    doc, _ = _doc(nct)
    assert (doc.meta.doc_id, doc.meta.trial, doc.meta.nct) == (nct.lower(), nct, nct)
    assert doc.meta.doc_type == "trial-registry" and doc.meta.venue == "ClinicalTrials.gov"
    assert doc.meta.url == f"https://clinicaltrials.gov/study/{nct}"
    chunks = chunk_document(doc, ChunkingSettings())
    assert {c.meta.trial for c in chunks} == {nct}
    rows = [c for c in chunks if c.kind == "table-row"]
    assert len(rows) == sum(s.kind == "table-row" for s in doc.sections)  # a row is one passage
    assert all(c.cells and c.table for c in rows)
    assert "\\" not in doc.text  # Markdown escapes are read, not quoted


def test_dupilumab_vaccine_study() -> None:
    doc, _ = _doc("NCT02210780")
    m = doc.meta
    assert (m.year, m.authors) == (2014, ("Regeneron Pharmaceuticals",))
    design = _section(doc, "Design").text
    for fact in ("Phase: Phase 2", "Allocation: Randomized", "Masking: Triple",
                 "Enrollment: 194 participants (actual)"):  # fmt: skip
        assert fact in design
    assert "Arm Dupilumab 300 mg qw (Experimental)" in _section(doc, "Arms and interventions").text
    assert m.population_text.startswith(
        "Ages: 18 Years to 64 Years (Adult). Sex: All. Healthy volunteers: no."
    )
    eligibility = _section(doc, "Eligibility").text
    assert "Patients needing >10 mg of daily prednisone" in eligibility
    assert "Consensus Criteria, [Eichenfeld 2004])" in eligibility
    nrs = "Outcome 7: Change From Baseline in Peak Weekly Averaged Pruritis Numerical Rating Scale (NRS) Scores at Week 16"
    rows = _rows(doc, nrs)
    dupi = next(r for r in rows if r.get("Group") == "Dupilumab 300 mg qw")
    assert dupi["Least squares mean"] == "-4.24 (standard error 0.250)"
    assert (dupi["Units"], dupi["Participants analysed"]) == ("Units on a scale", "94")
    assert dupi["Time frame"] == "Baseline to Week 16"
    (analysis,) = [r for r in rows if "Comparison" in r]
    assert analysis == {
        "Outcome": nrs.split(": ", 1)[1],
        "Comparison": "Placebo qw vs Dupilumab 300 mg qw",
        "P-value": "<0.0001",
        "Method": "ANCOVA",
        "LS Mean Difference": "-2.13 (standard error of mean 0.354)",
        "Confidence interval": "90% CI -2.72 to -1.55",
    }
    serious = _rows(doc, "Serious adverse events")
    assert {"Event": "Serum sickness-like reaction", "Group": "Dupilumab 300 mg qw",
            "Participants affected": "1 of 97"}.items() <= serious[1].items()  # fmt: skip


def test_cystic_fibrosis_youth_study() -> None:
    doc, _ = _doc("NCT00763412")
    assert doc.meta.population_text.startswith("Ages: 12 Years to 24 Years (Child, Adult).")
    assert doc.meta.trials == ("NCT00763412", "P60DK020579")
    assert "Phase: Not applicable" in _section(doc, "Design").text
    assert "fasting blood glucose <126 mg/dl" in _section(doc, "Eligibility").text
    placebo = next(r for r in _rows(doc, "Outcome 1: BMI") if r["Group"] == "1 Placebo")
    assert placebo["Mean"] == "19.63 (Full range 15.56 to 22.64)"
    assert (placebo["Units"], placebo["Participants analysed"]) == ("Kg/m^2", "4")
    fat = _rows(doc, "Outcome 2: Body Composition")
    assert {r["Category"] for r in fat} >= {"Fat"}


def test_certolizumab_study() -> None:
    doc, _ = _doc("NCT02552212")
    assert doc.meta.trials == ("NCT02552212", "2015-001894-41")
    week1 = _rows(doc, "Outcome 4: Certolizumab Pegol Plasma Concentration at Week 1")
    assert week1[0]["Geometric mean"] == "50.5 (95% confidence interval 48.0 to 53.0)"
    assert week1[0]["Units"] == "µg/mL"  # the micro sign stays (never folded to Greek mu)
    fu = _rows(doc, "Outcome 11: Certolizumab Pegol Plasma Concentration at Follow-Up (FU) Visit")
    na = next(r for r in fu if r["Group"] == "Placebo->OL CZP (SS)")
    assert na["Note"] == "Values were below the level of quantification."
    odds = next(
        r
        for r in _rows(doc, next(s.table for s in doc.sections if s.table.startswith("Outcome 1:")))
        if "Comparison" in r
    )
    assert (odds["P-value"], odds["Method"], odds["Odds Ratio (OR)"]) == (
        "<0.001", "Regression, Logistic", "15.231"
    )  # fmt: skip
    assert odds["Confidence interval"] == "95% CI 7.336 to 31.623"
    groups = {r["Group"] for r in _rows(doc, "Serious adverse events")}
    assert len(groups) == 5 and "SFE OL CZP 200 mg Q2W (SS)" in groups


def test_one_sided_interval_and_numbers_written_as_numbers(tmp_path: Path) -> None:
    """Edge cases written by hand: a one-sided CI, an estimate's dispersion, JSON numbers."""
    study = {
        "protocolSection": {"identificationModule": {"nctId": "NCT09000009"}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [{
            "title": "Relapse", "groups": [{"id": "OG000", "title": "A"}, {"id": "OG001", "title": "B"}],
            "classes": [{"categories": [{"measurements": [{"groupId": "OG000", "value": 12.5}]}]}],
            "analyses": [{"groupIds": ["OG000", "OG001"], "pValue": "0.03", "paramType": "Risk Difference",
                          "paramValue": 4.1, "dispersionType": "STANDARD_DEVIATION", "dispersionValue": "1.2",
                          "ciPctValue": 97.5, "ciNumSides": "ONE_SIDED", "ciLowerLimit": "0.5"}],
        }]}},
    }  # fmt: skip
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (doc,) = load_file(path)
    value, analysis = _rows(doc, "Outcome 1: Relapse")
    assert (value["Group"], value["Value"]) == ("A", "12.5")
    assert analysis["Risk Difference"] == "4.1 (standard deviation 1.2)"
    assert analysis["Confidence interval"] == "97.5% CI (one-sided) lower limit 0.5"
