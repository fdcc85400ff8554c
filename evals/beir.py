"""``citeqa eval beir``: retrieval quality and latency on a BEIR-layout dataset.

Layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
``qrels/<split>.tsv`` (header ``query-id corpus-id score``, tab-separated, any line ends).

The corpus is ingested by our own pipeline into a dedicated index under
``<data_dir>/beir/<dataset>-<hash>`` (never the main index; reused across runs, the ingest is
incremental). Chunk rankings are turned into document rankings (a document takes the position
of its best chunk) and scored with nDCG@10, recall@100 and MRR@10; latency is the wall time of
one ``HybridRetriever.retrieve`` call per query (models and the BM25 index warmed up first).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from citeqa.models import content_hash
from citeqa.settings import Settings
from evals.metrics import evaluate, percentile

DOCS_AT = 100  # documents ranked per query (recall@100)
CHUNK_SLACK = 1.5  # chunks fetched per expected chunk of the top documents


class BeirDataError(ValueError):
    """The dataset folder is incomplete or malformed."""


def dataset_id(directory: Path) -> str:
    d = directory.resolve()
    return f"{d.name}-{content_hash(str(d), length=8)}"


def beir_settings(settings: Settings, directory: Path) -> Settings:
    """``settings`` with the index moved to the dataset's own embedded Chroma directory."""
    index = settings.data_dir / "beir" / dataset_id(directory)
    return settings.model_copy(update={"index_dir": index, "chroma_url": ""})


def load_queries(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            out[str(obj["_id"])] = str(obj["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise BeirDataError(f"{path}: line {n}: not a query object ({exc})") from None
    return out


def parse_qrels(text: str) -> dict[str, dict[str, int]]:
    """qrels TSV (optional header, CRLF or LF) -> {query id: {doc id: score}}."""
    out: dict[str, dict[str, int]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.strip().split("\t")
        if not line.strip() or (n == 1 and parts[0] == "query-id"):
            continue
        if len(parts) != 3:
            raise BeirDataError(f"qrels line {n}: expected 3 tab-separated fields")
        try:
            score = int(float(parts[2]))
        except ValueError:
            raise BeirDataError(f"qrels line {n}: score {parts[2]!r} is not a number") from None
        out.setdefault(parts[0], {})[parts[1]] = score
    return out


def by_document(doc_ids: Sequence[str], k: int = DOCS_AT) -> list[str]:
    """Document ranking from a chunk ranking: each document at the rank of its best chunk."""
    seen: dict[str, None] = {}
    for d in doc_ids:
        if d not in seen:
            seen[d] = None
            if len(seen) >= k:
                break
    return list(seen)


def ensure_index(settings: Settings, corpus: Path) -> tuple[Any, dict[str, Any]]:
    """Ingest ``corpus`` into ``settings``' index (unchanged files are skipped).

    Returns the store and a short report (chunks, documents, new chunks, seconds).
    """
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(settings)
    store = pipe.store
    rep = pipe.ingest([corpus])
    if rep.failed:
        raise BeirDataError(f"ingest of {corpus} failed: {rep.failed[0]['error']}")
    entry = store.manifest().get(str(corpus.resolve()))
    docs = entry.n_docs if entry is not None else 0
    info = {
        "chunks": rep.chunks_total,
        "docs": docs,
        "new_chunks": rep.new_chunks,
        "ingest_s": round(rep.seconds, 2),
    }
    return store, info


def chunk_depth(chunks: int, docs: int, k_docs: int = DOCS_AT) -> int:
    """Chunks to fetch so that about ``k_docs`` distinct documents come back."""
    ratio = chunks / docs if docs else 1.0
    return max(k_docs, min(2000, math.ceil(k_docs * max(ratio, 1.0) * CHUNK_SLACK)))


def read_split(directory: Path, split: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries and qrels of ``split``; exits with code 2 when the split has no qrels."""
    qrels_path = directory / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        print(
            f"citeqa: no relevance judgements for split {split!r}: {qrels_path} does not exist "
            "(held-back test judgements are not distributed); try --split train",
            file=sys.stderr,
        )
        raise SystemExit(2)
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (directory / name).is_file():
            raise BeirDataError(f"{directory / name} is missing (not a BEIR dataset folder?)")
    qrels = parse_qrels(qrels_path.read_text(encoding="utf-8"))
    queries = load_queries(directory / "queries.jsonl")
    missing = [q for q in qrels if q not in queries]
    if missing:
        print(f"warning: {len(missing)} judged queries have no text; skipped", file=sys.stderr)
    return {q: queries[q] for q in qrels if q in queries}, qrels


def run_queries(
    retriever: Any, queries: dict[str, str], mode: str, depth: int
) -> tuple[dict[str, list[str]], list[float], dict[str, list[float]]]:
    """Document rankings, per-query wall times (ms) and per-stage times for ``queries``."""
    run: dict[str, list[str]] = {}
    wall: list[float] = []
    stages: dict[str, list[float]] = {}
    first = next(iter(queries.values()), "")
    if first:  # warm-up: load models, build the BM25 index
        retriever.retrieve(first, k=depth, mode=mode, candidates=depth)
    for i, (qid, text) in enumerate(queries.items(), start=1):
        t0 = time.perf_counter()
        got = retriever.retrieve(text, k=depth, mode=mode, candidates=depth)
        wall.append((time.perf_counter() - t0) * 1000)
        run[qid] = by_document([h.chunk.doc_id for h in got.chunks])
        for stage, ms in got.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        if i % 100 == 0:
            print(f"  {i}/{len(queries)} queries", file=sys.stderr, flush=True)
    return run, wall, stages


def evaluate_beir(
    directory: Path, split: str, retriever: str | None, settings: Settings
) -> dict[str, Any]:
    """Ingest (if needed), run the split's queries and compute the metrics (no printing)."""
    from rag.pipeline import build_pipeline
    from rag.retrieval import MODES

    mode = retriever or settings.retrieval.mode
    if mode not in MODES:
        raise BeirDataError(f"unknown retriever {mode!r}; choose one of {', '.join(MODES)}")
    queries, qrels = read_split(directory, split)
    bs = beir_settings(settings, directory)
    _, info = ensure_index(bs, directory / "corpus.jsonl")
    depth = chunk_depth(info["chunks"], info["docs"])
    hr = build_pipeline(bs).retriever
    run, wall, stages = run_queries(hr, queries, mode, depth)
    scores = evaluate(run, {q: qrels[q] for q in queries})
    r = bs.retrieval
    return {
        "dataset": directory.resolve().name,
        "split": split,
        "retriever": mode,
        "embedder": bs.embedder.name,
        "queries": int(scores.pop("queries")),
        **{k: round(v, 4) for k, v in scores.items()},
        "p50_ms": round(percentile(wall, 50), 1),
        "p95_ms": round(percentile(wall, 95), 1),
        "stages_p50_ms": {s: round(percentile(v, 50), 1) for s, v in stages.items()},
        "chunks_fetched": depth,
        "knobs": {
            "rrf_k": r.rrf_k,
            "bm25_weight": r.bm25_weight,
            "dense_weight": r.dense_weight,
            "rerank_depth": r.rerank_depth,
            "rerank_blend": getattr(r, "rerank_blend", None),
            "chunk_size": bs.chunking.size,
        },
        "index": {**info, "path": str(bs.index_dir.resolve())},
    }


def format_result(res: dict[str, Any]) -> str:
    idx = res["index"]
    lines = [
        f"BEIR {res['dataset']} ({res['split']}, {res['queries']} queries), "
        f"retriever {res['retriever']}, embedder {res['embedder']}",
        f"  index: {idx['chunks']} chunks of {idx['docs']} documents at {idx['path']} "
        f"({'built' if idx['new_chunks'] else 'reused'}, {idx['ingest_s']} s)",
        f"  nDCG@10    {res['ndcg@10']:.4f}",
        f"  recall@100 {res['recall@100']:.4f}",
        f"  MRR@10     {res['mrr@10']:.4f}",
        f"  latency per query: p50 {res['p50_ms']:.1f} ms, p95 {res['p95_ms']:.1f} ms "
        + "("
        + ", ".join(f"{s} p50 {v:.1f} ms" for s, v in res["stages_p50_ms"].items())
        + ")",
    ]
    return "\n".join(lines)


def run_beir(
    directory: Path, split: str, retriever: str | None, settings: Settings, as_json: bool
) -> dict[str, Any]:
    """CLI entry: evaluate, print a summary (stderr when ``as_json``) and the JSON object last."""
    try:
        res = evaluate_beir(Path(directory), split, retriever, settings)
    except BeirDataError as exc:
        print(f"citeqa: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(format_result(res), file=sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps(res))
    return res
