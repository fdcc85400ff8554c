"""The first question after start-up: fresh processes over an existing index.

    citeqa eval startup --index DIR [--runs 3] [--json]
    python evals/startup.py --index DIR [--runs 3] [--json]   # the same, as a script

Each run is a new (spawned) Python process that opens the index and answers one question,
timed in parts: ``pipeline`` (build the pipeline and load both models, embedder and
cross-encoder, every session run once), ``index`` (the store version's BM25 index and the
answer path's per-version structures: ``retriever.snapshot()`` and ``answerer.understanding()``;
loaded from this host's saved index, or built when it has none, rag/host_index.py; older code
builds them from every chunk), ``first`` (the first answer then: it also loads what any first
question loads, word lists and caches), ``again`` (the same question once more) and ``total``
(from the start of the job to the first answer; Python's own start is before it). The first
run on a host without a saved host index builds it; ``--fresh`` deletes the saved one before
every run (a new host), to time that build.

``--server``: each process starts as ``citeqa serve`` does (``Pipeline.warm_up()``, its loads
overlapping), timed as ``ready``, then the user's first question (``first``) and ``total``.

``--update FILE...``: instead, a started host while FILEs are ingested into the store and
removed again: the time its index takes to catch up with each new version (only the changed
files' chunks are read), beside the ingest's own time. The store ends with what it had.

Only ``build_pipeline`` and ``answer`` are used, so the script runs unchanged over older code
(``PYTHONPATH=<old checkout> python evals/startup.py ...``) for a before/after figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

QUESTION = "What was the disease-free survival with blinatumomab?"


def startup_job(index: str, data_dir: str, question: str, chroma_url: str = "") -> dict[str, Any]:
    """One fresh process: times of the parts of the first question (see the module docstring)."""
    t0 = time.perf_counter()
    from citeqa.settings import get_settings
    from ingest.embedders import offline_env
    from rag.pipeline import build_pipeline

    offline_env()
    settings = get_settings(index_dir=Path(index), data_dir=Path(data_dir), chroma_url=chroma_url)
    pipe = build_pipeline(settings)
    warm = [f"warm-up {i}" for i in range(4)]  # every session of each model's pool
    pipe.embedder.embed_documents(warm)
    pipe.reranker.score("warm-up", warm)
    t1 = time.perf_counter()
    pipe.retriever.snapshot()  # BM25 and the per-version structures of the answer path
    pipe.answerer.understanding()
    t2 = time.perf_counter()
    first = pipe.answer(question)
    t3 = time.perf_counter()
    pipe.answer(question)
    t4 = time.perf_counter()
    ms = {
        "pipeline": (t1 - t0) * 1000,
        "index": (t2 - t1) * 1000,
        "first": (t3 - t2) * 1000,
        "again": (t4 - t3) * 1000,
        "total": (t3 - t0) * 1000,
    }
    out: dict[str, Any] = {k: round(v, 1) for k, v in ms.items()}
    out["chunks"] = pipe.store.count()
    out["first_timings_ms"] = dict(first.timings_ms)
    return out


def server_job(index: str, data_dir: str, question: str, chroma_url: str = "") -> dict[str, Any]:
    """One fresh process started as ``citeqa serve`` starts: ``ready`` (the pipeline built and
    ``Pipeline.warm_up()``: models, index structures and one warm-up question, the loads
    overlapping), then ``first`` (the user's first question), ``again`` and ``total``."""
    t0 = time.perf_counter()
    from citeqa.settings import get_settings
    from ingest.embedders import offline_env
    from rag.pipeline import build_pipeline

    offline_env()
    settings = get_settings(index_dir=Path(index), data_dir=Path(data_dir), chroma_url=chroma_url)
    pipe = build_pipeline(settings)
    pipe.warm_up()
    t1 = time.perf_counter()
    first = pipe.answer(question)
    t2 = time.perf_counter()
    pipe.answer(question)
    t3 = time.perf_counter()
    ms = {"ready": t1 - t0, "first": t2 - t1, "again": t3 - t2, "total": t2 - t0}
    out: dict[str, Any] = {k: round(v * 1000, 1) for k, v in ms.items()}
    out["chunks"] = pipe.store.count()
    out["first_timings_ms"] = dict(first.timings_ms)
    return out


def update_job(index: str, data_dir: str, paths: list[str]) -> dict[str, Any]:
    """A started host (its index loaded) while ``paths`` are ingested into the store and then
    removed again: how long bringing its index up to each new version takes (ms), beside the
    ingest itself. The store ends with what it had (under a new version)."""
    from citeqa.settings import get_settings
    from ingest.embedders import offline_env
    from ingest.pipeline import Ingestor
    from rag.pipeline import build_pipeline

    offline_env()
    pipe = build_pipeline(get_settings(index_dir=Path(index), data_dir=Path(data_dir)))
    t0 = time.perf_counter()
    pipe.retriever.snapshot()
    loaded = time.perf_counter() - t0
    rep = Ingestor(pipe.settings, store=pipe.store, embedder=pipe.embedder, progress=False).run(
        [Path(p) for p in paths]
    )
    t1 = time.perf_counter()
    pipe.retriever.snapshot()
    added = time.perf_counter() - t1
    for p in paths:
        pipe.store.delete_source(str(Path(p).resolve()))
    t2 = time.perf_counter()
    pipe.retriever.snapshot()
    removed = time.perf_counter() - t2
    return {
        "load_ms": round(loaded * 1000, 1),
        "ingest_ms": round(rep.seconds * 1000, 1),
        "new_chunks": rep.new_chunks,
        "update_after_add_ms": round(added * 1000, 1),
        "update_after_delete_ms": round(removed * 1000, 1),
        "chunks": pipe.store.count(),
    }


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of ``values`` (rounded to 0.1)."""
    return {
        "median": round(statistics.median(values), 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
    }


def run_startup(
    index: Path,
    data_dir: Path,
    runs: int = 3,
    fresh: bool = False,
    chroma_url: str = "",
    server: bool = False,
) -> dict[str, Any]:
    """``runs`` fresh processes over ``index``; per part: median, min and max (ms).
    ``server``: started as the API server starts (:func:`server_job`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    results = []
    for _ in range(runs):
        if fresh:
            shutil.rmtree(data_dir / "hostindex", ignore_errors=True)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            fn = server_job if server else startup_job
            job = pool.submit(fn, str(index), str(data_dir), QUESTION, chroma_url)
            results.append(job.result())
        print(f"startup run: {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    parts: tuple[str, ...] = ("ready",) if server else ("pipeline", "index")
    parts += ("first", "again", "total")
    return {
        "index": str(index),
        "chunks": results[-1]["chunks"],
        "runs": runs,
        "fresh": fresh,
        "server": server,
        **{p: spread([r[p] for r in results]) for p in parts},
        "each": results,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, required=True, help="Index directory (embedded Chroma).")
    p.add_argument("--data-dir", type=Path, default=Path(".citeqa"), help="Host index home.")
    p.add_argument("--chroma-url", default="", help="A Chroma server instead of --index.")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--fresh", action="store_true", help="Delete the saved host index first.")
    p.add_argument("--server", action="store_true", help="Start as the API server starts.")
    p.add_argument(
        "--update",
        nargs="+",
        type=Path,
        help="Then time the index updates for "
        "an ingest of these files and their removal (the store is left as it was).",
    )
    p.add_argument("--json", dest="as_json", action="store_true")
    a = p.parse_args(argv)
    if a.update:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        runs = []
        for _ in range(a.runs):
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                job = pool.submit(
                    update_job, str(a.index), str(a.data_dir), [str(x) for x in a.update]
                )
                runs.append(job.result())
            print(f"update run: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
        timed = ("load_ms", "update_after_add_ms", "update_after_delete_ms")
        print(json.dumps({"runs": runs, **{k: spread([r[k] for r in runs]) for k in timed}}))
        return 0
    res = run_startup(
        a.index, a.data_dir, a.runs, a.fresh, chroma_url=a.chroma_url, server=a.server
    )
    keys: tuple[str, ...] = ("total", "ready", "first")
    if not a.server:
        keys = ("total", "pipeline", "first", "index")
    line = ", ".join(f"{k} {res[k]['median']:.0f} ms" for k in keys)
    print(f"{res['chunks']} chunks, {a.runs} runs (medians): {line}", file=sys.stderr)
    if a.as_json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
