"""In-process tests of the API layer: the pure conversions, and the app with a test-double
pipeline (store failures and recovery, loading state, auth, body limits, streaming)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from citeqa.answer import Answer, AnswerSentence, Citation
from citeqa.errors import StoreError
from citeqa.settings import Settings
from tests.helpers import ABSTAIN_TEXT
from ui.api import create_app
from ui.api_models import (
    ChatRequest,
    FiltersIn,
    chat_content,
    chat_inputs,
    final_chunks,
    sse,
    validation_message,
)
from ui.api_service import BodyLimit


def cite(n: int, doc: str = "d1") -> Citation:
    return Citation(
        n, f"c{n}", doc, f"Title {doc}", f"Ref {doc}.", "journal-article", "Results", "q", "p"
    )


class FakeStore:
    def __init__(self) -> None:
        self.alive = True

    def count(self) -> int:
        if not self.alive:
            raise StoreError("connection refused")
        return 7


class FakePipeline:
    """Test double: answers 'Echo <question>.' citing one source, tokens word by word."""

    def __init__(self, fail: Exception | None = None, draft: str = "") -> None:
        self.store = FakeStore()
        self.fail = fail
        self.draft = draft
        self.calls: list[tuple[Any, ...]] = []

    def chat_model(self) -> None:
        return None

    def warm_up(self) -> None:
        self.store.count()

    def health(self) -> dict[str, Any]:
        try:
            return {"ok": True, "chunks": self.store.count(), "error": ""}
        except StoreError as exc:
            return {"ok": False, "chunks": 0, "error": str(exc)}

    def answer(
        self, question: str, audience: str, history: Any, filters: Any, on_token: Any
    ) -> Answer:
        self.calls.append((question, audience, list(history), filters))
        if self.fail is not None:
            raise self.fail
        text = f"Echo {question.strip()}. [1]"
        if on_token is not None:
            for w in (self.draft or text).split(" "):
                on_token(w + " ")
        return Answer(question, audience, text, False, [AnswerSentence(text, (1,))], [cite(1)])


class Loader:
    """Hands out pipelines in order; a StoreError instance is raised instead."""

    def __init__(self, *items: Any) -> None:
        self.items = list(items)
        self.calls = 0

    def __call__(self, settings: Settings) -> Any:
        self.calls += 1
        item = self.items.pop(0) if len(self.items) > 1 else self.items[0]
        if isinstance(item, Exception):
            raise item
        return item


def app_client(loader: Any, **settings: Any) -> TestClient:
    return TestClient(
        create_app(Settings.model_validate(settings), loader), raise_server_exceptions=False
    )


Q = {"question": "What is it?"}


# -- pure conversions ---------------------------------------------------------------------------
def test_chat_inputs_last_user_message_is_the_question() -> None:
    req = ChatRequest.model_validate(
        {
            "messages": [
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "answer"},
                {"role": "user", "content": [{"type": "text", "text": "second"}]},
            ]
        }
    )
    assert chat_inputs(req) == ("second", ["first"], "clinician")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"audience": "family"}, "family"),
        ({"metadata": {"audience": "family"}}, "family"),
        ({"audience": "clinician", "metadata": {"audience": "family"}}, "clinician"),
        ({"system": "audience: family"}, "family"),
        ({"system": "you are helpful"}, "clinician"),
    ],
)
def test_chat_audience_sources(extra: dict[str, Any], expected: str) -> None:
    msgs: list[dict[str, Any]] = [{"role": "user", "content": "q"}]
    if "system" in extra:
        msgs.insert(0, {"role": "system", "content": extra.pop("system")})
    req = ChatRequest.model_validate({"messages": msgs, **extra})
    assert chat_inputs(req)[2] == expected


def test_chat_inputs_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="no user message"):
        chat_inputs(ChatRequest.model_validate({"messages": [{"role": "system", "content": "s"}]}))
    bad = {"messages": [{"role": "user", "content": "q"}], "metadata": {"audience": "kids"}}
    with pytest.raises(ValueError, match=r"metadata\.audience"):
        chat_inputs(ChatRequest.model_validate(bad))


def test_chat_content_answer_then_references() -> None:
    ans = Answer(
        "q", "clinician", "A fact. [1] Another. [2]", False, citations=[cite(1), cite(2, "d2")]
    )
    text = chat_content(ans)
    assert text.startswith("A fact. [1] Another. [2]\n\nReferences:\n[1] Ref d1.")
    assert "[2] Ref d2." in text


def test_chat_content_abstention_lists_nearest_sources() -> None:
    ans = Answer("q", "clinician", ABSTAIN_TEXT, True, nearest=[cite(1)])
    text = chat_content(ans)
    assert text.startswith(ABSTAIN_TEXT) and "\n\nNearest sources:\n[1] Ref d1." in text
    assert "References:" not in text


def test_final_chunks_carry_citations_and_usage() -> None:
    ans = Answer("q", "clinician", "A. [1]", False, citations=[cite(1)])
    chunks = final_chunks(ans, "id1", 5, "q", [], usage=True)
    assert chunks[0]["choices"][0]["delta"]["content"].startswith("\n\nReferences:")
    assert chunks[1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[1]["citations"][0]["doc_id"] == "d1" and chunks[1]["citeqa"]["answer"] == "A. [1]"
    assert chunks[2]["choices"] == [] and chunks[2]["usage"]["total_tokens"] > 0


def test_sse_encodes_json_and_multiline_text() -> None:
    assert sse({"a": "x\ny"}, "token") == 'event: token\ndata: {"a": "x\\ny"}\n\n'
    assert sse("one\ntwo") == "data: one\ndata: two\n\n"


def test_validation_message() -> None:
    assert validation_message([{"type": "json_invalid", "loc": ("body", 1)}])[0] == 400
    status, msg = validation_message(
        [{"type": "missing", "loc": ("body", "question"), "msg": "Field required"}]
    )
    assert status == 422 and msg == "question: Field required"


def test_filters_in_to_filters() -> None:
    f = FiltersIn.model_validate(
        {"doc_types": ["drug-label"], "year_min": 2020, "trial": " AALL1731 "}
    ).to_filters()
    assert f.doc_types == ("drug-label",) and f.year_min == 2020 and f.trial == "AALL1731"
    assert FiltersIn.model_validate({}).to_filters().is_empty()


# -- app with a test-double pipeline ------------------------------------------------------------
def test_store_down_at_load_is_503_then_recovers() -> None:
    loader = Loader(StoreError("cannot reach the Chroma server"), FakePipeline())
    c = app_client(loader)
    resp = c.post("/v1/ask", json=Q)
    assert resp.status_code == 503 and resp.headers["retry-after"] == "5"
    assert "cannot reach the Chroma server" in resp.json()["error"]["message"]
    resp = c.post("/v1/ask", json=Q)
    assert resp.status_code == 200 and resp.json()["answer"] == "Echo What is it?. [1]"
    assert loader.calls == 2


def test_store_error_while_answering_drops_the_pipeline() -> None:
    broken, good = FakePipeline(fail=StoreError("index gone")), FakePipeline()
    loader = Loader(broken, good)
    c = app_client(loader)
    resp = c.post("/v1/ask", json=Q)
    assert resp.status_code == 503 and "index gone" in resp.json()["error"]["message"]
    assert c.post("/v1/ask", json=Q).status_code == 200
    assert loader.calls == 2 and len(good.calls) == 1


def test_a_bug_with_a_live_store_is_a_500_with_a_json_body() -> None:
    c = app_client(Loader(FakePipeline(fail=RuntimeError("bug"))))
    resp = c.post("/v1/ask", json=Q)
    assert resp.status_code == 500 and resp.json()["error"]["message"] == "internal server error"


def test_healthz_503_while_loading_then_ready() -> None:
    gate = threading.Event()

    def slow(settings: Settings) -> Any:
        gate.wait(30)
        return FakePipeline()

    with TestClient(create_app(Settings.model_validate({}), slow)) as c:
        resp = c.get("/healthz")
        assert resp.status_code == 503 and resp.json()["status"] == "loading"
        assert c.post("/v1/ask", json=Q).json()["error"]["code"] == "loading"
        gate.set()
        for _ in range(100):
            if c.get("/healthz").status_code == 200:
                break
            threading.Event().wait(0.05)
        assert c.get("/healthz").json() == {
            "status": "ready",
            "chunks": 7,
            "retrieval": "hybrid+rerank",
            "embedder": "bge-small",
            "llm": "none",
            "store": "embedded",
        }


def test_healthz_reports_a_dead_store() -> None:
    p = FakePipeline()
    c = app_client(Loader(p))
    assert c.get("/healthz").status_code == 200
    p.store.alive = False
    resp = c.get("/healthz")
    assert resp.status_code == 503 and "unreachable" in resp.json()["error"]


def test_auth_in_process() -> None:
    c = app_client(Loader(FakePipeline()), api_key="k1")
    assert c.get("/v1/documents").status_code == 401
    assert c.post("/v1/ask", json=Q, headers={"Authorization": "Bearer k2"}).status_code == 401
    ok = c.post("/v1/ask", json=Q, headers={"Authorization": "Bearer k1"})
    assert ok.status_code == 200


def test_history_audience_and_filters_reach_the_pipeline() -> None:
    p = FakePipeline()
    c = app_client(Loader(p))
    body = {**Q, "audience": "family", "history": ["before"], "filters": {"year_min": 2020}}
    assert c.post("/v1/ask", json=body).status_code == 200
    question, audience, history, filters = p.calls[-1]
    assert (question, audience, history, filters.year_min) == (
        "What is it?",
        "family",
        ["before"],
        2020,
    )


def test_body_limit_from_settings() -> None:
    c = app_client(Loader(FakePipeline()), server={"max_body_bytes": 1024})
    resp = c.post("/v1/ask", json={"question": "a" * 2000})
    assert resp.status_code == 413 and "1024 bytes" in resp.json()["error"]["message"]
    assert c.post("/v1/ask", json={"question": "a" * 500}).status_code == 200


def test_question_limit_from_settings() -> None:
    c = app_client(Loader(FakePipeline()), server={"max_question_chars": 20})
    assert c.post("/v1/ask", json={"question": "a" * 21}).status_code == 422
    assert c.post("/v1/ask", json={"question": "a" * 20}).status_code == 200


def test_default_question_limit_is_the_chats_8000() -> None:
    c = app_client(Loader(FakePipeline()))
    long_q = "word " * 1599 + "why?"  # 7,999 characters: a parent's long message
    assert c.post("/v1/ask", json={"question": long_q + "!"}).status_code == 200
    assert c.post("/v1/ask", json={"question": "a" * 8001}).status_code == 422
    schema = c.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]
    assert schema["properties"]["question"]["maxLength"] == 8000


def test_body_limit_rejects_a_bad_content_length() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("must not be reached")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: Any) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"12x")]}
    asyncio.run(BodyLimit(app, 100)(scope, receive, send))
    assert sent[0]["status"] == 400 and b"Content-Length" in sent[1]["body"]


def events(text: str) -> list[tuple[str, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        ev = lines[0][7:] if lines[0].startswith("event: ") else ""
        out.append((ev, "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))))
    return out


def test_llm_drafts_stream_on_ask_but_chat_sends_only_the_checked_answer() -> None:
    p = FakePipeline(draft="Unsupported draft sentence.")
    c = app_client(Loader(p), llm={"provider": "openai"})
    ask = events(c.post("/v1/ask?stream=true", json=Q).text)
    assert "Unsupported" in "".join(json.loads(d)["text"] for e, d in ask if e == "token")
    assert json.loads(ask[-2][1])["answer"] == "Echo What is it?. [1]"
    chat = c.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "What is it?"}], "stream": True},
    )
    parts = [json.loads(d) for _, d in events(chat.text) if d != "[DONE]"]
    text = "".join(ch["choices"][0]["delta"].get("content", "") for ch in parts if ch["choices"])
    assert "Unsupported" not in text and text.startswith("Echo What is it?. [1]\n\nReferences:")
    assert chat.text.endswith("data: [DONE]\n\n")


def test_stream_error_event_when_the_store_fails_mid_answer() -> None:
    c = app_client(Loader(FakePipeline(fail=StoreError("gone")), FakePipeline()))
    evs = events(c.post("/v1/ask?stream=true", json=Q).text)
    assert [e for e, _ in evs] == ["error", "done"]
    assert json.loads(evs[0][1])["error"]["message"].endswith("gone")


# -- admission: bounded concurrency, FIFO, load shedding ----------------------------------------
class FakeRequest:
    def __init__(self, gone: bool = False) -> None:
        self.gone = gone

    async def is_disconnected(self) -> bool:
        return self.gone


def test_admission_is_fifo_and_bounded() -> None:
    from ui.api_service import Admission

    adm = Admission(active=2, queue=10)
    order: list[int] = []
    running = [0, 0]  # now, max

    async def one(i: int) -> None:
        async with adm.slot(FakeRequest()):  # type: ignore[arg-type]
            order.append(i)
            running[0] += 1
            running[1] = max(running)
            await asyncio.sleep(0.01)
            running[0] -= 1

    async def main() -> None:
        tasks = []
        for i in range(8):
            tasks.append(asyncio.create_task(one(i)))
            await asyncio.sleep(0)  # arrival order = i
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == list(range(8)) and running[1] == 2 and adm.waiting == 0


def test_admission_drops_gone_clients_and_sheds_load() -> None:
    from ui.api_models import ApiError
    from ui.api_service import Admission

    adm = Admission(active=1, queue=1)
    ran: list[str] = []

    async def gone() -> None:
        async with adm.slot(FakeRequest(gone=True)):  # type: ignore[arg-type]
            ran.append("gone")

    with pytest.raises(ApiError) as err:
        asyncio.run(gone())
    assert err.value.status == 499 and ran == []
    adm.waiting = 1
    with pytest.raises(ApiError) as err:
        adm.check()
    assert err.value.status == 503 and err.value.code == "busy"


def test_busy_server_answers_503() -> None:
    c = app_client(Loader(FakePipeline()))
    c.app.state.service.admission.queue = 0  # type: ignore[attr-defined]
    resp = c.post("/v1/ask", json=Q)
    assert resp.status_code == 503 and "busy" in resp.json()["error"]["message"]
    chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "q"}]})
    assert chat.status_code == 503
