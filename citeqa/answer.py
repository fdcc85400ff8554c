"""The Answer schema: what every answerer returns and every surface (chat, API, CLI, evals) reads.

Frozen dataclasses, designed once for all open issues; fields a feature has not filled yet stay
empty. ``Answer.to_json()`` is the wire format (``schema_version`` "2"); its JSON Schema is
``citeqa/answer.schema.json`` (regenerate with ``citeqa schema``; a test checks they agree).
Existing keys keep their names and meaning: ``answer``, ``abstained``, ``citations[].quote /
locator / doc_id / reference / title / doc_type / url``, ``timings_ms``, ``readability``.

Offsets (``quote_spans``, ``AnswerSentence.start/end``) are character offsets, end-exclusive:
``quote_spans`` into the citation's ``passage``; sentence offsets into ``Answer.answer``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from citeqa.models import TableCell as TableCell  # re-exported: part of the Answer schema

if TYPE_CHECKING:
    from citeqa.models import ScoredChunk

SCHEMA_VERSION = "2"


class Audience(enum.StrEnum):
    """Who the answer is written for: exact figures (clinician) or plain language (family)."""

    CLINICIAN = "clinician"
    FAMILY = "family"


NoticeKind = Literal[
    "care-team", "urgent", "injection", "population", "data-cut", "abstract-only", "filters",
    "language", "grade",
]  # fmt: skip
UnitKind = Literal["sentence", "list", "urgent"]
ReportStatus = Literal["latest", "earlier"]


@dataclass(frozen=True, slots=True)
class Population:
    """Who a cited study enrolled (issue N); "unknown" when the document does not say."""

    age_group: str = "unknown"  # infants | children | children and young adults | adults
    setting: str = "unknown"  # newly diagnosed | first relapse | relapsed/refractory | MRD-positive
    risk_group: str = "unknown"
    ph_status: str = "unknown"
    text: str = ""  # the document's own words the labels come from


@dataclass(frozen=True, slots=True)
class ReportLink:
    """Where a cited report stands among the reports of its trial (issue N)."""

    status: ReportStatus
    later_doc_id: str = ""  # for "earlier": the doc id of the report that updates it


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
    quote_spans: tuple[tuple[int, int], ...] = ()  # where the quote's sentences are in passage
    trial: str = ""
    population: Population | None = None
    report: ReportLink | None = None
    kind: Literal["text", "table-row"] = "text"
    cells: tuple[TableCell, ...] = ()
    ocr: bool = False  # the passage was read by OCR from a page image

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_chunk(
        cls, n: int, sc: ScoredChunk, quote: str, spans: tuple[tuple[int, int], ...] = ()
    ) -> Citation:
        """Citation ``n`` of a retrieved passage, quoting ``quote`` from it. Without ``spans``
        the quote's span is found in the passage when it occurs there verbatim."""
        c = sc.chunk
        if not spans and quote and (at := c.text.find(quote)) >= 0:
            spans = ((at, at + len(quote)),)
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
            quote_spans=spans,
            trial=c.meta.trial,
            kind=c.kind,
            cells=c.cells,
            ocr=c.ocr,
        )


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One cited unit of the answer: a sentence, or a list with its lead-in (``items``)."""

    text: str  # without markers; for a list, the lead-in
    citations: tuple[int, ...]
    kind: UnitKind = "sentence"
    items: tuple[str, ...] = ()  # list items, for kind "list" and "urgent"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader must know beside the answer (population, data cut, urgent...)."""

    kind: NoticeKind
    text: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AbstainReason:
    """Why the answer abstains: a machine code and the user's words (the first unbound slot)."""

    code: str  # e.g. "no-passage", "unbound-slot", "unknown-entity", "did-you-mean", "off-topic"
    text: str


@dataclass(frozen=True, slots=True)
class SlotValue:
    """One slot of the question as understood (issue H): study, outcome, time point..."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class QueryView:
    """How the question was understood (issue H), shown when it differs from what was typed."""

    text: str  # as typed
    shown: str  # "Searched for: ..." text (spelling and abbreviations resolved)
    resolved: str = ""  # a follow-up read against the history
    did_you_mean: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # followup, personal-decision, urgent, injection, language:xx
    slots: tuple[SlotValue, ...] = ()


@dataclass(frozen=True, slots=True)
class SideValue:
    """One side of a comparison (issue H): the value bound for one slot, with its citation."""

    side: str  # the study, arm, subgroup or time point
    slot: str  # the outcome asked for
    text: str  # the quoted value, or "not reported"
    citation: int | None = None


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a comparison table: a study, arm, subgroup, report or time point."""

    label: str
    cells: tuple[SideValue, ...]  # one per column, each citing its quote (or "not reported")


@dataclass(frozen=True, slots=True)
class TableOut:
    """A comparison table (issue N): one row per side, one column per asked outcome."""

    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class RetrievedPassage:
    """A passage the answerer read, in rank order (for RAGAS-style evaluation, issue O)."""

    rank: int
    chunk_id: str
    doc_id: str
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    term: str
    definition: str


@dataclass(frozen=True)
class Answer:
    """The answer to one question (see the module docstring for the JSON form)."""

    question: str
    audience: Audience
    answer: str  # full text, every unit ending with its [n] markers
    abstained: bool
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    nearest: tuple[Citation, ...] = ()  # shown when abstaining
    notices: tuple[Notice, ...] = ()
    abstain_reason: AbstainReason | None = None
    query: QueryView | None = None
    comparison: tuple[SideValue, ...] = ()
    table: TableOut | None = None
    evidence_summary: str = ""
    glossary: tuple[GlossaryEntry, ...] = ()  # family: "What these words mean"
    readability: Mapping[str, float] = field(default_factory=dict)
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    retrieved: tuple[RetrievedPassage, ...] = ()
    mode: str = "extractive"
    resolved_question: str = ""
    notice: str = ""  # the care-team pointer and other notes, as one line (kept for clients)
    removed: tuple[str, ...] = ()  # generative mode: sentences dropped by the support check
    schema_version: str = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)

    def replace(self, **changes: Any) -> Answer:
        return dataclasses.replace(self, **changes)


def to_jsonable(obj: Any) -> Any:
    """Plain JSON data of a schema object: dataclasses to dicts, tuples to lists, enums to
    their values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, tuple | list):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``Answer.to_json()`` (generated from the dataclasses by pydantic)."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(Answer).json_schema(mode="serialization")
    schema["$id"] = f"https://citeqa.local/answer-v{SCHEMA_VERSION}.schema.json"
    schema["title"] = "citeqa Answer"
    return schema
