"""The report of a question benchmark run: the printed summary, ``report.md`` and the plots.

``report.md``: where the questions came from (format, skipped lines, warnings), the summary
table, the scores beside our metrics (reference text, PubMedQA, BioASQ), a table per category,
and every failure with its reason. ``accuracy.png`` (accuracy per category) and ``latency.png``
(latency histogram).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.qmetrics import Record

SUMMARY_KEYS = (
    "questions",
    "scored",
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
    "cell_accuracy",
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
NEUTRAL = {"questions", "scored", "answered", "abstained", "answerable", "unanswerable"}
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


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.1f}"
    return str(value)


def beside_lines(summary: dict[str, Any]) -> list[tuple[str, str, int]]:
    """``(score, value, n)`` of the scores beside our metrics (evals.refscore)."""
    return [(k, fmt(m["value"]), m["n"]) for k, m in summary.get("beside", {}).items()]


def render_summary(summary: dict[str, Any]) -> str:
    lines = [f"{k:<22} {fmt(summary.get(k))}" for k in SUMMARY_KEYS]
    lines.append(f"{'failures':<22} {len(summary['failures'])}")
    lines += [f"{k:<22} {v} (n={n})" for k, v, n in beside_lines(summary)]
    if summary.get("skipped_lines"):
        lines.append(f"{'skipped lines':<22} {len(summary['skipped_lines'])}")
    lines.append(f"written to {summary.get('out', '')}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _beside_cell(extra: dict[str, Any]) -> str:
    parts = []
    for k, v in extra.items():
        if isinstance(v, bool):
            parts.append(f"{k}: {'yes' if v else 'no'}")
        elif isinstance(v, int | float):
            parts.append(f"{k}: {fmt(float(v))}")
    return ", ".join(parts)


def _category_table(cat: str, m: dict[str, Any], records: list[Record]) -> list[str]:
    lines = [
        f"### {cat}: {m['correct']}/{m['scored']} correct",
        "",
        f"accuracy {fmt(m['accuracy'])}, fact accuracy {fmt(m['fact_accuracy'])}, "
        f"source hits {fmt(m['source_hit_rate'])}, citation precision "
        f"{fmt(m['citation_precision'])}, grounded numbers {fmt(m['grounded_number_rate'])}",
        "",
        "| id | audience | question | result | reason | beside |",
        "|---|---|---|---|---|---|",
    ]
    for q, _, v in records:
        result = ("pass" if v.correct else "**FAIL**") if q.scored else "not scored"
        result += " (abstained)" if v.abstained else ""
        reason = "; ".join(v.reasons) if v.reasons and q.scored else ""
        lines.append(
            f"| {q.id} | {q.audience} | {_cell(q.question)[:120]} | {result} | {_cell(reason)} "
            f"| {_beside_cell(v.extra)} |"
        )
    return [*lines, ""]


def intake_lines(summary: dict[str, Any]) -> list[str]:
    """Skipped lines and warnings of the question file, for report.md."""
    skipped = summary.get("skipped_lines", [])
    lines = [f"Format: {summary.get('format', 'jsonl')}; {len(skipped)} lines skipped.", ""]
    lines += [f"- skipped {_cell(s)}" for s in skipped]
    lines += [f"- warning: {_cell(w)}" for w in summary.get("warnings", [])]
    return [*lines, ""] if len(lines) > 2 else lines


def beside_table(summary: dict[str, Any]) -> list[str]:
    rows = beside_lines(summary)
    if not rows:
        return []
    return [
        "## Beside our metrics",
        "",
        "Scores against the expected answer text and benchmark-specific scores "
        "(evals/README.md); they do not change whether an answer is correct.",
        "",
        "| score | value | questions |",
        "|---|---|---|",
        *(f"| {k} | {v} | {n} |" for k, v, n in rows),
        "",
    ]


CELL_KEYS = (
    "answers_with_table",
    "figure_cells",
    "correct_cells",
    "cell_accuracy",
    "not_reported_cells",
    "not_reported_contradicted",
    "text_cells",
    "result_column_cells",
)


def cell_table(summary: dict[str, Any]) -> list[str]:
    """The "Table cells" section of report.md (evals.cells): counts overall and per category,
    then every failing cell with its reasons."""
    cells = summary.get("table_cells")
    if not cells or not cells.get("answers_with_table"):
        return []
    head = "| | " + " | ".join(k.replace("_", " ") for k in CELL_KEYS) + " |"
    lines = [
        "## Table cells",
        "",
        "Cells of the answers' comparison tables (evals/README.md, cell accuracy): a figure cell "
        "is correct when its numbers, its row's study and its column's outcome are in the quote "
        "it cites.",
        "",
        head,
        "|" + "---|" * (len(CELL_KEYS) + 1),
        "| all | " + " | ".join(fmt(cells.get(k)) for k in CELL_KEYS) + " |",
        *(
            f"| {cat} | " + " | ".join(fmt(m.get(k)) for k in CELL_KEYS) + " |"
            for cat, m in cells.get("by_category", {}).items()
        ),
        "",
    ]
    if cells.get("failures"):
        lines += ["| id | row | column | cell | reasons |", "|---|---|---|---|---|"]
        for f in cells["failures"]:
            lines.append(
                f"| {f['id']} | {_cell(f['row'])} | {_cell(f['column'])} | "
                f"{_cell(f['text'])[:120]} | {_cell('; '.join(f['reasons']))} |"
            )
        lines.append("")
    return lines


def render_report(summary: dict[str, Any], records: list[Record], source: Path) -> str:
    lines = [
        "# Question benchmark",
        "",
        f"Questions: `{source}` ({summary['questions']}); mode: {summary.get('mode', '')}; "
        f"run time {summary.get('seconds', 0)} s.",
        "",
        *intake_lines(summary),
        "## Summary",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {fmt(summary.get(k))} |" for k in SUMMARY_KEYS),
        "",
        *beside_table(summary),
        *cell_table(summary),
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
