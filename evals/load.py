"""Load benchmark of a running `citeqa serve`: many concurrent clients asking questions.

    python -m evals.load --url http://127.0.0.1:8000 --clients 32 --seconds 60 [--json]

Each of ``clients`` async httpx clients posts ``/v1/ask`` in a loop until ``seconds`` have passed
(or ``max_requests`` requests were sent). Requests still in flight at the deadline complete and
count. Prints requests/s, latency p50/p95/p99 and the error count; with ``--json`` one JSON
object last. Only loopback URLs are accepted (the benchmark never leaves the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from evals.metrics import percentile_or_none as percentile


def default_questions() -> tuple[str, ...]:
    """The domain profile's load questions (clients cycle through them)."""
    from citeqa.domain import load_profile
    from citeqa.settings import get_settings

    return load_profile(get_settings().profile).texts.load_questions


MAX_REQUESTS = 100_000
TIMEOUT_S = 600.0


def summarize(
    latencies_ms: Sequence[float], failures: Sequence[str], elapsed_s: float
) -> dict[str, Any]:
    """Figures of a run: ``latencies_ms`` of successful requests, ``failures`` one label each."""
    total = len(latencies_ms) + len(failures)

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {
        "requests": total,
        "ok": len(latencies_ms),
        "errors": len(failures),
        "error_kinds": dict(Counter(failures)),
        "elapsed_s": round(elapsed_s, 2),
        "requests_per_s": round(total / elapsed_s, 2) if elapsed_s > 0 else None,
        "latency_ms": {
            "p50": r(percentile(latencies_ms, 50)),
            "p95": r(percentile(latencies_ms, 95)),
            "p99": r(percentile(latencies_ms, 99)),
            "mean": r(sum(latencies_ms) / len(latencies_ms)) if latencies_ms else None,
            "max": r(max(latencies_ms)) if latencies_ms else None,
        },
    }


def check_loopback(url: str) -> str:
    """The URL without a trailing slash; ValueError unless it points at this machine."""
    u = urlparse(url)
    host = u.hostname or ""
    if u.scheme not in ("http", "https") or not host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the load benchmark only targets loopback servers, not {host}")
    return url.rstrip("/")


async def _client(
    http: Any,
    deadline: float,
    bodies: list[dict[str, Any]],
    budget: list[int],
    out: dict[str, list[Any]],
    start: int,
) -> None:
    import httpx

    i = start % len(bodies)  # clients start at different questions
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        body, i = bodies[i], (i + 1) % len(bodies)
        t0 = time.perf_counter()
        try:
            resp = await http.post("/v1/ask", json=body)
            ms = (time.perf_counter() - t0) * 1000
            ok = resp.status_code == 200 and bool(resp.json().get("answer"))
            out["ok" if ok else "fail"].append(ms if ok else f"http {resp.status_code}")
        except (httpx.HTTPError, ValueError) as exc:
            out["fail"].append(type(exc).__name__)


@dataclass(frozen=True)
class LoadPlan:
    """One load run: ``clients`` clients ask ``questions`` (cycling; empty: the domain profile's
    load questions) of the `citeqa serve` at ``url`` for ``seconds`` or ``max_requests``
    requests. ``timeout_s``: seconds a client waits for one answer before counting it as an
    error (ReadTimeout). Raises ValueError for values out of range or a non-loopback URL."""

    url: str
    clients: int = 32
    seconds: float = 60
    questions: tuple[str, ...] = ()
    audience: str = "clinician"
    api_key: str | None = None
    max_requests: int = MAX_REQUESTS
    timeout_s: float = TIMEOUT_S
    replicas: tuple[str, ...] = ()  # more servers of the same deployment: clients take turns

    def __post_init__(self) -> None:
        if not 1 <= self.clients <= 1024:
            raise ValueError("clients must be between 1 and 1024")
        if not 0 < self.seconds <= 3600:
            raise ValueError("seconds must be in (0, 3600]")
        object.__setattr__(self, "url", check_loopback(self.url))
        object.__setattr__(self, "replicas", tuple(check_loopback(u) for u in self.replicas))
        if not self.questions:
            object.__setattr__(self, "questions", tuple(default_questions()))
        if not self.questions or not all(q.strip() for q in self.questions):
            raise ValueError("at least one non-empty question is needed")


def client_targets(plan: LoadPlan) -> list[str]:
    """The server each client asks, by client number: client k asks server k mod n of
    ``(plan.url, *plan.replicas)``, so the clients spread evenly over the replicas."""
    urls = (plan.url, *plan.replicas)
    return [urls[k % len(urls)] for k in range(plan.clients)]


async def _run(plan: LoadPlan) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {plan.api_key}"} if plan.api_key else {}
    bodies = [{"question": q, "audience": plan.audience} for q in plan.questions]
    limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients)
    timeout = httpx.Timeout(plan.timeout_s, connect=10.0)
    urls = (plan.url, *plan.replicas)
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=u, headers=headers, limits=limits, timeout=timeout)
            )
            for u in urls
        ]
        for u, http in zip(urls, https, strict=True):
            health = await http.get("/healthz")
            if health.status_code != 200:
                raise RuntimeError(f"{u}/healthz answered {health.status_code}: {health.text}")
        out: dict[str, list[Any]] = {"ok": [], "fail": []}
        budget = [plan.max_requests]
        t0 = time.monotonic()
        deadline = t0 + plan.seconds
        by_url = dict(zip(urls, https, strict=True))
        await asyncio.gather(
            *(
                _client(by_url[u], deadline, bodies, budget, out, k)
                for k, u in enumerate(client_targets(plan))
            )
        )
        elapsed = time.monotonic() - t0
    return summarize(out["ok"], out["fail"], elapsed)


def run_load(plan: LoadPlan, as_json: bool = False) -> dict[str, Any]:
    """Run ``plan`` against its `citeqa serve`; print and return the figures: url, clients,
    seconds, questions, timeout_s, requests, ok, errors, error_kinds, elapsed_s,
    requests_per_s, latency_ms (p50/p95/p99/mean/max). One line on stdout (stderr with
    ``as_json``, then the JSON object on stdout)."""
    result = {
        "url": plan.url,
        "replicas": 1 + len(plan.replicas),
        "clients": plan.clients,
        "seconds": plan.seconds,
        "questions": len(plan.questions),
        "timeout_s": plan.timeout_s,
        **asyncio.run(_run(plan)),
    }
    lat = result["latency_ms"]
    print(
        f"{result['requests']} requests in {result['elapsed_s']} s from {plan.clients} clients: "
        f"{result['requests_per_s']} req/s; latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
        f"p99 {lat['p99']} ms; {result['errors']} errors {result['error_kinds'] or ''}".rstrip(),
        file=sys.stderr if as_json else sys.stdout,
    )
    if as_json:
        print(json.dumps(result))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__.split("\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="Base URL of `citeqa serve`.")
    p.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    p.add_argument("--seconds", type=float, default=60, help="Duration of the run.")
    p.add_argument(
        "--question",
        action="append",
        help="A question (repeat for several; default: six questions about the shipped corpus).",
    )
    p.add_argument("--timeout", type=float, default=TIMEOUT_S, help="Seconds per request.")
    p.add_argument("--audience", default="clinician", choices=["clinician", "family"])
    p.add_argument("--api-key", default=None, help="Bearer key (or set CITEQA_API_KEY).")
    p.add_argument("--max-requests", type=int, default=MAX_REQUESTS, help="Stop after this many.")
    p.add_argument(
        "--json", dest="as_json", action="store_true", help="Print one JSON object last."
    )
    a = p.parse_args(argv)
    import os

    key = a.api_key or os.environ.get("CITEQA_API_KEY") or None
    try:
        plan = LoadPlan(
            a.url,
            a.clients,
            a.seconds,
            tuple(a.question or ()),
            a.audience,
            key,
            a.max_requests,
            a.timeout,
        )
        res = run_load(plan, a.as_json)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 2
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
