"""The question benchmark: ``citeqa eval questions FILE [--format F] [--index DIR] [--out DIR]
[--resume] [--limit N] [--sample N --seed S] [--json]``.

FILE is a question file in any format of :mod:`evals.formats` (citeqa's JSONL, CSV/TSV,
RAGAS/Hugging Face JSON(L), PubMedQA, BioASQ, plain text) or a folder of ``*.jsonl`` files; the
formats and every metric are described in ``evals/README.md``. Bad lines are listed and skipped
(the command then exits 1 at the end); unknown keys are named once in a warning.

Outputs in ``--out``:

* ``results.jsonl``: per question the full ``citeqa ask --json`` object plus ``id``,
  ``category``, ``history``, ``expect``, ``reference``, ``meta`` and ``verdict`` (with
  ``verdict.extra``: the scores beside the verdict). Written as the run goes, so an interrupted
  run continues with ``--resume``;
* ``ragas.jsonl``: the same answers in the form RAGAS, DeepEval or a script read
  (:func:`evals.formats.ragas.ragas_row`);
* ``summary.json``, ``report.md``, ``accuracy.png``, ``latency.png`` (:mod:`evals.qreport`).

Matching and the definition of a *correct* answer are in :mod:`evals.qmetrics` (``judge``).
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evals.cells import cell_summary, vocab_of
from evals.formats import QuestionSet, load_question_set
from evals.formats.ragas import ragas_row
from evals.qcompare import run_compare
from evals.qmetrics import Question, QuestionError, Record, judge, summarise
from evals.qreport import SUMMARY_KEYS, render_report, render_summary, write_plots
from evals.question_sets import (
    MAX_HELDOUT_RUNS,
    aggregates,
    heldout_entry,
    logged_runs,
    prepare_index,
    render_aggregates,
)
from evals.refscore import extra_scores

if TYPE_CHECKING:
    from citeqa.settings import Settings

__all__ = ["SUMMARY_KEYS", "RunOptions", "load_questions", "result_row", "run_compare"]

# keys a result line adds to the answer object (dropped again to re-judge it on --resume)
ADDED_KEYS = ("id", "category", "history", "expect", "reference", "meta", "verdict")


@dataclass(frozen=True)
class RunOptions:
    """How to run a question file (the options of ``citeqa eval questions``)."""

    fmt: str = "auto"  # evals.formats.FORMATS
    resume: bool = False  # reuse the answers already in out/results.jsonl
    limit: int | None = None  # only the first N questions (after --sample)
    sample: int | None = None  # N questions drawn at random (file order kept)
    seed: int = 0  # the seed of --sample
    progress: bool = True  # a progress bar with the running accuracy on stderr


# ---------------------------------------------------------------------------------------------
# Loading


def report_intake(qs: QuestionSet) -> None:
    """Print the warnings and the skipped lines of a question set on stderr."""
    for w in qs.warnings:
        typer.echo(f"citeqa: warning: {w}", err=True)
    for s in qs.skipped:
        typer.echo(f"citeqa: skipped {s}", err=True)


def load_questions(path: Path | str, fmt: str = "auto") -> list[Question]:
    """The questions of a file or folder in any supported format; skipped lines and unknown
    keys are printed on stderr. QuestionError when no question can be read."""
    qs = load_question_set(Path(path), fmt)
    report_intake(qs)
    return qs.questions


def choose(questions: list[Question], opts: RunOptions) -> list[Question]:
    """``--sample N --seed S`` (N at random, in file order), then ``--limit N`` (the first N)."""
    if opts.sample is not None and opts.sample < len(questions):
        picked = sorted(random.Random(opts.seed).sample(range(len(questions)), opts.sample))
        questions = [questions[i] for i in picked]
    if opts.limit is not None:
        questions = questions[: opts.limit]
    return questions


# ---------------------------------------------------------------------------------------------
# Judging and result rows


def judged(q: Question, answer: Mapping[str, Any], generative: bool = False) -> Record:
    """``(q, answer, verdict)`` with the verdict's scores beside it filled in."""
    verdict = judge(q, answer)
    verdict.extra = extra_scores(q, answer, generative)
    return q, answer, verdict


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
            "lead": list(q.expect.lead),
            "no_dose": q.expect.no_dose,
        },
        "reference": q.reference,
        "meta": dict(q.meta),
        "verdict": {**v.to_json(), "scored": q.scored},
    }


def result_row(q: Question, answer: Any, generative: bool = False) -> dict[str, Any]:
    """The ``results.jsonl`` row of question ``q`` and its answer (an ``Answer`` or its JSON),
    for scripts that call the answerer themselves (README: Python API)."""
    obj = answer.to_json() if hasattr(answer, "to_json") else dict(answer)
    return result_line(judged(q, obj, generative))


def resumable(path: Path, questions: list[Question]) -> dict[str, dict[str, Any]]:
    """The answers in ``path`` (an earlier ``results.jsonl``) that can be reused: same id,
    question, audience and history, and no error. Undecodable lines are ignored."""
    if not path.exists():
        return {}
    wanted = {q.id: q for q in questions}
    out: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        q = wanted.get(str(row.get("id"))) if isinstance(row, dict) else None
        if q is None or row.get("error"):
            continue
        same = (row.get("question"), row.get("audience"), row.get("history", []))
        if same == (q.question, q.audience, list(q.history)):
            out[q.id] = {k: v for k, v in row.items() if k not in ADDED_KEYS}
    return out


class ResultsFile:
    """``results.jsonl`` written as the run goes (opened on the first row, so nothing is
    created when the run fails before answering); appended to with ``append``."""

    def __init__(self, path: Path, append: bool) -> None:
        self.path = path
        self.append = append
        self._fh: Any = None

    def write(self, record: Record) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ends_open = self.append and self.path.exists() and not _ends_with_newline(self.path)
            self._fh = self.path.open("a" if self.append else "w", encoding="utf-8")
            if ends_open:
                self._fh.write("\n")
        self._fh.write(json.dumps(result_line(record), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


# ---------------------------------------------------------------------------------------------
# Running


def _ask(pipeline: Any, q: Question) -> dict[str, Any]:
    from citeqa.errors import StoreError

    try:
        obj: dict[str, Any] = pipeline.answer(q.question, q.audience, list(q.history)).to_json()
    except StoreError:
        raise
    except Exception as exc:
        obj = {"question": q.question, "audience": q.audience, "error": f"{exc!r}"}
    return obj


def ask_all(
    questions: list[Question],
    settings: Settings,
    verbose: bool = True,
    done: Mapping[str, Mapping[str, Any]] | None = None,
    sink: Callable[[Record], None] | None = None,
    progress: bool = True,
) -> list[Record]:
    """Answer every question through the shared pipeline and judge it, with a progress bar
    showing the running accuracy. ``done``: answers by id to reuse instead of asking (they are
    judged again); ``sink``: called with each new record; ``verbose``: print each failure (off
    for the held-out split, whose questions developers must not see)."""
    from tqdm import tqdm

    from rag.pipeline import build_pipeline

    done = done or {}
    generative = settings.llm.provider != "none"
    pipeline = build_pipeline(settings)
    pipeline.require_documents()
    if any(q.id not in done for q in questions):
        pipeline.warm_up()  # model loading is not counted in the first latency
    records: list[Record] = []
    correct = scored = 0
    bar = tqdm(total=len(questions), unit="q", file=sys.stderr, disable=not progress)
    for q in questions:
        new = q.id not in done
        record = judged(q, _ask(pipeline, q) if new else done[q.id], generative)
        records.append(record)
        if new and sink is not None:
            sink(record)
        v = record[2]
        scored += q.scored
        correct += q.scored and v.correct
        if verbose and q.scored and not v.correct:
            bar.write(f"{q.id}: FAIL {'; '.join(v.reasons)}", file=sys.stderr)
        bar.set_postfix_str(f"accuracy {correct}/{scored}" if scored else "not scored", False)
        bar.update()
    bar.close()
    return records


def write_outputs(out: Path, records: list[Record], summary: dict[str, Any], file: Path) -> None:
    """results.jsonl (all rows, in question order), ragas.jsonl, plots, report.md and
    summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(result_line(r), ensure_ascii=False) + "\n" for r in records)
    with (out / "ragas.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(ragas_row(q, a), ensure_ascii=False) + "\n" for q, a, _ in records)
    summary["plots"] = write_plots(summary, records, out)
    (out / "report.md").write_text(render_report(summary, records, file), encoding="utf-8")
    summary["out"] = str(out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def run_questions(
    file: Path, settings: Settings, out: Path, as_json: bool, options: RunOptions | None = None
) -> dict[str, Any]:
    """Run the benchmark in ``file`` against the index of ``settings`` (or the scratch index of
    the documents the file brings); write ``out``. Exit 2 when nothing can be run; the caller
    exits 1 when ``summary["skipped_lines"]`` is not empty."""
    from citeqa.errors import StoreError

    opts = options or RunOptions()
    try:
        qs = load_question_set(file, opts.fmt)
    except QuestionError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    report_intake(qs)
    questions = choose(qs.questions, opts)
    t0 = time.perf_counter()
    done = resumable(out / "results.jsonl", questions) if opts.resume else {}
    results = ResultsFile(out / "results.jsonl", append=opts.resume)
    try:
        settings = prepare_index(file, settings, qs.documents)
        records = ask_all(
            questions, settings, done=done, sink=results.write, progress=opts.progress
        )
    except StoreError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        results.close()
    summary = summarise(records)
    cells = cell_summary(((q.id, q.category, a) for q, a, _ in records), vocab_of(settings.profile))
    summary.update(
        cell_accuracy=cells["cell_accuracy"],
        table_cells=cells,
        seconds=round(time.perf_counter() - t0, 1),
        mode=settings.retrieval.mode
        + ("" if settings.llm.provider == "none" else f" + llm:{settings.llm.provider}"),
        format=qs.format,
        questions_in_file=len(qs.questions),
        resumed=len(done),
        skipped_lines=qs.skipped,
        warnings=qs.warnings,
    )
    write_outputs(out, records, summary, file)
    typer.echo(render_summary(summary), err=as_json)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    return summary


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
