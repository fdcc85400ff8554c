"""Generative mode against a REAL tiny LLM (SmolLM2-135M-Instruct GGUF served by xllamacpp).

The server is started on 127.0.0.1 like a user's llama.cpp server and reached through the
ordinary ``openai`` provider (``rag.llm.make_chat_model``). SmolLM2-135M rarely cites and
often invents: these tests check that whatever it writes, only supported sentences survive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from citeqa.answer import Answer
from citeqa.settings import LLMSettings, Settings
from ingest.embed_onnx import BgeSmallOnnxEmbedder
from ingest.numbers import numbers_supported
from rag.generate import candidate_sentences, generate_answer
from rag.llm import make_chat_model, smollm2_gguf_path, stop_gguf_servers
from rag.support import check_sentence
from tests.helpers import ABSTAIN_TEXT, PROMPT, as_answer
from tests.llm_server import LlamaServer
from tests.passages import passages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    t = time.perf_counter()
    srv = LlamaServer(smollm2_gguf_path(), n_ctx=2048, threads=1)
    print(f"\nllama server up in {time.perf_counter() - t:.2f}s at {srv.address}")
    yield srv
    address = srv.address
    srv.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(address + "/health", timeout=2)


@pytest.fixture(scope="module")
def bge() -> Iterator[BgeSmallOnnxEmbedder]:
    yield BgeSmallOnnxEmbedder(threads=2)


def llm_settings(srv: LlamaServer, max_tokens: int = 48) -> Settings:
    return Settings(
        llm=LLMSettings(
            provider="openai", base_url=srv.base_url, model="smollm2", max_tokens=max_tokens
        )
    )


def ask(srv: LlamaServer, emb: BgeSmallOnnxEmbedder, question: str) -> tuple[Answer, str]:
    tokens: list[str] = []
    t = time.perf_counter()
    draft = generate_answer(
        question, "clinician", passages(), llm_settings(srv), emb, PROMPT, on_token=tokens.append
    )
    ans = as_answer(draft, question)
    raw = "".join(tokens)
    print(f"\n[{time.perf_counter() - t:.1f}s] {question}\nRAW: {raw!r}\nANSWER: {ans.answer!r}")
    print(f"REMOVED: {ans.removed}")
    return ans, raw


def assert_checked(ans: Answer, raw: str, threshold: float) -> None:
    """Every surviving sentence is supported; every raw sentence is kept or removed."""
    assert ans.mode == "llm"
    cands = candidate_sentences(raw, len(passages()))
    assert len(ans.sentences) + len(ans.removed) == len(cands)
    by_n = {c.n: c for c in ans.citations}
    for s in ans.sentences:
        cited = [by_n[k].passage for k in s.citations]
        assert check_sentence(s.text, cited, None, threshold).supported
        quotes = " ".join(by_n[k].quote for k in s.citations)
        assert numbers_supported(s.text, [quotes]) == []
    all_text = [p.chunk.text for p in passages()]
    for text, _ in cands:
        if numbers_supported(text, all_text):  # a number the sources never state
            assert any(r.startswith(text) for r in ans.removed), text
    if ans.abstained:
        assert ans.answer == ABSTAIN_TEXT and ans.sentences == () and ans.nearest
    else:
        assert ans.sentences and ans.citations


def test_provider_validation() -> None:
    with pytest.raises(ValueError, match="extractive"):
        make_chat_model(LLMSettings(provider="none"))
    with pytest.raises(ValueError, match="CITEQA_LLM__BASE_URL"):
        make_chat_model(LLMSettings(provider="openai", model="m"))
    with pytest.raises(ValueError, match="CITEQA_LLM__MODEL"):
        make_chat_model(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ValueError, match="CITEQA_LLM__MODEL"):
        make_chat_model(LLMSettings(provider="ollama"))


def test_openai_model_configuration() -> None:
    llm = LLMSettings(
        provider="openai", base_url="http://127.0.0.1:9/v1", model="m", max_tokens=33, timeout_s=7
    )
    m = make_chat_model(llm)
    assert m.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert m.model_name == "m" and m.max_tokens == 33  # type: ignore[attr-defined]
    assert m.request_timeout == 7 and m.max_retries == 1  # type: ignore[attr-defined]
    assert m.openai_api_key.get_secret_value() == "not-needed"  # type: ignore[attr-defined]


def test_ollama_model_configuration() -> None:
    m = make_chat_model(
        LLMSettings(provider="ollama", base_url="http://127.0.0.1:9", model="llama3", max_tokens=50)
    )
    assert m.model == "llama3" and m.num_predict == 50  # type: ignore[attr-defined]
    assert m.base_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]


def test_smollm2_path() -> None:
    p = smollm2_gguf_path()
    assert p.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and p.stat().st_size > 50_000_000


def test_gguf_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        make_chat_model(LLMSettings(provider="gguf", gguf_path="/nonexistent/model.gguf"))


def test_gguf_bad_file(tmp_path: Path) -> None:
    from rag.llm import GgufServer

    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    with pytest.raises(RuntimeError):
        GgufServer(bad, threads=1)


def test_streams_tokens(server: LlamaServer) -> None:
    model = make_chat_model(llm_settings(server, max_tokens=24).llm)
    t = time.perf_counter()
    pieces = [c.content for c in model.stream("Name three colours.")]
    print(f"\nstream: {time.perf_counter() - t:.2f}s, {len(pieces)} chunks")
    text = "".join(str(p) for p in pieces)
    assert len([p for p in pieces if p]) >= 3 and text.strip()


@pytest.mark.parametrize(
    "question",
    [
        "What was the 3-year disease-free survival with blinatumomab in AALL1731?",
        "How long does each blinatumomab infusion cycle last?",
    ],
)
def test_generate_answer_only_supported(
    server: LlamaServer, bge: BgeSmallOnnxEmbedder, question: str
) -> None:
    ans, raw = ask(server, bge, question)
    assert raw.strip()  # the model really streamed something
    assert_checked(ans, raw, Settings().answer.support_similarity)


def test_support_check_removes_inventions(server: LlamaServer, bge: BgeSmallOnnxEmbedder) -> None:
    """Questions the passages cannot answer: the tiny model's inventions must not survive."""
    questions = [
        "What dose of blinatumomab should my 20 kg son get?",
        "What is the 5-year overall survival after a bone marrow transplant?",
        "How many children in the trial had Down syndrome?",
    ]
    outcomes = []
    for q in questions:
        ans, raw = ask(server, bge, q)
        assert_checked(ans, raw, Settings().answer.support_similarity)
        outcomes.append(ans.abstained or bool(ans.removed))
        for s in ans.sentences:  # anything kept restates the sources, numbers included
            assert not numbers_supported(s.text, [p.chunk.text for p in passages()])
    assert any(outcomes), "the support check removed nothing the tiny model wrote"


def test_gguf_provider(bge: BgeSmallOnnxEmbedder) -> None:
    llm = LLMSettings(provider="gguf", gguf_path=str(smollm2_gguf_path()), max_tokens=16)
    try:
        t = time.perf_counter()
        model = make_chat_model(llm)
        print(f"\ngguf provider ready in {time.perf_counter() - t:.2f}s")
        assert model.openai_api_base.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]
        assert make_chat_model(llm) is not model  # a new client ...
        assert make_chat_model(llm).openai_api_base == model.openai_api_base  # type: ignore[attr-defined]
        out = model.invoke("Say hello.")
        assert isinstance(out.content, str) and out.content.strip()
    finally:
        stop_gguf_servers()
