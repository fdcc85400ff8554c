"""Is a generated sentence supported by the passages it cites? Pure checks, no models.

A sentence is unsupported when it cites nothing, when any of its numbers appears in none of
its cited passages, or when its embedding similarity to the best cited passage sentence
(computed by the caller) is below the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.numbers import numbers_supported

NO_CITATION = "no citation"


@dataclass(frozen=True, slots=True)
class SupportResult:
    supported: bool
    reasons: list[str] = field(default_factory=list)
    missing_numbers: list[str] = field(default_factory=list)


def check_sentence(
    sentence: str,
    cited_passages: Sequence[str],
    similarity: float | None,
    threshold: float,
) -> SupportResult:
    """Check one answer sentence against the texts it cites.

    ``similarity`` is the caller's cosine similarity between the sentence and its best cited
    passage sentence, or None to skip that test.
    """
    reasons: list[str] = []
    if not cited_passages:
        reasons.append(NO_CITATION)
    missing: list[str] = [n.raw.strip() for n in numbers_supported(sentence, cited_passages)]
    if missing:
        reasons.append("numbers not in the cited sources: " + ", ".join(missing))
    if similarity is not None and similarity < threshold:
        reasons.append(f"similarity to the cited sources {similarity:.2f} < {threshold:.2f}")
    return SupportResult(supported=not reasons, reasons=reasons, missing_numbers=missing)
