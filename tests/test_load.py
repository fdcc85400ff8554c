"""The load benchmark's pure parts (the live run is in tests/test_api.py)."""

from __future__ import annotations

import pytest

from evals.load import check_loopback, main, percentile, summarize


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0
    assert percentile([10.0, 20.0], 95) == pytest.approx(19.5)


def test_summarize_counts_and_rates() -> None:
    s = summarize([100.0, 200.0, 300.0], ["http 503", "http 503", "ReadTimeout"], 2.0)
    assert (s["requests"], s["ok"], s["errors"]) == (6, 3, 3)
    assert s["error_kinds"] == {"http 503": 2, "ReadTimeout": 1}
    assert s["requests_per_s"] == 3.0
    assert s["latency_ms"]["p50"] == 200.0 and s["latency_ms"]["max"] == 300.0


def test_summarize_with_nothing() -> None:
    s = summarize([], [], 0.0)
    assert s["requests"] == 0 and s["requests_per_s"] is None and s["latency_ms"]["p50"] is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost:1", "http://[::1]:80"])
def test_loopback_urls_are_accepted(url: str) -> None:
    assert not check_loopback(url).endswith("/")


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "https://example.org", "ftp://127.0.0.1"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_loopback(url)


def test_cli_reports_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--url", "http://192.0.2.1:8000", "--seconds", "1"]) == 2
    assert "loopback" in capsys.readouterr().err
