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


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """URL of a fresh Chroma server (data under tmp_path/srv), stopped after the test."""
    port = free_port()
    proc = start_chroma(tmp_path / "srv", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
