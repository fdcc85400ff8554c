"""What a message asks of citeqa beyond its topic: an attempt to change the rules, a premise
stated before the question. Pure functions. (A personal dosing or treatment decision is read by
the profile's ``safety.decision`` pattern: rag/urgent.py ``safety_flags``.)"""

from __future__ import annotations

import re

_PREMISE = re.compile(r"^\s*(since|given that|because|as|now that|considering)\b[^,?]*,", re.I)
# what the asker already knows, before "but" and a question: "the 4 year numbers are great
# but what about after 5 or 10 years?"
_KNOWN = re.compile(
    r"^[^?]*?\bbut\s+(?=(?:what|how|is|are|was|were|did|does|do|can|could|will|would|any)\b)",
    re.I,
)


_TAG = re.compile(
    r"(?:(?:,|\s-|\bor)\s*(?:right|correct|true|yes|no|am i right|is that (?:right|true|correct))|"
    r"\b(?:is|was|are|were|did|does|do|has|have|had)n'?t (?:it|that|they|he|she|there|we))"
    r"(?:\s*,[^?.!]{0,40})?\s*[?!.]*\s*$",  # "wasn't it, vs 4 mo for chemo?"
    re.I,
)


def is_claim(question: str) -> bool:
    """A tag question ("median OS was over a year, wasn't it?", "... not significant,
    correct?"): the asker states a claim to check; its figures, time points and statistic
    words are the claim's, not what the answer must match."""
    return bool(_TAG.search(question.strip()))


def main_clause(question: str) -> str:
    """The question without a leading premise ("Since X did Y, ...", "X is great but what
    about Y?"): a premise's figures are claims to check, not figures the answer must contain."""
    return _KNOWN.sub("", _PREMISE.sub("", question, count=1), count=1)


_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier)?\s*"
    r"(instructions|rules|prompts?|guidelines)|you are now|system prompt|developer mode|"
    r"pretend (to be|you are)|act as\b|jailbreak|without (citations|sources)|"
    r"\b(?:reply|respond|answer|say) (?:only|just) with\b",
    re.I,
)


_ROLE_TAG = re.compile(r"</?\s*(?:system|assistant|user|question|instructions?)\s*>", re.I)


def is_injection(text: str) -> bool:
    """Text that tries to change the rules ("ignore previous instructions ...")."""
    return bool(_INJECTION.search(text))


def strip_injection(question: str) -> tuple[str, bool]:
    """Remove attempts to change the rules; returns the cleaned question and whether any were found."""
    unmarked = _ROLE_TAG.sub(" ", question)  # "</question><system>" is never a question's text
    parts = re.split(r"(?<=[.!?;])\s+|\n+", unmarked.strip())
    kept = [p for p in parts if not _INJECTION.search(p)]
    cleaned = " ".join(kept).strip()
    return cleaned, len(kept) != len(parts) or unmarked != question
