"""The HTTP API on a real uvicorn server (`citeqa serve`) over a small index on loopback.

Clients: httpx for /v1/ask (JSON and server-sent events) and the official `openai` SDK for
the OpenAI-compatible endpoints. A second server checks the API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from citeqa.answer import Answer
from tests.api_server import ZETA_Q, api_server, server_env, write_api_docs
from tests.helpers import citeqa

KEY = "test-key-7f3a"
ANSWER_KEYS = set(Answer("q", "clinician", "a", False).to_json())


@pytest.fixture(scope="module")
def api_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A data dir whose index holds the small API corpus."""
    root = tmp_path_factory.mktemp("api")
    ids = write_api_docs(root / "docs")
    res = citeqa("ingest", str(root / "docs"), "--index", str(root / "data" / "index"))
    assert res.returncode == 0, res.stderr
    return root / "data", ids


@pytest.fixture(scope="module")
def url(api_data: tuple[Path, list[str]]) -> Iterator[str]:
    data, _ = api_data
    with api_server(server_env(data), data.parent / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def keyed_url(
    api_data: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A second server with CITEQA_API_KEY, on its own copy of the index."""
    import shutil

    data, _ = api_data
    copy = tmp_path_factory.mktemp("keyed") / "data"
    shutil.copytree(data, copy)
    with api_server(server_env(copy, CITEQA_API_KEY=KEY), copy.parent / "serve.log") as base:
        yield base


def ask(url: str, body: Any, **kw: Any) -> httpx.Response:
    return httpx.post(f"{url}/v1/ask", json=body, timeout=120, **kw)


def read_events(resp: httpx.Response) -> list[tuple[str, Any]]:
    """Parse a server-sent-event body into (event, data) pairs."""
    out = []
    for block in resp.text.split("\n\n"):
        lines = [ln for ln in block.split("\n") if ln]
        if not lines:
            continue
        event = next((ln[7:] for ln in lines if ln.startswith("event: ")), "message")
        data = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        out.append((event, data if data == "[DONE]" else json.loads(data)))
    return out


def client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


# -- service ------------------------------------------------------------------------------------
def test_healthz_is_ready_with_the_index(url: str) -> None:
    body = httpx.get(f"{url}/healthz").json()
    assert body["status"] == "ready" and body["chunks"] > 0 and body["store"] == "embedded"


def test_documents_lists_the_indexed_files(url: str, api_data: tuple[Path, list[str]]) -> None:
    body = httpx.get(f"{url}/v1/documents").json()
    assert sorted(d["doc_id"] for d in body["documents"]) == sorted(api_data[1])
    assert body["stats"]["documents"] == 3 and body["stats"]["chunks"] >= 3


def test_openapi_docs_are_served(url: str) -> None:
    spec = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/ask", "/v1/chat/completions", "/v1/models", "/v1/documents", "/healthz"} <= set(
        spec["paths"]
    )
    assert (
        spec["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] == 8000
    )
    assert httpx.get(f"{url}/docs").status_code == 200


# -- /v1/ask ------------------------------------------------------------------------------------
def test_ask_returns_the_cited_answer_object(url: str) -> None:
    resp = ask(url, {"question": ZETA_Q})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == ANSWER_KEYS
    assert not body["abstained"] and "91.2%" in body["answer"] and "[1]" in body["answer"]
    assert body["citations"][0]["doc_id"] == "zeta12"
    assert "91.2%" in body["citations"][0]["quote"]


def test_ask_stream_sends_tokens_then_the_answer_then_done(url: str) -> None:
    plain = ask(url, {"question": ZETA_Q}).json()
    resp = ask(url, {"question": ZETA_Q}, params={"stream": "true"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    events = read_events(resp)
    kinds = [e for e, _ in events]
    assert kinds[-2:] == ["answer", "done"] and set(kinds[:-2]) == {"token"}
    tokens = "".join(d["text"] for e, d in events if e == "token")
    final = events[-2][1]
    assert tokens.strip() == final["answer"] == plain["answer"]
    assert [c["chunk_id"] for c in final["citations"]] == [
        c["chunk_id"] for c in plain["citations"]
    ]


def test_ask_family_audience_and_filters(url: str) -> None:
    body = ask(
        url,
        {
            "question": "What does MRD mean?",
            "audience": "family",
            "filters": {"doc_types": ["plain-language"], "audience": "family"},
        },
    ).json()
    assert body["audience"] == "family"
    cited = body["citations"] or body["nearest"]
    assert cited and {c["doc_type"] for c in cited} == {"plain-language"}


def test_filters_can_exclude_every_source(url: str) -> None:
    body = ask(url, {"question": ZETA_Q, "filters": {"year_max": 2000}}).json()
    assert body["abstained"] and body["citations"] == [] and body["nearest"] == []


def test_concurrent_requests_share_one_pipeline(url: str) -> None:
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: ask(url, {"question": ZETA_Q}), range(6)))
    assert [r.status_code for r in results] == [200] * 6
    assert len({r.json()["answer"] for r in results}) == 1


def test_load_benchmark_runs_without_errors(url: str) -> None:
    from evals.load import LoadPlan, run_load

    res = run_load(LoadPlan(url, clients=4, seconds=2, questions=(ZETA_Q,)), as_json=True)
    assert res["errors"] == 0 and res["ok"] >= 4 and res["requests_per_s"] > 0
    assert res["latency_ms"]["p50"] <= res["latency_ms"]["p99"]


# -- OpenAI-compatible --------------------------------------------------------------------------
def test_openai_client_chat_completion(url: str) -> None:
    plain = ask(url, {"question": ZETA_Q}).json()
    r = client(url).chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": ZETA_Q}]
    )
    content = r.choices[0].message.content or ""
    assert r.model == "citeqa" and r.choices[0].finish_reason == "stop"
    assert content.startswith(plain["answer"]) and "\n\nReferences:\n[1] " in content
    extra = r.model_extra or {}
    assert [c["doc_id"] for c in extra["citations"]] == [c["doc_id"] for c in plain["citations"]]
    assert extra["citeqa"]["answer"] == plain["answer"]
    assert r.usage is not None and r.usage.completion_tokens > 0


def test_openai_client_streaming_matches_non_streaming(url: str) -> None:
    c = client(url)
    msgs: Any = [{"role": "user", "content": ZETA_Q}]
    whole = c.chat.completions.create(model="citeqa", messages=msgs).choices[0].message.content
    chunks = list(
        c.chat.completions.create(
            model="citeqa", messages=msgs, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join((ch.choices[0].delta.content or "") for ch in chunks if ch.choices)
    assert text == whole
    assert chunks[0].choices[0].delta.role == "assistant"
    stop = [ch for ch in chunks if ch.choices and ch.choices[0].finish_reason == "stop"]
    assert len(stop) == 1 and (stop[0].model_extra or {})["citations"][0]["doc_id"] == "zeta12"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(ch.object == "chat.completion.chunk" and ch.id == chunks[0].id for ch in chunks)


def test_openai_history_and_audience(url: str) -> None:
    c = client(url)
    msgs: Any = [
        {"role": "system", "content": "audience: family"},
        {"role": "user", "content": ZETA_Q},
        {"role": "assistant", "content": "It was 91.2% [1]"},
        {"role": "user", "content": "What does MRD mean?"},
    ]
    r = c.chat.completions.create(model="citeqa", messages=msgs)
    got = (r.model_extra or {})["citeqa"]
    assert got["question"] == "What does MRD mean?" and got["audience"] == "family"
    r2 = c.chat.completions.create(
        model="citeqa", messages=msgs[1:2], extra_body={"metadata": {"audience": "family"}}
    )
    assert (r2.model_extra or {})["citeqa"]["audience"] == "family"


def test_openai_models_and_unknown_model(url: str) -> None:
    c = client(url)
    assert [m.id for m in c.models.list()] == ["citeqa"]
    assert c.models.retrieve("citeqa").owned_by == "citeqa"
    with pytest.raises(openai.NotFoundError, match="unknown model"):
        c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_openai_abstention_lists_nearest_sources(url: str) -> None:
    r = client(url).chat.completions.create(
        model="citeqa",
        messages=[{"role": "user", "content": ZETA_Q}],
        extra_body={"filters": {"doc_types": ["drug-label"]}},
    )
    got = (r.model_extra or {})["citeqa"]
    content = r.choices[0].message.content or ""
    if got["abstained"]:
        assert content.startswith(got["answer"]) and "Nearest sources:" in content
        assert (r.model_extra or {})["citations"] == []
    else:  # the label passage may be judged relevant: then it is cited like any answer
        assert "References:" in content and "91.2%" not in content


# -- bad requests: 4xx with a message, never 5xx ------------------------------------------------
BAD_ASK = [
    ({}, 422),
    ({"question": ""}, 422),
    ({"question": "   \n "}, 422),
    ({"question": "x" * 8001}, 422),
    ({"question": 42}, 422),
    ({"question": ["a"]}, 422),
    ({"question": "ok?", "audience": "doctor"}, 422),
    ({"question": "ok?", "history": "not a list"}, 422),
    ({"question": "ok?", "history": ["y" * 8001]}, 422),
    ({"question": "ok?", "filters": {"doc_types": ["novel"]}}, 422),
    ({"question": "ok?", "filters": {"year_min": 10**20}}, 422),
    ({"question": "ok?", "unknown": 1}, 422),
    ([], 422),
    ("just a string", 422),
]


@pytest.mark.parametrize(("body", "status"), BAD_ASK)
def test_bad_ask_requests_get_4xx_with_a_message(url: str, body: Any, status: int) -> None:
    resp = ask(url, body)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["message"]


def test_malformed_json_is_400(url: str) -> None:
    for raw in (b"{bad json", b'{"question": "a"', b"\xff\xfe"):
        resp = httpx.post(
            f"{url}/v1/ask", content=raw, headers={"content-type": "application/json"}
        )
        assert resp.status_code == 400, resp.text
        assert "JSON" in resp.json()["error"]["message"]


def test_oversized_bodies_are_413(url: str) -> None:
    big = json.dumps({"question": "a", "history": ["b" * 300_000]}).encode()
    resp = httpx.post(f"{url}/v1/ask", content=big, headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "larger than" in resp.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes actually sent are counted
        for i in range(0, len(big), 50_000):
            yield big[i : i + 50_000]

    resp = httpx.post(
        f"{url}/v1/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"model": "citeqa", "messages": []},
        {"model": "citeqa", "messages": [{"role": "system", "content": "hi"}]},
        {"model": "citeqa", "messages": [{"role": "user", "content": "  "}]},
        {"model": "citeqa", "messages": [{"role": "wizard", "content": "hi"}]},
        {"model": "citeqa", "messages": [{"role": "user", "content": "z" * 8001}]},
        {"model": "citeqa", "messages": [{"role": "user", "content": "hi"}], "audience": "x"},
        {"model": "citeqa", "messages": "hello"},
    ],
)
def test_bad_chat_requests_get_4xx(url: str, body: Any) -> None:
    resp = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["message"]


def test_openai_client_sees_validation_errors(url: str) -> None:
    with pytest.raises(openai.UnprocessableEntityError, match="question is empty"):
        client(url).chat.completions.create(
            model="citeqa", messages=[{"role": "user", "content": " "}]
        )


# -- API key ------------------------------------------------------------------------------------
def test_api_key_is_required_when_set(keyed_url: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
        resp = httpx.get(f"{keyed_url}/v1/models", headers=headers)
        assert resp.status_code == 401 and "API key" in resp.json()["error"]["message"]
        assert resp.headers["www-authenticate"] == "Bearer"
    resp = ask(keyed_url, {"question": ZETA_Q})
    assert resp.status_code == 401
    assert httpx.get(f"{keyed_url}/healthz").status_code == 200  # health stays open


def test_api_key_accepted_by_the_openai_client(keyed_url: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(keyed_url, "nope").models.list()
    r = client(keyed_url, KEY).chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": ZETA_Q}]
    )
    assert "91.2%" in (r.choices[0].message.content or "")
    resp = ask(keyed_url, {"question": ZETA_Q}, headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 200 and resp.json()["citations"]


def test_no_key_server_ignores_authorization(url: str) -> None:
    resp = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer anything"})
    assert resp.status_code == 200
