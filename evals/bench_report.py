"""``citeqa bench`` results: per size, every figure as the median of its runs with min and max,
and the ratios (each computed within one run, then summarised): our ingest against the raw
encode rate and against LangChain, and the cross-encoder's share of an answer.
Writes ``bench.md`` (the table) and ``bench.png`` (the plot)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Run = dict[str, Any]
# figure name -> how to read it from one run (None when the run does not have it)
FIGURES: dict[str, Callable[[Run], float | None]] = {
    "chunks": lambda r: r["ours"]["chunks"],
    "ingest_s": lambda r: r["ours"]["ingest_s"],
    "chunks_per_s": lambda r: r["ours"]["chunks_per_s"],
    "raw_chunks_per_s": lambda r: r["ours"]["raw_encode"]["chunks_per_s"],
    "of_raw": lambda r: r["ours"]["chunks_per_s"] / r["ours"]["raw_encode"]["chunks_per_s"],
    "embed_of_ingest": lambda r: r["ours"]["embed_s"] / r["ours"]["ingest_s"],
    "lc_ingest_s": lambda r: r["langchain"]["ingest_s"] if "langchain" in r else None,
    "lc_chunks_per_s": lambda r: r["langchain"]["chunks_per_s"] if "langchain" in r else None,
    "speedup_vs_langchain": lambda r: r.get("speedup_vs_langchain"),
    "reingest_s": lambda r: r["ours"]["reingest_s"],
    "retrieve_p50": lambda r: _stage(r, "retrieve", "p50"),
    "ce_p50": lambda r: _stage(r, "cross-encoder", "p50"),
    "answer_p50": lambda r: _stage(r, "total", "p50"),
    "answer_p95": lambda r: _stage(r, "total", "p95"),
    "ce_share": lambda r: _ratio(_stage(r, "cross-encoder", "p50"), _stage(r, "total", "p50")),
    "first_in_process_ms": lambda r: r["ours"]["queries"]["cold_first_ms"],
    "restart_total_ms": lambda r: r["startup"]["total"] if "startup" in r else None,
    "restart_index_ms": lambda r: r["startup"]["index"] if "startup" in r else None,
    "rss_ours_mb": lambda r: r["ours"]["peak_rss_mb"],
    "rss_lc_mb": lambda r: r["langchain"]["peak_rss_mb"] if "langchain" in r else None,
}


def _stage(run: Run, stage: str, q: str) -> float | None:
    s = run["ours"]["queries"]["stages"].get(stage)
    return None if s is None else float(s[q])


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def spread(values: Sequence[float]) -> dict[str, float]:
    """``{"median", "min", "max", "n"}`` of ``values``."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summarize(runs: Sequence[Run]) -> dict[str, dict[str, float]]:
    """Every figure of :data:`FIGURES` that the runs have, as :func:`spread` over the runs."""
    out = {}
    for name, read in FIGURES.items():
        vals = [v for r in runs if (v := read(r)) is not None]
        if vals:
            out[name] = spread([float(v) for v in vals])
    return out


def cell(s: dict[str, dict[str, float]], name: str, fmt: str = ".0f", suffix: str = "") -> str:
    """``median (min-max)`` of one figure (the median alone when every run gave the same, "-"
    when no run has it)."""
    v = s.get(name)
    if v is None:
        return "-"
    med = f"{v['median']:{fmt}}{suffix}"
    lo, hi = f"{v['min']:{fmt}}", f"{v['max']:{fmt}}"
    return med if v["n"] < 2 or lo == hi else f"{med} ({lo}-{hi})"


COLUMNS = [
    ("chunks", "chunks", ".0f", ""),
    ("ours ingest s", "ingest_s", ".1f", ""),
    ("ours chunks/s", "chunks_per_s", ".1f", ""),
    ("raw encode chunks/s", "raw_chunks_per_s", ".1f", ""),
    ("ours / raw", "of_raw", ".3f", ""),
    ("embedding share of ingest", "embed_of_ingest", ".3f", ""),
    ("LangChain s", "lc_ingest_s", ".1f", ""),
    ("speed-up vs LangChain", "speedup_vs_langchain", ".2f", "x"),
    ("re-ingest s", "reingest_s", ".2f", ""),
    ("retrieve p50 ms", "retrieve_p50", ".0f", ""),
    ("cross-encoder p50 ms", "ce_p50", ".0f", ""),
    ("answer p50 ms", "answer_p50", ".0f", ""),
    ("answer p95 ms", "answer_p95", ".0f", ""),
    ("cross-encoder share", "ce_share", ".2f", ""),
    ("first question, same process ms", "first_in_process_ms", ".0f", ""),
    ("first question after restart ms", "restart_total_ms", ".0f", ""),
    ("of which index ms", "restart_index_ms", ".0f", ""),
    ("peak RSS ours MB", "rss_ours_mb", ".0f", ""),
    ("peak RSS LangChain MB", "rss_lc_mb", ".0f", ""),
]


def markdown_table(result: dict[str, Any]) -> str:
    """The bench results as markdown: one row per size, ``median (min-max)`` over its runs."""
    head = "| " + " | ".join(c[0] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * len(COLUMNS)]
    for row in result["sizes"]:
        s = row["summary"]
        lines.append("| " + " | ".join(cell(s, n, f, x) for _, n, f, x in COLUMNS) + " |")
    m = result["meta"]
    notes = [
        "",
        f"Each cell: median of {m['runs']} run(s) (min-max). Embedder (ours): {m['embedder']}; "
        "LangChain: all-MiniLM-L6-v2 via HuggingFaceEmbeddings; "
        f"chunk size {m['chunk_size']} chars; retrieval mode {m['mode']}; "
        f"{m['questions']} questions per run ({m['measured']}). Ratios are taken within a run: "
        "ours / raw = our ingest rate / embed_documents on a sample of the same chunk texts in the "
        "same process (mean of the rates just before and just after the ingest); embedding share "
        "= the ingest's time in embedding calls / its wall time; speed-up = LangChain seconds / our seconds for the same files; "
        "cross-encoder share = its p50 / the answer's p50. First question after restart: a new "
        "process over the run's index (models loaded, host index loaded from disk; 'of which "
        f"index' = first answer - the same answer again). Machine: {m['cpus']} CPUs, shared.",
    ]
    return "\n".join(lines + notes) + "\n"


def write_plot(result: dict[str, Any], path: Path) -> None:
    """Ingest throughput and answer latency per size, medians with min-max bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sizes"]
    xs = [r["summary"]["chunks"]["median"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    series = [("chunks_per_s", "citeqa ingest", "o-"), ("raw_chunks_per_s", "raw encode", "s--")]
    series.append(("lc_chunks_per_s", "LangChain", "^-"))
    _bars(a, rows, xs, series)
    a.set(xscale="log", xlabel="chunks", ylabel="chunks / s", title="Ingest throughput")
    lat = [("answer_p95", "answer p95", "o-"), ("answer_p50", "answer p50", "s-")]
    lat += [("ce_p50", "cross-encoder p50", "^--"), ("retrieve_p50", "retrieve p50", "v--")]
    _bars(b, rows, xs, lat)
    b.axhline(300, color="grey", lw=0.8, ls=":", label="300 ms goal")
    b.set(
        xscale="log", xlabel="chunks", ylabel="ms", title="Answer latency (bars: min-max of runs)"
    )
    for ax in (a, b):
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(
    ax: Any, rows: list[dict[str, Any]], xs: list[float], series: list[tuple[str, str, str]]
) -> None:
    for name, label, style in series:
        if not all(name in r["summary"] for r in rows):
            continue
        med = [r["summary"][name]["median"] for r in rows]
        lo = [m - r["summary"][name]["min"] for m, r in zip(med, rows, strict=True)]
        hi = [r["summary"][name]["max"] - m for m, r in zip(med, rows, strict=True)]
        ax.errorbar(xs, med, yerr=[lo, hi], fmt=style, capsize=3, label=label)
