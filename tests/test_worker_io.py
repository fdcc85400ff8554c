"""The parse worker's framing over pipes (ingest/worker.py ``_send``/``_recv``); no models."""

from __future__ import annotations

import fcntl
import os
import resource
import time
from collections.abc import Iterator

import pytest

from ingest.worker import _recv, _send

HIGH_FD = 1100  # above select()'s FD_SETSIZE of 1024


@pytest.fixture
def high_pipe() -> Iterator[tuple[int, int]]:
    """A pipe whose read end is numbered 1100 or more, as in a process with many files open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= HIGH_FD + 64:
        if hard != resource.RLIM_INFINITY and hard <= HIGH_FD + 64:
            pytest.skip(f"the open-file limit ({hard}) is below descriptor {HIGH_FD}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (HIGH_FD + 64, hard))
    r, w = os.pipe()
    high = fcntl.fcntl(r, fcntl.F_DUPFD, HIGH_FD)  # the lowest free one from 1100: none taken
    os.close(r)
    try:
        yield high, w
    finally:
        os.close(high)
        os.close(w)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_frame_is_read_from_a_descriptor_above_1024(high_pipe: tuple[int, int]) -> None:
    """select() raised "filedescriptor out of range" here, failing every ingest of a test
    process that had opened many files (CI, 2026-11-30)."""
    r, w = high_pipe
    _send(w, b"ready")
    assert _recv(r, time.monotonic() + 5) == b"ready"


def test_no_frame_by_the_deadline_is_a_timeout(high_pipe: tuple[int, int]) -> None:
    r, _ = high_pipe
    with pytest.raises(TimeoutError):
        _recv(r, time.monotonic() + 0.05)
