"""A Chroma server on loopback for tests (import the fixture into a test module)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import BIN, free_port, wait_http


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port with data in ``path``; returns once it answers."""
    proc = subprocess.Popen(
        [
            str(BIN / "chroma"),
            "run",
            "--path",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def _serve(path: Path) -> Iterator[str]:
    port = free_port()
    proc = start_chroma(path, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """URL of a fresh Chroma server (data under tmp_path/srv), stopped after the test."""
    yield from _serve(tmp_path / "srv")


@pytest.fixture(scope="module")
def chroma_server_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Chroma server shared by the tests of one module (each test must clear what it
    uses: see tests/test_store_contract.py), stopped after the module."""
    yield from _serve(tmp_path_factory.mktemp("chroma-srv"))
