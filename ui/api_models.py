"""Request/response models of the HTTP API and the pure conversions around them.

Nothing here touches the index or the models: it turns validated requests into pipeline
arguments and an ``Answer`` into the JSON, chat content and server-sent events clients get.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from citeqa.answer import Answer
from citeqa.models import DocType, Filters
from rag.format import references_markdown, table_markdown

MODEL_ID = "citeqa"
MODEL_CREATED = 1_735_689_600  # 2025-01-01, a fixed "created" for /v1/models
AudienceName = Literal["clinician", "family"]
MAX_HISTORY = 20
MAX_MESSAGES = 100


def _encodable(value: str, what: str) -> str:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"the {what} contains invalid characters") from exc
    return value


def _check_text(value: str, what: str) -> str:
    """Refuse blank or unencodable text."""
    if not value.strip():
        raise ValueError(f"the {what} is empty")
    return _encodable(value, what)


# -- requests -----------------------------------------------------------------------------------
class FiltersIn(BaseModel):
    """Metadata filters; every field is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    doc_types: list[DocType] | None = Field(
        None, max_length=10, description="Only these document types."
    )
    year_min: int | None = Field(None, ge=1800, le=2200, description="Published in or after.")
    year_max: int | None = Field(None, ge=1800, le=2200, description="Published in or before.")
    trial: str | None = Field(None, max_length=100, description="Trial name, e.g. AALL1731.")
    audience: AudienceName | None = Field(None, description="Documents written for this reader.")

    def to_filters(self) -> Filters:
        return Filters(
            doc_types=tuple(self.doc_types or ()),
            year_min=self.year_min,
            year_max=self.year_max,
            trial=(self.trial or "").strip(),
            audience=self.audience or "",
        )


class AskRequest(BaseModel):
    """A question for ``POST /v1/ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, description="The question.")
    audience: AudienceName = Field("clinician", description="Who the answer is written for.")
    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="Earlier questions of the conversation, oldest first (for follow-ups).",
    )
    filters: FiltersIn | None = None

    @field_validator("question")
    @classmethod
    def _question_ok(cls, v: str) -> str:
        return _check_text(v, "question")

    @field_validator("history")
    @classmethod
    def _history_ok(cls, v: list[str]) -> list[str]:
        return [_encodable(h, "history item") for h in v]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if p.type == "text")


class ChatRequest(BaseModel):
    """OpenAI chat-completions request; unknown OpenAI fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MAX_MESSAGES)
    stream: bool | None = False
    audience: AudienceName | None = Field(None, description="citeqa extra: who the answer is for.")
    metadata: dict[str, str] | None = Field(
        None, description="OpenAI metadata; `audience` here works as well."
    )
    filters: FiltersIn | None = Field(None, description="citeqa extra: metadata filters.")
    stream_options: dict[str, Any] | None = None


# -- responses (documentation of the JSON the endpoints return) ---------------------------------
class CitationOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    title: str
    reference: str
    doc_type: str
    locator: str
    quote: str
    passage: str
    url: str = ""
    label: str = ""
    score: float = 0.0


class AnswerOut(BaseModel):
    """The answer object, identical to `citeqa ask --json`."""

    model_config = ConfigDict(extra="allow")

    question: str
    audience: str
    answer: str = Field(description="Answer text; every sentence ends with its [n] markers.")
    abstained: bool
    citations: list[CitationOut]
    nearest: list[CitationOut] = Field(description="Closest sources when abstaining.")
    glossary: list[dict[str, str]]
    readability: dict[str, float]
    timings_ms: dict[str, float]
    mode: str
    resolved_question: str
    notice: str
    removed: list[str]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorBody(BaseModel):
    message: str
    type: str
    code: str | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """An HTTP error with a message for the client."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut, "description": d}
    for s, d in [
        (400, "Malformed request"),
        (401, "Missing or wrong API key"),
        (413, "Request body too large"),
        (422, "Invalid request"),
        (503, "Models, index or vector store not available"),
    ]
}


def validation_message(errors: list[Any]) -> tuple[int, str]:
    """Status and one-line message for pydantic errors (400 for malformed JSON)."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the request body is not valid JSON"
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
    return 422, "; ".join(parts) or "invalid request"


def model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": "citeqa"}


def error_json(message: str, status: int, code: str | None = None) -> dict[str, Any]:
    """OpenAI-style error body (the `openai` client reads `error.message`)."""
    kind = "invalid_request_error" if status < 500 else "service_unavailable"
    if status == 401:
        kind = "authentication_error"
    return {"error": {"message": message, "type": kind, "code": code}}


# -- chat conversions ---------------------------------------------------------------------------
def chat_inputs(req: ChatRequest) -> tuple[str, list[str], str]:
    """(question, history, audience) of a chat request; raises ValueError when unusable."""
    users = [m.text() for m in req.messages if m.role == "user"]
    if not users:
        raise ValueError("the messages contain no user message")
    question = _check_text(users[-1], "question")
    history = [u for u in users[:-1] if u.strip()][-MAX_HISTORY:]
    return question, history, chat_audience(req)


def chat_audience(req: ChatRequest) -> str:
    """Body field, then metadata, then a system message 'audience: family'."""
    if req.audience:
        return req.audience
    meta = (req.metadata or {}).get("audience", "").strip().lower()
    if meta:
        if meta not in ("clinician", "family"):
            raise ValueError("metadata.audience must be 'clinician' or 'family'")
        return meta
    for m in req.messages:
        if m.role in ("system", "developer"):
            key, _, value = m.text().strip().lower().partition(":")
            if key.strip() == "audience" and value.strip() in ("clinician", "family"):
                return value.strip()
    return "clinician"


def chat_tail(ans: Answer) -> str:
    """What follows the answer text in chat content: notice, glossary, references."""
    parts: list[str] = []
    if ans.table is not None:
        parts.append(table_markdown(ans.table))
    if ans.notice:
        parts.append(ans.notice)
    if ans.evidence_summary:
        parts.append(ans.evidence_summary)
    if ans.glossary:
        words = "\n".join(f"- {g.term}: {g.definition}" for g in ans.glossary)
        parts.append(f"What these words mean:\n{words}")
    if ans.citations:
        parts.append(references_markdown(ans.citations))
    elif ans.abstained and ans.nearest:
        refs = references_markdown(ans.nearest)
        parts.append("Nearest sources:" + refs.removeprefix("References:"))
    return "".join(f"\n\n{p}" for p in parts)


def chat_content(ans: Answer) -> str:
    """Answer text with [n] markers, then the references (or abstention + nearest sources)."""
    return ans.answer + chat_tail(ans)


def _usage(question: str, history: list[str], content: str) -> dict[str, int]:
    """Whitespace-word counts (there is no tokenizer in extractive mode)."""
    prompt = sum(len(t.split()) for t in [question, *history])
    completion = len(content.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion_json(
    ans: Answer, question: str, history: list[str], cid: str | None = None
) -> dict[str, Any]:
    """A `chat.completion` object with citeqa's `citations` and full answer (`citeqa`)."""
    content = chat_content(ans)
    return {
        "id": cid or completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(question, history, content),
        "citations": [c.to_json() for c in ans.citations],
        "citeqa": ans.to_json(),
    }


def chunk_json(
    cid: str,
    created: int,
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One `chat.completion.chunk`; ``delta=None`` makes a usage-only chunk (no choices)."""
    out: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": []
        if delta is None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    out.update(extra)
    return out


def final_chunks(
    ans: Answer, cid: str, created: int, question: str, history: list[str], usage: bool
) -> list[dict[str, Any]]:
    """The chunks after the streamed answer text: references, stop (+ citations), usage."""
    out = []
    tail = chat_tail(ans)
    if tail:
        out.append(chunk_json(cid, created, {"content": tail}))
    cites = [c.to_json() for c in ans.citations]
    out.append(chunk_json(cid, created, {}, "stop", citations=cites, citeqa=ans.to_json()))
    if usage:
        out.append(
            chunk_json(cid, created, None, usage=_usage(question, history, chat_content(ans)))
        )
    return out


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event; ``data`` is JSON-encoded unless it is already a string."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"
