"""Deterministic generator of realistic, clearly synthetic clinical-trial abstracts.

Used by ``citeqa bench`` to build corpora of a chosen size. Every abstract has the four
sections of a structured abstract (Background, Methods, Results, Conclusions) filled from
templates with seeded random figures (patients, survival, hazard ratios, adverse events), so
texts have the length, vocabulary and number density of real ones. Trials are fictitious
(``SYN-`` identifiers) and each title says "synthetic". Document ``i`` depends only on
``(seed, i)``: a small corpus is a prefix of a larger one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from citeqa.models import Document

Format = Literal["markdown", "beir"]

DRUGS = (
    "blinatumomab",
    "inotuzumab ozogamicin",
    "tisagenlecleucel",
    "dasatinib",
    "ponatinib",
    "nelarabine",
    "bortezomib",
    "venetoclax",
    "calaspargase pegol",
    "ruxolitinib",
)
BACKBONES = (
    "standard multi-agent chemotherapy",
    "a modified Berlin-Frankfurt-Munster backbone",
    "intensified consolidation",
    "a reduced-intensity regimen",
    "pegaspargase-based induction",
)
POPULATIONS = (
    ("children aged 1 to 10 years", "pediatric"),
    ("adolescents and young adults aged 15 to 39 years", "AYA"),
    ("infants younger than 1 year", "infant"),
    ("children and adolescents aged 1 to 21 years", "pediatric"),
    ("adults aged 40 to 70 years", "adult"),
)
DISEASES = (
    "newly diagnosed B-cell acute lymphoblastic leukemia",
    "first-relapse B-cell acute lymphoblastic leukemia",
    "Philadelphia chromosome-positive acute lymphoblastic leukemia",
    "KMT2A-rearranged acute lymphoblastic leukemia",
    "standard-risk B-cell precursor acute lymphoblastic leukemia",
    "T-cell acute lymphoblastic leukemia",
)
ENDPOINTS = (
    "event-free survival",
    "disease-free survival",
    "overall survival",
    "minimal residual disease negativity",
    "cumulative incidence of relapse",
)
TOXICITIES = (
    "cytokine release syndrome",
    "neurotoxicity",
    "febrile neutropenia",
    "sepsis",
    "hepatotoxicity",
    "pancreatitis",
    "catheter-related infection",
)
DESIGNS = (
    "randomized, open-label, phase 3",
    "multicenter, randomized phase 2",
    "randomized, double-blind phase 3",
    "international, randomized, controlled phase 3",
)
CENTRES = (
    "North American",
    "European",
    "Asia-Pacific",
    "international",
    "Nordic",
    "Latin American",
)


@dataclass(frozen=True)
class GenDoc:
    """One synthetic abstract."""

    doc_id: str
    title: str
    year: int
    trial: str
    drug: str
    endpoint: str
    sections: tuple[tuple[str, str], ...]  # (heading, text)

    def body(self) -> str:
        return "\n\n".join(text for _, text in self.sections)

    def markdown(self) -> str:
        front = {
            "doc_id": self.doc_id,
            "title": self.title,
            "year": self.year,
            "doc_type": "conference-abstract",
            "trial": self.trial,
            "venue": "Synthetic Abstracts",
            "audience": "clinician",
        }
        head = "\n".join(f"{k}: {json.dumps(v)}" for k, v in front.items())
        parts = [f"## {h}\n\n{t}" for h, t in self.sections]
        return f"---\n{head}\n---\n\n" + "\n\n".join(parts) + "\n"

    def beir_line(self) -> str:
        return json.dumps({"_id": self.doc_id, "title": self.title, "text": self.body()})


def _pct(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 1)


def _ci(rng: random.Random, value: float) -> str:
    w = round(rng.uniform(0.05, 0.25), 2)
    return f"{max(0.05, value - w):.2f} to {value + w + 0.05:.2f}"


def _background(rng: random.Random, drug: str, disease: str, pop: str) -> str:
    opts = [
        f"Outcomes of {disease} remain unsatisfactory for a subset of {pop}, in whom relapse "
        f"is the main cause of treatment failure.",
        f"Measurable residual disease after induction is the strongest predictor of relapse in "
        f"{disease}, and new agents may deepen responses.",
        f"{drug.capitalize()} has shown activity in refractory disease, but its role in "
        f"front-line treatment of {pop} is not established.",
        f"Toxicity of intensive chemotherapy limits further escalation in {pop}, so "
        f"targeted agents are being tested as replacements for cytotoxic blocks.",
    ]
    rng.shuffle(opts)
    return " ".join(opts[: rng.randint(2, 3)])


def _methods(rng: random.Random, drug: str, backbone: str, design: str, endpoint: str) -> str:
    n_sites = rng.randint(12, 220)
    cycles = rng.randint(1, 4)
    dose = rng.choice(("15 ug/m2/day", "28 ug/day", "0.5 mg/m2", "1.2 mg/m2", "40 mg/m2"))
    return " ".join(
        [
            f"In this {design} trial at {n_sites} {rng.choice(CENTRES)} centres, patients were "
            f"assigned to {backbone} with or without {cycles} cycle{'s' if cycles > 1 else ''} of "
            f"{drug} at {dose}.",
            f"Randomization was stratified by age, white-cell count at diagnosis and "
            f"day-{rng.choice((15, 29, 33))} residual disease.",
            f"The primary endpoint was {endpoint}; secondary endpoints included overall "
            f"survival, residual-disease clearance and grade 3 or higher adverse events.",
            f"Analyses followed the intention-to-treat principle with a planned interim analysis "
            f"after {rng.randint(40, 75)}% of expected events.",
        ]
    )


def _results(rng: random.Random, drug: str, endpoint: str) -> str:
    n = rng.randint(60, 2400)
    n_exp = n // 2 + rng.randint(-n // 20, n // 20)
    fu = round(rng.uniform(1.5, 6.0), 1)
    years = rng.choice((2, 3, 4, 5))
    exp, ctl = _pct(rng, 70, 97), _pct(rng, 55, 90)
    hr = round(rng.uniform(0.3, 1.1), 2)
    p = rng.choice(("P<0.001", "P=0.002", "P=0.01", "P=0.04", "P=0.21", "P=0.48"))
    mrd_e, mrd_c = _pct(rng, 60, 95), _pct(rng, 40, 80)
    tox = rng.sample(TOXICITIES, 3)
    t1, t2, t3 = (_pct(rng, 0.5, 30) for _ in range(3))
    deaths = rng.randint(0, max(1, n // 60))
    sent = [
        f"A total of {n:,} patients were enrolled, {n_exp:,} in the {drug} group and "
        f"{n - n_exp:,} in the control group; median follow-up was {fu} years.",
        f"The {years}-year {endpoint} was {exp}% with {drug} and {ctl}% with chemotherapy alone "
        f"(hazard ratio {hr}; 95% CI, {_ci(rng, hr)}; {p}).",
        f"Residual-disease negativity after the first cycle was reached in {mrd_e}% versus "
        f"{mrd_c}% of patients.",
        f"Grade 3 or higher {tox[0]} occurred in {t1}% of patients receiving {drug}, and "
        f"{tox[1]} in {t2}%.",
        f"{tox[2].capitalize()} of grade 3 or higher was reported in {t3}% of the control group.",
        f"There {'was' if deaths == 1 else 'were'} {deaths} treatment-related "
        f"death{'' if deaths == 1 else 's'} in remission.",
        f"Benefit was consistent across subgroups defined by age, sex, cytogenetic risk and "
        f"white-cell count, with the largest effect in patients whose early response was "
        f"{rng.choice(('favourable', 'poor', 'intermediate'))}.",
        f"Quality-of-life scores returned to baseline within {rng.randint(3, 18)} months in "
        f"both groups.",
    ]
    keep = sent[:2] + rng.sample(sent[2:], rng.randint(3, len(sent) - 2))
    return " ".join(keep)


def _conclusions(rng: random.Random, drug: str, pop: str, endpoint: str) -> str:
    opts = [
        f"Adding {drug} to {rng.choice(BACKBONES)} improved {endpoint} in {pop}.",
        f"{drug.capitalize()} was associated with a manageable toxicity profile and fewer "
        f"infections than cytotoxic consolidation.",
        f"These findings support further study of {drug} in front-line protocols.",
        "Longer follow-up is needed to confirm the effect on overall survival.",
    ]
    return " ".join(rng.sample(opts, rng.randint(1, 3)))


def make_doc(i: int, seed: int = 0) -> GenDoc:
    """Abstract number ``i`` of the corpus with ``seed`` (pure, deterministic)."""
    rng = random.Random(f"{seed}:{i}")
    drug = rng.choice(DRUGS)
    backbone = rng.choice(BACKBONES)
    pop, pop_short = rng.choice(POPULATIONS)
    disease = rng.choice(DISEASES)
    endpoint = rng.choice(ENDPOINTS)
    design = rng.choice(DESIGNS)
    trial = f"SYN-{1000 + (i * 7919 + seed) % 9000}"
    title = (
        f"{drug.capitalize()} plus {backbone} in {pop_short} {disease}: "
        f"results of the {design} {trial} trial (synthetic)"
    )
    sections = (
        ("Background", _background(rng, drug, disease, pop)),
        ("Methods", _methods(rng, drug, backbone, design, endpoint)),
        ("Results", _results(rng, drug, endpoint)),
        ("Conclusions", _conclusions(rng, drug, pop, endpoint)),
    )
    return GenDoc(f"syn-{seed}-{i:06d}", title, 2015 + i % 11, trial, drug, endpoint, sections)


def generate(n_docs: int, seed: int = 0) -> Iterator[GenDoc]:
    for i in range(n_docs):
        yield make_doc(i, seed)


@dataclass(frozen=True)
class CorpusInfo:
    directory: Path
    files: int
    docs: int
    chunks: int  # chunks our chunker makes of the written files
    chars: int


def as_document(doc: GenDoc, fmt: Format = "markdown") -> Document:
    """The Document our loaders make of ``doc`` written in ``fmt`` (no file round trip)."""
    from citeqa.models import Document, Metadata, Section

    meta = Metadata(doc_id=doc.doc_id, title=doc.title, year=doc.year, trial=doc.trial)
    if fmt == "beir":
        return Document(meta, (Section("", " ".join(doc.body().split())),))
    return Document(meta, tuple(Section(h, t) for h, t in doc.sections))


def write_corpus(
    out: Path, n_chunks: int, fmt: Format = "markdown", seed: int = 0, chunk_size: int = 900
) -> CorpusInfo:
    """Write abstracts into ``out`` until our chunker would make at least ``n_chunks`` chunks.

    ``markdown``: one ``.md`` file (YAML front matter + sections) per abstract.
    ``beir``: a single ``corpus.jsonl`` (``_id``, ``title``, ``text``).
    """
    from citeqa.settings import ChunkingSettings
    from ingest.chunking import chunk_document

    cfg = ChunkingSettings.model_validate({"size": chunk_size})
    out.mkdir(parents=True, exist_ok=True)
    chunks = chars = i = 0
    lines: list[str] = []
    while chunks < n_chunks:
        doc = make_doc(i, seed)
        if fmt == "markdown":
            (out / f"{doc.doc_id}.md").write_text(doc.markdown(), encoding="utf-8")
        else:
            lines.append(doc.beir_line())
        chunks += len(chunk_document(as_document(doc, fmt), cfg))
        chars += len(doc.body())
        i += 1
    if fmt == "beir":
        (out / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CorpusInfo(out, i if fmt == "markdown" else 1, i, chunks, chars)


def questions(n: int = 20, n_docs: int = 100, seed: int = 0) -> list[str]:
    """``n`` questions a clinician could ask about the first ``n_docs`` abstracts."""
    rng = random.Random(f"questions:{seed}")
    out: list[str] = []
    forms = (
        "What was the {endpoint} with {drug} in the {trial} trial?",
        "How often did grade 3 or higher adverse events occur with {drug} in {trial}?",
        "What hazard ratio was reported for {endpoint} in {trial}?",
        "Did adding {drug} improve {endpoint}?",
        "How many patients were enrolled in the {trial} trial of {drug}?",
    )
    for k in range(n):
        doc = make_doc(rng.randrange(max(1, n_docs)), seed)
        form = forms[k % len(forms)]
        out.append(form.format(endpoint=doc.endpoint, drug=doc.drug, trial=doc.trial))
    return out
