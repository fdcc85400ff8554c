"""The question benchmark: ``citeqa eval questions FILE [--index DIR] [--out DIR] [--json]``.

Question file (JSONL; FILE may also be a directory of ``*.jsonl``), one object a line::

    {"id": "dfs-4y", "question": "...", "audience": "clinician" | "family",
     "category": "clinician-figures",            # optional
     "history": ["previous user question"],      # optional, for follow-ups
     "expect": {"facts": ["94.8%"], "sources": ["AALL1731"], "abstain": false,
                "max_grade": 8,                  # optional
                "notice_contains": "care team",  # optional: answer["notice"] must contain it
                "absent": ["pwned"]}}            # optional: must NOT appear in the answer

``abstain: null`` accepts both answering and abstaining. Matching and the definition of a
*correct* answer are in :mod:`evals.qmetrics` (``judge``). Outputs in ``--out``:

* ``results.jsonl``: per question the full ``citeqa ask --json`` object plus ``id``,
  ``category``, ``history``, ``expect`` and ``verdict``;
* ``summary.json``: the metrics (also printed last with ``--json``);
* ``report.md``: summary table, a table per category, every failure with its reason;
* ``accuracy.png`` (accuracy per category) and ``latency.png`` (latency histogram).

Metrics: accuracy = correct / all questions; answer_precision = correct / answered (not
abstained); fact_accuracy = facts found / facts expected; source_hit_rate over questions with
expected sources; abstention precision and recall; citation_precision = marked sentences whose
markers are all valid and whose numbers all occur in their citations' quotes / marked
sentences; citation_recall = sentences with >= 1 valid citation / sentences;
grounded_number_rate = numbers found in the quotes of their sentence's citations / numbers
(citation metrics over answered questions); family FK grade mean and max (answered family
questions); latency p50/p95 of ``timings_ms.total`` (after one untimed warm-up question). Undefined ratios (0 denominators) are null.

``run_compare(a, b, as_json)`` compares two output directories: metric deltas (better/worse)
and per-question verdict flips.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evals.qmetrics import Question, QuestionError, Record, judge, parse_question, summarise
from evals.question_sets import (
    MAX_HELDOUT_RUNS,
    aggregates,
    heldout_entry,
    logged_runs,
    prepare_index,
    render_aggregates,
)

if TYPE_CHECKING:
    from citeqa.settings import Settings

SUMMARY_KEYS = (
    "questions",
    "answered",
    "abstained",
    "errors",
    "correct",
    "accuracy",
    "answer_precision",
    "fact_accuracy",
    "source_hit_rate",
    "abstention_precision",
    "abstention_recall",
    "false_abstention",
    "unanswerable_abstention",
    "citation_precision",
    "citation_recall",
    "grounded_number_rate",
    "family_fk_grade_mean",
    "family_fk_grade_max",
    "latency_ms_p50",
    "latency_ms_p95",
)
LOWER_IS_BETTER = {
    "errors",
    "false_abstention",
    "family_fk_grade_mean",
    "family_fk_grade_max",
    "latency_ms_p50",
    "latency_ms_p95",
}
NEUTRAL = {"questions", "answered", "abstained", "answerable", "unanswerable"}
CATEGORY_KEYS = (
    "questions",
    "correct",
    "accuracy",
    "false_abstention",
    "unanswerable_abstention",
    "fact_accuracy",
    "source_hit_rate",
    "abstention_precision",
    "abstention_recall",
    "citation_precision",
    "citation_recall",
    "grounded_number_rate",
    "latency_ms_p50",
)


# ---------------------------------------------------------------------------------------------
# Loading


def question_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise QuestionError(f"{path}: no .jsonl files")
        return files
    if not path.is_file():
        raise QuestionError(f"{path}: no such file or directory")
    return [path]


def load_questions(path: Path) -> list[Question]:
    """Every question of a .jsonl file or of a directory of them; ids must be unique."""
    out: list[Question] = []
    seen: dict[str, str] = {}
    for f in question_files(path):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{f}:{i}"
            try:
                q = parse_question(json.loads(line))
            except (json.JSONDecodeError, QuestionError) as exc:
                raise QuestionError(f"{where}: {exc}") from exc
            if q.id in seen:
                raise QuestionError(f"{where}: duplicate id {q.id!r} (first at {seen[q.id]})")
            seen[q.id] = where
            out.append(q)
    if not out:
        raise QuestionError(f"{path}: no questions")
    return out


# ---------------------------------------------------------------------------------------------
# Running


def ask_all(questions: list[Question], settings: Settings, verbose: bool = True) -> list[Record]:
    """Answer every question through the shared pipeline and judge it (``verbose``: print each
    verdict; off for the held-out split, whose questions developers must not see)."""
    from rag.pipeline import build_pipeline

    pipeline = build_pipeline(settings)
    pipeline.require_documents()
    # One untimed question first, so model loading is not counted in the first latency.
    pipeline.warm_up()
    records: list[Record] = []
    for i, q in enumerate(questions, start=1):
        try:
            obj = pipeline.answer(q.question, q.audience, list(q.history)).to_json()
        except Exception as exc:
            if type(exc).__name__ == "StoreError":
                raise
            obj = {"question": q.question, "audience": q.audience, "error": f"{exc!r}"}
        verdict = judge(q, obj)
        records.append((q, obj, verdict))
        mark = "ok" if verdict.correct else "FAIL " + "; ".join(verdict.reasons)
        typer.echo(f"[{i}/{len(questions)}] {q.id}: {mark}" if verbose else f"[{i}]", err=True)
    return records


def result_line(record: Record) -> dict[str, Any]:
    q, obj, v = record
    return {
        **obj,
        "id": q.id,
        "category": q.category,
        "history": list(q.history),
        "expect": {
            "facts": list(q.expect.facts),
            "sources": list(q.expect.sources),
            "abstain": q.expect.abstain,
            "max_grade": q.expect.max_grade,
            "notice_contains": q.expect.notice_contains,
            "absent": list(q.expect.absent),
        },
        "verdict": v.to_json(),
    }


def run_questions(file: Path, settings: Settings, out: Path, as_json: bool) -> dict[str, Any]:
    """Run the benchmark in ``file`` against the index of ``settings``; write ``out``."""
    from ingest.store import StoreError

    try:
        questions = load_questions(file)
    except QuestionError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    t0 = time.perf_counter()
    try:
        settings = prepare_index(file, settings)
        records = ask_all(questions, settings)
    except StoreError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    summary = summarise(records)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["mode"] = settings.retrieval.mode + (
        "" if settings.llm.provider == "none" else f" + llm:{settings.llm.provider}"
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(result_line(r), ensure_ascii=False) + "\n")
    summary["plots"] = write_plots(summary, records, out)
    (out / "report.md").write_text(render_report(summary, records, file), encoding="utf-8")
    summary["out"] = str(out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    typer.echo(render_summary(summary), err=as_json)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    return summary


# ---------------------------------------------------------------------------------------------
# Report and plots


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.1f}"
    return str(value)


def render_summary(summary: dict[str, Any]) -> str:
    lines = [f"{k:<22} {fmt(summary.get(k))}" for k in SUMMARY_KEYS]
    lines.append(f"{'failures':<22} {len(summary['failures'])}")
    lines.append(f"written to {summary.get('out', '')}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _category_table(cat: str, m: dict[str, Any], records: list[Record]) -> list[str]:
    lines = [
        f"### {cat}: {m['correct']}/{m['questions']} correct",
        "",
        f"accuracy {fmt(m['accuracy'])}, fact accuracy {fmt(m['fact_accuracy'])}, "
        f"source hits {fmt(m['source_hit_rate'])}, citation precision "
        f"{fmt(m['citation_precision'])}, grounded numbers {fmt(m['grounded_number_rate'])}",
        "",
        "| id | audience | question | result | reason |",
        "|---|---|---|---|---|",
    ]
    for q, _, v in records:
        result = "pass" if v.correct else "**FAIL**"
        result += " (abstained)" if v.abstained else ""
        reason = "; ".join(v.reasons) if v.reasons else ""
        lines.append(
            f"| {q.id} | {q.audience} | {_cell(q.question)[:120]} | {result} | {_cell(reason)} |"
        )
    return [*lines, ""]


def render_report(summary: dict[str, Any], records: list[Record], source: Path) -> str:
    lines = [
        "# Question benchmark",
        "",
        f"Questions: `{source}` ({summary['questions']}); mode: {summary.get('mode', '')}; "
        f"run time {summary.get('seconds', 0)} s.",
        "",
        "## Summary",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {fmt(summary.get(k))} |" for k in SUMMARY_KEYS),
        "",
        "## By category",
        "",
        "| category | n | correct | accuracy | false abst. | unans. abst. | facts | sources | "
        "abst. P | abst. R | cit. P | cit. R | grounded | p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    cats: dict[str, dict[str, Any]] = summary["by_category"]
    keys = CATEGORY_KEYS
    for cat, m in cats.items():
        lines.append(f"| {cat} | " + " | ".join(fmt(m[k]) for k in keys) + " |")
    lines += ["", *(f"![{p}]({p})" for p in summary.get("plots", [])), "", "## Questions", ""]
    for cat, m in cats.items():
        lines += _category_table(cat, m, [r for r in records if r[0].category == cat])
    return "\n".join(lines)


def write_plots(summary: dict[str, Any], records: list[Record], out: Path) -> list[str]:
    """accuracy.png (per category) and latency.png (histogram); returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = list(summary["by_category"])
    acc = [summary["by_category"][c]["accuracy"] or 0.0 for c in cats]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(cats) + 2), 4.5))
    ax.bar(range(len(cats)), acc, color="#3b7dd8")
    ax.set_xticks(range(len(cats)), cats, rotation=40, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (correct / questions)")
    ax.set_title(f"Accuracy per category (overall {fmt(summary['accuracy'])})")
    fig.tight_layout()
    fig.savefig(out / "accuracy.png", dpi=100)
    plt.close(fig)
    totals = [
        float(a["timings_ms"]["total"]) for _, a, _ in records if "total" in a.get("timings_ms", {})
    ]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(totals or [0.0], bins=min(30, max(5, len(totals) // 3)), color="#d8893b")
    ax.set_xlabel("latency per question (ms, timings_ms.total)")
    ax.set_ylabel("questions")
    ax.set_title(
        f"Latency: p50 {fmt(summary['latency_ms_p50'])} ms, p95 {fmt(summary['latency_ms_p95'])} ms"
    )
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=100)
    plt.close(fig)
    return ["accuracy.png", "latency.png"]


# ---------------------------------------------------------------------------------------------
# Compare


def load_run(directory: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(summary, {id: result line})`` of an output directory of ``run_questions``."""
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, Any]] = {}
    for line in (directory / "results.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["id"]] = row
    return summary, rows


def change(metric: str, a: Any, b: Any) -> tuple[float | None, str]:
    """``(b - a, 'better' | 'worse' | 'same' | 'changed' | 'n/a')`` for one metric."""
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return None, "same" if a == b else "n/a"
    delta = round(b - a, 4)
    if delta == 0:
        return delta, "same"
    if metric in NEUTRAL:
        return delta, "changed"
    up = delta > 0
    return delta, "better" if up != (metric in LOWER_IS_BETTER) else "worse"


def compare_runs(a: Path, b: Path) -> dict[str, Any]:
    sa, ra = load_run(a)
    sb, rb = load_run(b)
    table = {}
    for k in SUMMARY_KEYS:
        delta, verdict = change(k, sa.get(k), sb.get(k))
        table[k] = {"a": sa.get(k), "b": sb.get(k), "delta": delta, "change": verdict}
    common = [i for i in ra if i in rb]

    def ok(row: dict[str, Any]) -> bool:
        return bool(row["verdict"]["correct"])

    return {
        "a": str(a),
        "b": str(b),
        "metrics": table,
        "better": [k for k, v in table.items() if v["change"] == "better"],
        "worse": [k for k, v in table.items() if v["change"] == "worse"],
        "fixed": [i for i in common if ok(rb[i]) and not ok(ra[i])],
        "broken": [
            {"id": i, "category": rb[i].get("category"), "reasons": rb[i]["verdict"]["reasons"]}
            for i in common
            if ok(ra[i]) and not ok(rb[i])
        ],
        "only_a": [i for i in ra if i not in rb],
        "only_b": [i for i in rb if i not in ra],
    }


def _signed(delta: float | None) -> str:
    if delta is None:
        return ""
    return f"{delta:+.3f}" if abs(delta) < 10 else f"{delta:+.1f}"


def render_compare(c: dict[str, Any]) -> str:
    lines = [f"A = {c['a']}", f"B = {c['b']}", "", f"{'metric':<22} {'A':>9} {'B':>9} {'B-A':>9}"]
    for k, m in c["metrics"].items():
        delta = _signed(m["delta"])
        tag = m["change"] if m["change"] in ("better", "worse") else ""
        lines.append(f"{k:<22} {fmt(m['a']):>9} {fmt(m['b']):>9} {delta:>9}  {tag}")
    lines += [
        "",
        f"better: {', '.join(c['better']) or '-'}",
        f"worse: {', '.join(c['worse']) or '-'}",
    ]
    lines.append(f"fixed (fail -> pass): {', '.join(c['fixed']) or '-'}")
    lines.append(f"broken (pass -> fail): {len(c['broken']) or '-'}")
    lines += [f"  {r['id']} [{r['category']}]: {'; '.join(r['reasons'])}" for r in c["broken"]]
    for key in ("only_a", "only_b"):
        if c[key]:
            lines.append(f"{key.replace('_', ' in ')}: {', '.join(c[key])}")
    return "\n".join(lines)


def run_compare(a: Path, b: Path, as_json: bool) -> dict[str, Any]:
    """Print what got better and worse from run ``a`` to run ``b`` (two ``--out`` dirs)."""
    try:
        result = compare_runs(a, b)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        typer.echo(f"citeqa: cannot compare {a} and {b}: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(render_compare(result), err=as_json)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()
    return result


# ---------------------------------------------------------------------------------------------
# The held-out test split


def run_heldout(folder: Path, settings: Settings, note: str, as_json: bool) -> dict[str, Any]:
    """Run the held-out split in ``folder``: print per-kind aggregates only and log the run in
    ``folder/RUNS.md`` with its commit; refuses a run beyond :data:`MAX_HELDOUT_RUNS`."""
    runs_md = folder / "RUNS.md"
    n = logged_runs(runs_md) + 1
    if n > MAX_HELDOUT_RUNS:
        typer.echo(f"citeqa: {runs_md} already logs {n - 1} runs (at most 3)", err=True)
        raise typer.Exit(2)
    try:
        questions = load_questions(folder)
        records = ask_all(questions, prepare_index(folder, settings), verbose=False)
    except QuestionError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    rows = aggregates(summarise(records))
    with runs_md.open("a", encoding="utf-8") as fh:
        fh.write(heldout_entry(n, rows, note))
    typer.echo(render_aggregates(rows), err=as_json)
    if as_json:
        typer.echo(json.dumps(rows))
    return rows
