"""Retrieval at scale: a store of N chunks tiled from a real BEIR corpus, and what retrieval
costs over it.

    citeqa eval scale ../shared/benchmarks/scifact --chunks 1000000 [--json]

The chunks are **tiled**: the corpus (SciFact, 5,183 abstracts, about 12k chunks) is ingested by
our pipeline once (the same index ``citeqa eval beir`` uses), then copied ``ceil(N / chunks)``
times into a new store until it holds N chunks. Each copy keeps the chunk's real text and
metadata under a new chunk id and doc id (``<doc>~t<copy>``), and its real embedding plus small
seeded Gaussian noise (sigma 0.01 per dimension, then normalised to length 1; tile 0 keeps the
exact vectors). Copies are written per 2,000 chunks as one source file each. So dense
neighbourhoods and BM25 postings grow as in a corpus N/12k times larger, but the texts repeat:
BM25 scores many copies equally, and quality figures mean nothing here (speed and memory only).

Then, each in a fresh process: this host's index of the store is built from scratch (timed),
a restart loads it (timed), and the SciFact train queries are retrieved (BM25, dense, hybrid;
three passes) with per-stage p50/p95 and the process's peak memory. Run it at 10k and at 1M
chunks for the ratio of the hybrid p50s.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from citeqa.settings import Settings
from evals.bench import in_fresh_process, peak_rss_mb
from evals.metrics import percentile

NOISE = 0.01
PER_SOURCE = 2000
MODES = ("bm25", "dense", "hybrid")


def source_rows(settings: Settings) -> tuple[list[Any], Any]:
    """Every chunk of the BEIR index with its embedding (store order)."""
    import numpy as np

    from citeqa.models import Chunk
    from ingest.store import ChromaStore

    store = ChromaStore(settings)
    chunks, vecs, offset = [], [], 0
    while True:
        got = store.col.get(
            limit=2000, offset=offset, include=["documents", "metadatas", "embeddings"]
        )
        if not got["ids"]:
            break
        docs, mds = got["documents"] or [], got["metadatas"] or []
        embs = got["embeddings"] if got["embeddings"] is not None else []
        for cid, text, md, v in zip(got["ids"], docs, mds, embs, strict=True):
            chunks.append(Chunk.from_store(cid, text or "", dict(md or {})))
            vecs.append(np.asarray(v, dtype=np.float32))
        offset += len(got["ids"])
    return chunks, np.stack(vecs)


def tile(chunks: list[Any], vecs: Any, t: int, rng: Any) -> tuple[list[Any], Any]:
    """Copy ``t`` of the chunks (new ids, ``~t<t>`` doc ids) and of their vectors (+ noise)."""
    import numpy as np

    from citeqa.models import content_hash

    out = []
    for c in chunks:
        doc = f"{c.doc_id}~t{t}"
        meta = dataclasses.replace(c.meta, doc_id=doc)
        cid = content_hash(f"{c.chunk_id}:{t}", length=32)
        out.append(dataclasses.replace(c, chunk_id=cid, doc_id=doc, meta=meta))
    if t == 0:
        return out, vecs
    v = vecs + rng.normal(0.0, NOISE, size=vecs.shape).astype(np.float32)
    return out, v / np.linalg.norm(v, axis=1, keepdims=True)


def build_store(settings: Settings, chunks: list[Any], vecs: Any, n: int) -> dict[str, Any]:
    """Write ``n`` tiled chunks into ``settings``' (new) store; its figures."""
    import numpy as np

    from citeqa.protocols import SourceWrite
    from ingest.store import ChromaStore

    store = ChromaStore(settings)
    rng = np.random.default_rng(0)
    t0, written = time.perf_counter(), 0
    for t in range(math.ceil(n / len(chunks))):
        cs, vs = tile(chunks, vecs, t, rng)
        cs, vs = cs[: n - written], vs[: n - written]
        for i in range(0, len(cs), PER_SOURCE):
            key = f"scale://tile-{t:04d}/part-{i // PER_SOURCE:03d}"
            part = cs[i : i + PER_SOURCE]
            store.replace_sources([SourceWrite(key, key, part, vs[i : i + PER_SOURCE], "tiled")])
        written += len(cs)
        print(f"  {written} chunks written ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    return {"chunks": store.count(), "write_s": round(time.perf_counter() - t0, 1)}


def host_job(settings: Settings) -> dict[str, Any]:
    """Bring up this host's index of the store (built, or loaded when saved); seconds, memory."""
    from rag.pipeline import build_pipeline

    t0 = time.perf_counter()
    snap = build_pipeline(settings).retriever.snapshot()
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "rows": snap.state.n_rows,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def query_job(settings: Settings, queries: list[str], passes: int = 3) -> dict[str, Any]:
    """Retrieval latency per mode (p50/p95 of each pass, ms) and the process's peak memory."""
    from rag.pipeline import build_pipeline

    t0 = time.perf_counter()
    r = build_pipeline(settings).retriever
    r.snapshot()
    load_s = time.perf_counter() - t0
    r.embedder.embed_query("warm-up")
    k = settings.answer.passages
    out: dict[str, Any] = {"load_s": round(load_s, 2)}
    for mode in MODES:
        per_pass = []
        for _ in range(passes):
            ms = []
            for q in queries:
                t = time.perf_counter()
                r.retrieve(q, k=k, mode=mode)
                ms.append((time.perf_counter() - t) * 1000)
            per_pass.append(
                {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1)}
            )
        out[mode] = per_pass
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def run_scale(
    directory: Path, n: int, settings: Settings, work: Path, n_queries: int = 200
) -> dict[str, Any]:
    """See the module docstring. ``work`` holds the tiled store and its host index."""
    from evals.beir import beir_settings, ensure_index, load_queries

    bs = beir_settings(settings, directory)
    ensure_index(bs, directory / "corpus.jsonl")
    chunks, vecs = source_rows(bs)
    target = settings.model_copy(
        update={"index_dir": work / f"store-{n}", "data_dir": work / f"host-{n}", "chroma_url": ""}
    )
    res: dict[str, Any] = {"source_chunks": len(chunks), "noise_sigma": NOISE}
    if not (work / f"store-{n}").exists():
        res["store"] = build_store(target, chunks, vecs, n)
    res["host_build"] = in_fresh_process(host_job, target)
    res["host_restart"] = in_fresh_process(host_job, target)
    queries = list(load_queries(directory / "queries.jsonl").values())[:n_queries]
    res["queries"] = in_fresh_process(query_job, target, queries)
    res["chunks"] = res["host_build"]["rows"]
    return res


def main(argv: list[str] | None = None) -> int:
    import argparse

    from citeqa.settings import get_settings
    from ingest.embedders import offline_env

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("directory", type=Path, help="BEIR dataset folder (SciFact).")
    p.add_argument("--chunks", type=int, default=1_000_000)
    p.add_argument("--work", type=Path, default=Path(".citeqa/scale"))
    p.add_argument("--json", dest="as_json", action="store_true")
    a = p.parse_args(argv)
    offline_env()
    res = run_scale(a.directory, a.chunks, get_settings(), a.work)
    print(json.dumps(res, indent=None if a.as_json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
