"""What a message asks of citeqa beyond its topic: a personal dosing or treatment decision, an
attempt to change the rules, a premise stated before the question. Pure functions."""

from __future__ import annotations

import re

_PREMISE = re.compile(r"^\s*(since|given that|because|as|now that|considering)\b[^,?]*,", re.I)


def main_clause(question: str) -> str:
    """The question without a leading premise ("Since X did Y, ..."): a premise's figures are
    claims to check, not figures the answer must contain."""
    return _PREMISE.sub("", question, count=1)


_PERSON = (
    r"(?:my|our|his|her)\s+(?:[\w.-]+\s+){0,3}?"
    r"(?:child|son|daughter|kid|baby|boy|girl|toddler|teen|patient)"
)
_DECISION = [
    re.compile(r"\bhow much\b.*\b(give|take|use|dose|infuse)\b", re.I),
    re.compile(r"\b(what|which) dose\b.*\b(should|do i|do we|for)\b", re.I),
    re.compile(
        r"\bshould (?:i|we|he|she|they)\b.*\b(give|stop|start|skip|change|switch|increase|"
        r"lower|reduce|double|take|get|have|choose|refuse|continue)\b",
        re.I,
    ),
    re.compile(
        rf"\b{_PERSON}\b.*\b(dose|dosing|mg|µg|ug|mcg|how much|stop|skip|switch|take)\b", re.I
    ),
    re.compile(r"\b(can|may) (?:i|we) (?:stop|skip|double|change|increase|lower)\b", re.I),
]
_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier)?\s*"
    r"(instructions|rules|prompts?|guidelines)|you are now|system prompt|developer mode|"
    r"pretend (to be|you are)|act as\b|jailbreak|without (citations|sources)",
    re.I,
)


def asks_individual_decision(question: str) -> bool:
    """A request for a personal dose or treatment decision (answered with general evidence only)."""
    return any(p.search(question) for p in _DECISION)


def is_injection(text: str) -> bool:
    """Text that tries to change the rules ("ignore previous instructions ...")."""
    return bool(_INJECTION.search(text))


def strip_injection(question: str) -> tuple[str, bool]:
    """Remove attempts to change the rules; returns the cleaned question and whether any were found."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", question)
    kept = [p for p in parts if not _INJECTION.search(p)]
    cleaned = " ".join(kept).strip()
    return cleaned, len(kept) != len(parts)
