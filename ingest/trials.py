"""Trial identity and population words of a document, from its title, abstract and text.

``trial_ids`` finds registry identifiers (ClinicalTrials.gov NCT, ISRCTN, EudraCT/CTIS,
ANZCTR, ChiCTR, DRKS, CTRI, UMIN, jRCT, Netherlands NTR/NL, PACTR) and normalises them (upper
case, no spaces). ``population_text`` keeps the document's own sentences about who was
enrolled (eligibility, ages, "children with ..."), for population labels (issue N).
"""

from __future__ import annotations

import re

from citeqa.models import Document
from ingest.sentences import split_sentences

_IDS = re.compile(
    r"\b(?:NCT\s?\d{8}|ISRCTN\s?\d{8}|EudraCT\s*(?:No\.?|number)?:?\s*\d{4}-\d{6}-\d{2}"
    r"|\d{4}-5\d{5}-\d{2}-\d{2}|ACTRN\s?\d{14}|ChiCTR-?[A-Z]{0,3}-?\d{8,10}|DRKS\s?\d{8}"
    r"|CTRI/\d{4}/\d{2,3}/\d{6}|UMIN\s?\d{9}|jRCT[a-z]?\d{9,10}|NTR\s?\d{3,5}|NL\d{4,5}"
    r"|PACTR\d{15})\b",
    re.IGNORECASE,
)
_POPULATION = re.compile(
    r"\b(?:eligib\w*|inclusion criteria|exclusion criteria|enroll?ed|recruited|randomi[sz]ed"
    r"|aged|years? of age|years? old|ages? (?:of )?\d|children|adolescents?|infants?|adults?"
    r"|patients with|participants with|newly diagnosed|relapsed|refractory)\b",
    re.IGNORECASE,
)
_POPULATION_SECTIONS = re.compile(
    r"abstract|summary|method|patients|participants|population|eligibility|design", re.I
)
MAX_POPULATION_CHARS = 2000


def normalise_id(raw: str) -> str:
    text = re.sub(r"\s+", "", raw).upper()
    m = re.match(r"EUDRACT(?:NO\.?|NUMBER)?:?(\d{4}-\d{6}-\d{2})$", text)
    return m.group(1) if m else text


def trial_ids(text: str) -> tuple[str, ...]:
    """Registry ids in ``text``, normalised, in order of first appearance."""
    return tuple(dict.fromkeys(normalise_id(m.group(0)) for m in _IDS.finditer(text)))


def population_text(doc: Document) -> str:
    """Sentences of the title, abstract and methods that say who was studied."""
    picked: list[str] = []
    size = 0
    sources = [doc.meta.title] + [
        s.text
        for s in doc.sections
        if s.kind == "text" and _POPULATION_SECTIONS.search(s.heading or "abstract")
    ]
    for text in sources:
        for a, b in split_sentences(text):
            sentence = " ".join(text[a:b].split())
            if _POPULATION.search(sentence) and sentence not in picked:
                if size + len(sentence) > MAX_POPULATION_CHARS:
                    return " ".join(picked)
                picked.append(sentence)
                size += len(sentence) + 1
    return " ".join(picked)
