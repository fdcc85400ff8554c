"""Compare two question benchmark runs: ``citeqa eval questions --compare A B``.

Metric deltas (better / worse, by the direction of each metric) and per-question verdict flips
(fixed: fail -> pass; broken: pass -> fail) between two ``--out`` directories.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from evals.qreport import LOWER_IS_BETTER, NEUTRAL, SUMMARY_KEYS, fmt


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
