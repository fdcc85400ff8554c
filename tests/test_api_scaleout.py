"""Scale-out: several `citeqa serve` processes over one Chroma server (CITEQA_CHROMA_URL),
and recovery of a server when its vector store goes away and comes back."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_server import (
    OMEGA_Q,
    ZETA_Q,
    api_server,
    server_env,
    write_api_docs,
    write_late_doc,
)
from tests.fixtures_chroma import start_chroma, stop
from tests.helpers import citeqa, free_port, last_json


def ask(url: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=120)


def cited_docs(body: dict[str, Any]) -> set[str]:
    return {c["doc_id"] for c in body["citations"]}


def ingest(path: Path, chroma: str) -> dict[str, Any]:
    res = citeqa("ingest", str(path), "--json", env={"CITEQA_CHROMA_URL": chroma})
    assert res.returncode == 0, res.stderr
    return last_json(res.stdout)


@pytest.mark.slow
def test_two_servers_share_one_chroma_and_see_new_ingests(
    tmp_path: Path,
    chroma_server: str,
) -> None:
    write_api_docs(tmp_path / "docs")
    assert ingest(tmp_path / "docs", chroma_server)["new_chunks"] > 0
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                api_server(
                    server_env(tmp_path / name, CITEQA_CHROMA_URL=chroma_server),
                    tmp_path / f"{name}.log",
                )
            )
            for name in ("a", "b")
        ]
        assert all(httpx.get(f"{u}/healthz").json()["store"] == "server" for u in urls)
        first = [ask(u, ZETA_Q).json() for u in urls]
        assert first[0]["answer"] == first[1]["answer"] and "91.2%" in first[0]["answer"]
        assert [c["chunk_id"] for c in first[0]["citations"]] == [
            c["chunk_id"] for c in first[1]["citations"]
        ]
        before = [ask(u, OMEGA_Q).json() for u in urls]
        assert all("omega7" not in cited_docs(b) for b in before)

        # one more document, ingested while both servers run
        write_late_doc(tmp_path / "late")
        assert ingest(tmp_path / "late", chroma_server)["new_chunks"] > 0
        after = [ask(u, OMEGA_Q).json() for u in urls]
        for body in after:
            assert "omega7" in cited_docs(body) and "67.3%" in body["answer"]
        assert after[0]["answer"] == after[1]["answer"]
        for u in urls:
            docs = httpx.get(f"{u}/v1/documents").json()["documents"]
            assert "omega7" in {d["doc_id"] for d in docs}
        assert not (tmp_path / "a" / "index").exists()  # nothing local: all in the server


@pytest.mark.slow
def test_server_recovers_when_chroma_comes_back(tmp_path: Path) -> None:
    port = free_port()
    chroma_url = f"http://127.0.0.1:{port}"
    proc = start_chroma(tmp_path / "srv", port)
    try:
        write_api_docs(tmp_path / "docs")
        ingest(tmp_path / "docs", chroma_url)
        env = server_env(tmp_path / "a", CITEQA_CHROMA_URL=chroma_url)
        with api_server(env, tmp_path / "a.log") as url:
            assert ask(url, ZETA_Q).status_code == 200
            stop(proc)
            down = ask(url, ZETA_Q)
            assert down.status_code == 503, down.text
            assert "vector store" in down.json()["error"]["message"]
            assert httpx.get(f"{url}/healthz").status_code == 503
            assert httpx.get(f"{url}/v1/documents").status_code == 503
            proc = start_chroma(tmp_path / "srv", port)  # same data, same port
            back = ask(url, ZETA_Q)
            assert back.status_code == 200, back.text
            assert "91.2%" in back.json()["answer"]
            assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        stop(proc)
