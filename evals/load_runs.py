"""Load runs: one and two replicas of `citeqa serve` over one `chroma run`, under
``citeqa eval load`` (32 clients, 60 s, 3 runs each), on this machine.

    citeqa eval load-runs corpus [--replicas 1,2] [--clients 32] [--seconds 60] \\
        [--runs 3] [--warmup 15] [--alone 10] [--no-cache] [--json]

(or ``python -m evals.load_runs``, the same options).

A Chroma server is started on a free port with its data in a temporary folder, ``corpus`` is
ingested into it (``citeqa ingest`` with CITEQA_CHROMA_URL), then for each replica count that
many ``citeqa serve`` processes start (each with its own data dir: no shared disk but the Chroma
server) and the load clients are spread over them (client k asks replica k mod n). After an
unmeasured warm-up (``--warmup`` seconds of the same load: first answers, caches), each run
reports requests/s, latency p50/p95/p99 and errors (``evals.load``); the summary gives the
median, min and max over the runs. ``--no-cache`` turns the cross-encoder's logit cache off in
the servers (CITEQA_RETRIEVAL__RERANK_CACHE=0): the clients cycle through the domain profile's
few load questions, which the cache would otherwise answer after their first round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.load import LoadPlan, run_load

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def citeqa_cmd(*args: str) -> list[str]:
    """This checkout's ``citeqa`` command (the interpreter running this module)."""
    code = "import sys; from cli.main import main; sys.argv[0] = 'citeqa'; main()"
    return [sys.executable, "-c", code, *args]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


@contextlib.contextmanager
def started(cmd: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        try:
            wait_http(ready_url, proc)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def servers(n: int, base_env: dict[str, str], work: Path) -> contextlib.ExitStack:
    """``n`` `citeqa serve` processes (ready on return); their URLs in ``stack.urls``."""
    stack = contextlib.ExitStack()
    urls = []
    for i in range(n):
        port = free_port()
        env = {**base_env, "CITEQA_DATA_DIR": str(work / f"replica-{n}-{i}")}
        cmd = citeqa_cmd("serve", "--host", "127.0.0.1", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        stack.enter_context(started(cmd, env, f"{url}/healthz", work / f"serve-{n}-{i}.log"))
        print(f"replica {i + 1}/{n} ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        urls.append(url)
    stack.urls = urls  # type: ignore[attr-defined]
    return stack


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def replica_plan(urls: list[str], seconds: float, clients: int) -> LoadPlan:
    """One load run over every replica in ``urls`` (clients take turns: k mod n)."""
    return LoadPlan(urls[0], clients, seconds, replicas=tuple(urls[1:]))


def summarize_runs(runs: list[dict[str, Any]], alone_p50_ms: float | None) -> dict[str, Any]:
    """Median, min and max over ``runs`` (``run_load`` results) of requests/s, p50, p95 and
    p99; the errors summed. Queueing: ``in_flight`` = requests/s x mean latency (Little's law:
    about the client count when every client always waits for an answer), ``p95_over_p50``,
    and ``wait_ms`` = p50 - ``alone_p50_ms`` (the p50 of one client alone: the time a
    request spends waiting for a free slot rather than being answered)."""
    lat = [r["latency_ms"] for r in runs]
    out: dict[str, Any] = {
        "runs": runs,
        "requests_per_s": spread([r["requests_per_s"] for r in runs]),
        "p50_ms": spread([x["p50"] for x in lat]),
        "p95_ms": spread([x["p95"] for x in lat]),
        "p99_ms": spread([x["p99"] for x in lat]),
        "errors": sum(r["errors"] for r in runs),
        "in_flight": spread(
            [
                round(r["requests_per_s"] * x["mean"] / 1000, 1)
                for r, x in zip(runs, lat, strict=True)
            ]
        ),
        "p95_over_p50": spread([round(x["p95"] / x["p50"], 2) for x in lat]),
        "alone_p50_ms": alone_p50_ms,
    }
    if alone_p50_ms is not None:
        out["wait_ms"] = spread([round(x["p50"] - alone_p50_ms, 1) for x in lat])
    return out


def measure(urls: list[str], plan: dict[str, Any]) -> dict[str, Any]:
    """Warm-up (not measured), one client alone for ``plan['alone']`` seconds, then the
    measured runs against the replicas at ``urls``."""
    if plan["warmup"] > 0:  # first answers, caches
        run_load(replica_plan(urls, plan["warmup"], plan["clients"]), as_json=True)
    alone = None
    if plan["alone"] > 0:
        one = run_load(replica_plan(urls, plan["alone"], 1), as_json=True)
        alone = one["latency_ms"]["p50"]
    runs = [
        run_load(replica_plan(urls, plan["seconds"], plan["clients"]), as_json=True)
        for _ in range(plan["runs"])
    ]
    return summarize_runs(runs, alone)


def load_runs(
    corpus: Path, replicas: list[int], plan: dict[str, Any], work: Path
) -> dict[str, Any]:
    """See the module docstring; ``plan``: clients, seconds, runs, cache, warmup, alone."""
    port = free_port()
    chroma_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CITEQA_CHROMA_URL": chroma_url, "PYTHONPATH": str(REPO)}
    env.pop("CITEQA_INDEX_DIR", None)
    if not plan["cache"]:
        env["CITEQA_RETRIEVAL__RERANK_CACHE"] = "0"
    chroma = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(work / "chroma")]
    chroma += ["--host", "127.0.0.1", "--port", str(port)]
    out: dict[str, Any] = {k: plan[k] for k in ("clients", "seconds", "cache", "warmup", "alone")}
    with started(chroma, env, f"{chroma_url}/api/v2/heartbeat", work / "chroma.log"):
        ing = env | {"CITEQA_DATA_DIR": str(work / "ingest")}
        subprocess.run(
            citeqa_cmd("ingest", str(corpus), "--no-progress"), env=ing, cwd=REPO, check=True
        )
        for n in replicas:
            with servers(n, env, work) as stack:
                out[f"replicas_{n}"] = measure(stack.urls, plan)  # type: ignore[attr-defined]
    return out


def summary_lines(res: dict[str, Any]) -> list[str]:
    """One line per replica count: medians (min-max) of the runs."""

    def f(v: dict[str, float], unit: str = "") -> str:
        return f"{v['median']:.1f}{unit} ({v['min']:.1f}-{v['max']:.1f})"

    lines = []
    for key, v in res.items():
        if key.startswith("replicas_"):
            wait = f", wait {f(v['wait_ms'], ' ms')}" if "wait_ms" in v else ""
            lines.append(
                f"{key}: {f(v['requests_per_s'], ' req/s')}, p50 {f(v['p50_ms'], ' ms')}, "
                f"p95 {f(v['p95_ms'], ' ms')}, {v['errors']} errors; alone p50 "
                f"{v['alone_p50_ms']} ms{wait}, in flight {f(v['in_flight'])}"
            )
    return lines


def main(argv: list[str] | None = None, prog: str = "python -m evals.load_runs") -> int:
    p = argparse.ArgumentParser(prog=prog, description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("corpus", type=Path, help="Files or folder to ingest (e.g. corpus).")
    p.add_argument("--replicas", default="1,2", help="Replica counts, comma-separated.")
    p.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    p.add_argument("--seconds", type=float, default=60, help="Length of each measured run.")
    p.add_argument("--runs", type=int, default=3, help="Measured runs per replica count.")
    p.add_argument("--warmup", type=float, default=15, help="Unmeasured load first (seconds).")
    p.add_argument(
        "--alone", type=float, default=10, help="One client alone first (seconds; 0: skip)."
    )
    p.add_argument(
        "--no-cache", dest="cache", action="store_false", help="Cross-encoder cache off."
    )
    p.add_argument("--json", dest="as_json", action="store_true", help="Compact JSON last.")
    a = p.parse_args(argv)
    plan = {"clients": a.clients, "seconds": a.seconds, "runs": a.runs, "cache": a.cache}
    plan["warmup"], plan["alone"] = a.warmup, a.alone
    with tempfile.TemporaryDirectory(prefix="citeqa-load-") as tmp:
        res = load_runs(
            a.corpus.resolve(), [int(x) for x in a.replicas.split(",")], plan, Path(tmp)
        )
    for line in summary_lines(res):
        print(line, file=sys.stderr)
    print(json.dumps(res, indent=None if a.as_json else 2))
    return 1 if any(v["errors"] for k, v in res.items() if k.startswith("replicas_")) else 0


if __name__ == "__main__":
    raise SystemExit(main())
