"""Load runs: one and two replicas of `citeqa serve` over one `chroma run`, under
``citeqa eval load`` (32 clients, 60 s, 3 runs each), on this machine.

    python -m evals.load_runs corpus [--replicas 1,2] [--clients 32] [--seconds 60] \\
        [--runs 3] [--no-cache] [--json]

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


def load_runs(
    corpus: Path, replicas: list[int], plan: dict[str, Any], work: Path
) -> dict[str, Any]:
    """See the module docstring; ``plan``: clients, seconds, runs, cache."""
    port = free_port()
    chroma_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CITEQA_CHROMA_URL": chroma_url, "PYTHONPATH": str(REPO)}
    env.pop("CITEQA_INDEX_DIR", None)
    if not plan["cache"]:
        env["CITEQA_RETRIEVAL__RERANK_CACHE"] = "0"
    chroma = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(work / "chroma")]
    chroma += ["--host", "127.0.0.1", "--port", str(port)]
    out: dict[str, Any] = {
        "clients": plan["clients"],
        "seconds": plan["seconds"],
        "cache": plan["cache"],
    }
    with started(chroma, env, f"{chroma_url}/api/v2/heartbeat", work / "chroma.log"):
        ing = env | {"CITEQA_DATA_DIR": str(work / "ingest")}
        subprocess.run(
            citeqa_cmd("ingest", str(corpus), "--no-progress"), env=ing, cwd=REPO, check=True
        )
        for n in replicas:
            with servers(n, env, work) as stack:
                urls = stack.urls  # type: ignore[attr-defined]
                if plan["warmup"] > 0:  # not measured: first answers, caches
                    warm = LoadPlan(
                        urls[0], plan["clients"], plan["warmup"], replicas=tuple(urls[1:])
                    )
                    run_load(warm, as_json=True)
                runs = []
                for _ in range(plan["runs"]):
                    lp = LoadPlan(
                        urls[0], plan["clients"], plan["seconds"], replicas=tuple(urls[1:])
                    )
                    runs.append(run_load(lp, as_json=True))
                out[f"replicas_{n}"] = {
                    "runs": runs,
                    "requests_per_s": spread([r["requests_per_s"] for r in runs]),
                    "p50_ms": spread([r["latency_ms"]["p50"] for r in runs]),
                    "p95_ms": spread([r["latency_ms"]["p95"] for r in runs]),
                    "errors": sum(r["errors"] for r in runs),
                }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus", type=Path)
    p.add_argument("--replicas", default="1,2")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=float, default=15, help="Unmeasured load first (seconds).")
    p.add_argument("--no-cache", dest="cache", action="store_false")
    p.add_argument("--json", dest="as_json", action="store_true")
    a = p.parse_args(argv)
    plan = {"clients": a.clients, "seconds": a.seconds, "runs": a.runs, "cache": a.cache}
    plan["warmup"] = a.warmup
    with tempfile.TemporaryDirectory(prefix="citeqa-load-") as tmp:
        res = load_runs(
            a.corpus.resolve(), [int(x) for x in a.replicas.split(",")], plan, Path(tmp)
        )
    for key, v in res.items():
        if key.startswith("replicas_"):
            print(
                f"{key}: {v['requests_per_s']['median']:.2f} req/s, p50 {v['p50_ms']['median']:.0f} ms, "
                f"p95 {v['p95_ms']['median']:.0f} ms, {v['errors']} errors",
                file=sys.stderr,
            )
    print(json.dumps(res, indent=None if a.as_json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
