"""The load benchmark's pure parts (the live run is in tests/test_api.py)."""

from __future__ import annotations

from typing import Any

import pytest

from evals.load import LoadPlan, check_loopback, client_targets, main, percentile, summarize
from evals.load_runs import replica_plan, summarize_runs


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


def test_clients_take_turns_over_the_replicas() -> None:
    plan = LoadPlan(
        "http://127.0.0.1:1/",
        clients=5,
        questions=("q",),
        replicas=("http://127.0.0.1:2", "http://localhost:3/"),
    )
    assert plan.url == "http://127.0.0.1:1" and plan.replicas[1] == "http://localhost:3"
    a, b, c = "http://127.0.0.1:1", "http://127.0.0.1:2", "http://localhost:3"
    assert client_targets(plan) == [a, b, c, a, b]
    assert client_targets(LoadPlan(a, clients=3, questions=("q",))) == [a, a, a]


def test_a_replica_off_the_machine_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoadPlan("http://127.0.0.1:1", questions=("q",), replicas=("http://10.1.2.3:8000",))


def test_replica_plan_spreads_every_client_over_every_replica() -> None:
    urls = ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    plan = replica_plan(urls, seconds=60, clients=32)
    assert (plan.url, plan.replicas, plan.seconds, plan.clients) == (urls[0], (urls[1],), 60, 32)
    assert client_targets(plan).count(urls[1]) == 16


def run(rps: float, p50: float, p95: float, mean: float, errors: int = 0) -> dict[str, Any]:
    lat = {"p50": p50, "p95": p95, "p99": p95 + 10, "mean": mean}
    return {"requests_per_s": rps, "latency_ms": lat, "errors": errors}


def test_summarize_runs_gives_median_min_max_and_the_queue() -> None:
    runs = [run(30.0, 1000, 1200, 1050), run(32.0, 950, 1100, 1000, 2), run(28.0, 1100, 1300, 1150)]
    s = summarize_runs(runs, alone_p50_ms=250.0)
    assert s["requests_per_s"] == {"median": 30.0, "min": 28.0, "max": 32.0}
    assert s["p50_ms"] == {"median": 1000, "min": 950, "max": 1100}
    assert s["p95_ms"]["median"] == 1200 and s["errors"] == 2
    # Little's law: 30 req/s x 1.05 s = 31.5 requests in the system
    assert s["in_flight"] == {"median": 32.0, "min": 31.5, "max": 32.2}
    assert s["wait_ms"] == {"median": 750.0, "min": 700.0, "max": 850.0}
    assert s["p95_over_p50"]["median"] == 1.18
    assert "wait_ms" not in summarize_runs(runs, alone_p50_ms=None)


def test_citeqa_eval_load_runs_hands_its_options_to_evals_load_runs() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    res = CliRunner().invoke(app, ["eval", "load-runs", "--help"])
    assert res.exit_code == 0, res.output
    assert "usage: citeqa eval load-runs" in res.output and "--alone" in res.output
    res = CliRunner().invoke(app, ["eval", "load-runs", "corpus", "--replicas"])
    assert res.exit_code == 2  # argparse: --replicas needs a value
