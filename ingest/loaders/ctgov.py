"""ClinicalTrials.gov API v2 JSON (``.json``): one study, a ``{"studies": [...]}`` page, or a
list of studies; one ``trial-registry`` Document per study.

Protocol parts become text sections (summary, design, arms, eligibility with ages, registered
outcome measures). Results become citable table-row passages: each outcome measure gives one
row per group and category (value, dispersion or CI, units, participants analysed, time frame)
and one row per statistical analysis (p-value, method, estimate and CI); adverse events give one
row per event term and group. The NCT id is the trial of every passage. The API writes its
text fields in Markdown: backslash escapes ("\\[", "\\>") are read as the characters they escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from citeqa.models import Document, Metadata, Section, TableCell
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError
from ingest.loaders.text import decode_or_raise, join_paragraphs, paragraphs

_NCT = re.compile(r"^NCT\d{8}$")
# The API's text fields are Markdown: a backslash escapes ASCII punctuation ("\>= 18" is ">= 18")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ENUM_WORDS = {"NA": "Not applicable"}  # enumeration values that are not words
MAX_AE_ROWS = 400  # adverse-event rows per study (the rest are summarised by count)


# A study is untrusted JSON: every value is read as ``object`` and narrowed by these helpers.


def _get(obj: object, *keys: str) -> object:
    """``obj[k1][k2]...``, or None where a level is missing or not an object."""
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def _list(obj: object, *keys: str) -> list[object]:
    """The list at ``keys`` ([] when missing or not a list)."""
    v = _get(obj, *keys)
    return v if isinstance(v, list) else []


def _raw(obj: object, *keys: str) -> str:
    """The text at ``keys`` as written ('' when missing or not text)."""
    v = _get(obj, *keys)
    return _MD_ESCAPE.sub(r"\1", v) if isinstance(v, str) else ""


def _s(obj: object, *keys: str) -> str:
    """The scalar at ``keys`` as one line of text ('' when missing or not a scalar)."""
    v = _get(obj, *keys)
    return (
        " ".join(_MD_ESCAPE.sub(r"\1", str(v)).split()) if isinstance(v, str | int | float) else ""
    )


def _enum(value: str) -> str:
    """'PHASE3' -> 'Phase 3', 'ACTIVE_COMPARATOR' -> 'Active comparator', 'NA' -> 'Not
    applicable'."""
    if value in _ENUM_WORDS:
        return _ENUM_WORDS[value]
    text = value.replace("_", " ").lower()
    text = re.sub(r"([a-z])(\d)", r"\1 \2", text)
    return text[:1].upper() + text[1:]


def _row(table: str, heading: str, cells: list[tuple[str, str]], row: int) -> Section:
    kept = [(h, v) for h, v in cells if v]
    text = f"{table}. " + "; ".join(f"{h}: {v}" for h, v in kept) + "."
    tcells = tuple(TableCell(h, v, row, i) for i, (h, v) in enumerate(kept))
    return Section(heading, text, kind="table-row", table=table, cells=tcells)


def _protocol(p: object) -> list[Section]:
    out: list[Section] = []
    for key, heading in (("briefSummary", "Brief summary"), ("detailedDescription", "Description")):
        text = join_paragraphs(paragraphs(_raw(p, "descriptionModule", key)))
        if text:
            out.append(Section(heading, text))
    d = _get(p, "designModule")
    info, enroll = _get(d, "designInfo"), _get(d, "enrollmentInfo")
    facts = [
        ("Study type", _enum(_s(d, "studyType"))),
        ("Phase", ", ".join(_enum(x) for x in _list(d, "phases") if isinstance(x, str))),
        ("Allocation", _enum(_s(info, "allocation"))),
        ("Intervention model", _enum(_s(info, "interventionModel"))),
        ("Masking", _enum(_s(info, "maskingInfo", "masking"))),
        ("Primary purpose", _enum(_s(info, "primaryPurpose"))),
        ("Enrollment", " ".join(x for x in (_s(enroll, "count"), "participants") if x)
         + (f" ({_s(enroll, 'type').lower()})" if _s(enroll, "type") else "")
         if _s(enroll, "count") else ""),
    ]  # fmt: skip
    design = ". ".join(f"{k}: {v}" for k, v in facts if v)
    if design:
        out.append(Section("Design", design + "."))
    arms = []
    for arm in _list(p, "armsInterventionsModule", "armGroups"):
        label, kind = _s(arm, "label"), _enum(_s(arm, "type"))
        desc = _s(arm, "description")
        names = ", ".join(str(x) for x in _list(arm, "interventionNames"))
        line = f"Arm {label}" + (f" ({kind})" if kind else "") + (f": {desc}" if desc else "")
        arms.append(line.rstrip(".") + "." + (f" Interventions: {names}." if names else ""))
    if arms:
        out.append(Section("Arms and interventions", join_paragraphs(arms)))
    out.extend(_eligibility(p))
    registered = []
    for kind in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes"):
        label = {"primaryOutcomes": "Primary", "secondaryOutcomes": "Secondary"}.get(kind, "Other")
        for o in _list(p, "outcomesModule", kind):
            frame = _s(o, "timeFrame")
            registered.append(
                f"{label} outcome: {_s(o, 'measure')}"
                + (f" (time frame: {frame})." if frame else ".")
            )
    if registered:
        out.append(Section("Outcome measures", join_paragraphs(registered)))
    return out


def eligibility_text(p: object) -> str:
    """Ages, sex and criteria of the eligibility module (``p``: a protocolSection), as one text."""
    e = _get(p, "eligibilityModule")
    low, high = _s(e, "minimumAge"), _s(e, "maximumAge")
    ages = f"{low or 'any age'} to {high or 'no upper limit'}" if low or high else ""
    std = ", ".join(_enum(x) for x in _list(e, "stdAges") if isinstance(x, str))
    healthy = _get(e, "healthyVolunteers")
    head = ". ".join(
        x
        for x in (
            f"Ages: {ages}" + (f" ({std})" if std else "") if ages or std else "",
            f"Sex: {_enum(_s(e, 'sex'))}" if _s(e, "sex") else "",
            f"Healthy volunteers: {'yes' if healthy else 'no'}" if healthy is not None else "",
        )
        if x
    )
    criteria = _raw(e, "eligibilityCriteria")
    lines = [" ".join(x.strip().lstrip("*-• ").split()) for x in criteria.splitlines()]
    return join_paragraphs([head + "." if head else "", "\n".join(x for x in lines if x)])


def _eligibility(p: object) -> list[Section]:
    text = eligibility_text(p)
    return [Section("Eligibility", text)] if text else []


def _value(m: object, dispersion: str) -> str:
    value = _s(m, "value")
    low, high, spread = _s(m, "lowerLimit"), _s(m, "upperLimit"), _s(m, "spread")
    if spread:
        value += f" ({_enum(dispersion).lower() or 'dispersion'} {spread})"
    elif low or high:
        value += f" ({_enum(dispersion) or 'limits'} {low} to {high})"
    return value


def _outcomes(results: object) -> list[Section]:
    out: list[Section] = []
    for i, om in enumerate(_list(results, "outcomeMeasuresModule", "outcomeMeasures"), 1):
        title = _s(om, "title")
        table = f"Outcome {i}: {title}"
        heading = f"Results: {_enum(_s(om, 'type')) or 'Outcome'} outcome"
        groups = {_s(g, "id"): _s(g, "title") for g in _list(om, "groups")}
        counts = {
            _s(c, "groupId"): _s(c, "value")
            for d in _list(om, "denoms")
            for c in _list(d, "counts")
        }
        dispersion = _s(om, "dispersionType")
        common = [("Time frame", _s(om, "timeFrame")), ("Units", _s(om, "unitOfMeasure"))]
        row = 0
        for cls in _list(om, "classes"):
            for cat in _list(cls, "categories"):
                label = " ".join(x for x in (_s(cls, "title"), _s(cat, "title")) if x)
                for m in _list(cat, "measurements"):
                    gid = _s(m, "groupId")
                    cells = [
                        ("Outcome", title),
                        ("Category", label),
                        ("Group", groups.get(gid, gid)),
                        (_enum(_s(om, "paramType")) or "Value", _value(m, dispersion)),
                        *common,
                        ("Participants analysed", counts.get(gid, "")),
                        ("Note", _s(m, "comment")),
                    ]
                    out.append(_row(table, heading, cells, row))
                    row += 1
        for a in _list(om, "analyses"):
            out.append(_row(table, heading, _analysis_cells(a, title, groups), row))
            row += 1
    return out


def _analysis_cells(a: object, title: str, groups: dict[str, str]) -> list[tuple[str, str]]:
    """One statistical analysis: groups compared, p-value, method, estimate (with its
    dispersion) and confidence interval (its level and, when one-sided, that)."""
    names = " vs ".join(groups.get(str(g), str(g)) for g in _list(a, "groupIds"))
    ci, low, high = "", _s(a, "ciLowerLimit"), _s(a, "ciUpperLimit")
    if low or high:
        sides = " (one-sided)" if _s(a, "ciNumSides") == "ONE_SIDED" else ""
        bounds = (
            f"{low} to {high}"
            if low and high
            else f"lower limit {low}"
            if low
            else f"upper limit {high}"
        )
        ci = f"{_s(a, 'ciPctValue')}% CI{sides} {bounds}".strip()
    estimate = _s(a, "paramValue")
    if estimate and _s(a, "dispersionValue"):
        kind = _enum(_s(a, "dispersionType")).lower() or "dispersion"
        estimate += f" ({kind} {_s(a, 'dispersionValue')})"
    return [
        ("Outcome", title),
        ("Comparison", names),
        ("P-value", _s(a, "pValue")),
        ("Method", _s(a, "statisticalMethod")),
        (_s(a, "paramType") or "Estimate", estimate),
        ("Confidence interval", ci),
    ]


def _adverse_events(results: object) -> list[Section]:
    ae = _get(results, "adverseEventsModule")
    groups = {_s(g, "id"): _s(g, "title") for g in _list(ae, "eventGroups")}
    out: list[Section] = []
    for key, label in (
        ("seriousEvents", "Serious adverse events"),
        ("otherEvents", "Other adverse events"),
    ):
        for ev in _list(ae, key):
            for st in _list(ev, "stats"):
                if len(out) >= MAX_AE_ROWS:
                    return out
                gid = _s(st, "groupId")
                affected, at_risk = _s(st, "numAffected"), _s(st, "numAtRisk")
                cells = [
                    ("Event", _s(ev, "term")),
                    ("Organ system", _s(ev, "organSystem")),
                    ("Group", groups.get(gid, gid)),
                    ("Participants affected", f"{affected} of {at_risk}" if at_risk else affected),
                    ("Events", _s(st, "numEvents")),
                ]
                out.append(_row(label, "Results: Adverse events", cells, len(out)))
    return out


def _year(p: object) -> int | None:
    for key in ("studyFirstPostDateStruct", "startDateStruct", "lastUpdatePostDateStruct"):
        m = re.match(r"(\d{4})", _s(p, "statusModule", key, "date"))
        if m:
            return int(m.group(1))
    return None


def study_document(path: Path, study: object, n: int) -> Document:
    """One API v2 study object as a Document (LoadError names the study's position)."""
    p = _get(study, "protocolSection")
    if not isinstance(p, dict):
        raise LoadError(
            path, f"study {n}: no 'protocolSection' (not a ClinicalTrials.gov API v2 record)"
        )
    nct = _s(p, "identificationModule", "nctId").upper()
    if not _NCT.match(nct):
        raise LoadError(path, f"study {n}: missing or malformed nctId {nct!r}")
    ident = _get(p, "identificationModule")
    others = [_s(x, "id") for x in _list(ident, "secondaryIdInfos")]
    results = _get(study, "resultsSection")
    sponsor = _s(p, "sponsorCollaboratorsModule", "leadSponsor", "name")
    meta = Metadata(
        doc_id=nct.lower(),
        title=_s(ident, "officialTitle") or _s(ident, "briefTitle"),
        authors=(sponsor,) if sponsor else (),
        venue="ClinicalTrials.gov",
        year=_year(p),
        doc_type="trial-registry",
        trial=nct,
        nct=nct,
        url=f"https://clinicaltrials.gov/study/{nct}",
        trials=tuple(dict.fromkeys([nct, *[o for o in others if o]])),
        population_text=eligibility_text(p),
    )
    sections = _protocol(p) + _outcomes(results) + _adverse_events(results)
    title = _s(ident, "briefTitle") or meta.title
    if not sections and title:
        sections = [Section("Title", title)]
    return Document(meta=meta, sections=tuple(sections))


def ctgov_documents(path: Path, data: bytes) -> Iterator[Document]:
    try:
        obj: object = json.loads(decode_or_raise(path, data))
    except json.JSONDecodeError as exc:
        raise LoadError(path, f"invalid JSON: {exc.msg} (line {exc.lineno})") from None
    studies = obj.get("studies") if isinstance(obj, dict) and "studies" in obj else obj
    if isinstance(studies, dict):
        studies = [studies]
    if not isinstance(studies, list) or not studies:
        raise LoadError(path, "no ClinicalTrials.gov studies found (expected a study or 'studies')")
    for n, study in enumerate(studies, 1):
        yield study_document(path, study, n)


class CtgovLoader(Loader):
    name = "ClinicalTrials.gov JSON"
    suffixes = (".json",)

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        yield from ctgov_documents(path, data)
