"""`citeqa ui`: the process a service manager starts is the server; a signal stops it and frees
the port. The chat server's own parts: the browser cookie and the local PDF route."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO, free_port, wait_http

pytestmark = pytest.mark.slow
TINY_PDF = REPO / "tests" / "data" / "tiny.pdf"


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """An index of tests/data/tiny.pdf; yields (index dir, the PDF's doc_id)."""
    from citeqa.settings import get_settings
    from rag.pipeline import Pipeline

    root = tmp_path_factory.mktemp("ui-pdf")
    settings = get_settings(index_dir=root / "index", data_dir=root / "data")
    pipe = Pipeline(settings)
    report = pipe.ingest([TINY_PDF], progress=False)
    assert not report.failed, report.failed
    [doc] = pipe.documents()
    yield root / "index", str(doc["doc_id"])


def start_ui(index: Path, data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CITEQA_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "cli.main", "ui", "--index", str(index)]
    cmd += ["--port", str(port), "--host", "127.0.0.1"]
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_chat_and_frees_the_port(
    sig: signal.Signals, pdf_index: tuple[Path, str], isolated_data: Path
) -> None:
    port = free_port()
    proc = start_ui(pdf_index[0], isolated_data, port)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=120)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"streamlit" in cmdline, "citeqa ui should become the Streamlit server (exec)"
        proc.send_signal(sig)
        assert proc.wait(30) is not None
        deadline = time.monotonic() + 10
        while not port_free(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert port_free(port), f"port {port} still taken after {sig.name}"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        stop(proc)


def test_cookie_and_local_pdf_route(pdf_index: tuple[Path, str], isolated_data: Path) -> None:
    index, doc_id = pdf_index
    port = free_port()
    proc = start_ui(index, isolated_data, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/_stcore/health", timeout=120)
        first = httpx.get(base + "/")
        cookie = first.headers.get("set-cookie", "")
        assert cookie.startswith("citeqa_browser=") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        token = cookie.split(";")[0].split("=", 1)[1]
        assert len(token) >= 32
        again = httpx.get(base + "/", cookies={"citeqa_browser": token})
        assert "set-cookie" not in again.headers  # a known browser keeps its token
        pdf = httpx.get(f"{base}/citeqa/source/{doc_id}")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content == TINY_PDF.read_bytes()
        for bad in ("no-such-doc", "..%2F..%2Fetc%2Fpasswd", "../../pyproject.toml"):
            r = httpx.get(f"{base}/citeqa/source/{bad}")
            # refused (or the page itself, for a path the client normalised), never a file
            assert r.headers.get("content-type", "") != "application/pdf", bad
            assert b"%PDF" not in r.content and b"[project]" not in r.content, bad
    finally:
        stop(proc)
