"""The answer side of the typed pipeline: Citation, AnswerSentence, Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citeqa.models import ScoredChunk

ABSTAIN_TEXT = "The indexed literature does not answer this question."
CARE_TEAM_NOTE = (
    "This is general information from published studies, not advice for a particular child. "
    "Decisions about doses and treatment belong to the child's care team: please ask them."
)


@dataclass(frozen=True, slots=True)
class Citation:
    """One numbered source of an answer: the exact passage and the quoted sentence(s)."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    reference: str
    doc_type: str
    locator: str
    quote: str  # the exact sentence(s) from the passage that support the answer
    passage: str  # the whole retrieved passage, for context/highlighting
    url: str = ""
    label: str = ""
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_chunk(cls, n: int, sc: ScoredChunk, quote: str) -> Citation:
        """Citation ``n`` of a retrieved passage, quoting ``quote`` from it."""
        c = sc.chunk
        return cls(
            n=n,
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            title=c.meta.title,
            reference=c.meta.reference,
            doc_type=c.meta.doc_type,
            locator=c.locator(),
            quote=quote,
            passage=c.text,
            url=c.meta.link(),
            label=c.label,
            score=round(sc.score, 4),
        )


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str  # without markers
    citations: tuple[int, ...]


@dataclass(slots=True)
class Answer:
    question: str
    audience: str
    answer: str  # full text, every sentence ending with its [n] markers
    abstained: bool
    sentences: list[AnswerSentence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    nearest: list[Citation] = field(default_factory=list)  # shown when abstaining
    glossary: list[dict[str, str]] = field(default_factory=list)  # family: "What these words mean"
    readability: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"
    resolved_question: str = ""
    notice: str = ""  # e.g. the care-team pointer
    removed: list[str] = field(default_factory=list)  # LLM sentences dropped by the support check

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "audience": self.audience,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "nearest": [c.to_json() for c in self.nearest],
            "glossary": self.glossary,
            "readability": self.readability,
            "timings_ms": self.timings_ms,
            "mode": self.mode,
            "resolved_question": self.resolved_question,
            "notice": self.notice,
            "removed": self.removed,
        }
