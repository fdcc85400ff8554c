"""The `citeqa` command. Heavy imports happen inside the commands that need them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import speed

app = typer.Typer(
    name="citeqa",
    help="Literature-grounded answers, with citations, about childhood B-ALL and blinatumomab.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help labels every flag "<bool>"
)
eval_app = typer.Typer(
    help="Quality and retrieval benchmarks.", no_args_is_help=True, rich_markup_mode=None
)
feedback_app = typer.Typer(
    help="Feedback collected in the chat.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(eval_app, name="eval")
eval_app.command("startup")(speed.eval_startup)
eval_app.command("scale")(speed.eval_scale)
eval_app.command(
    "load-runs",
    add_help_option=False,  # --help reaches evals.load_runs, which owns the options
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(speed.eval_load_runs)
app.add_typer(feedback_app, name="feedback")

IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (default .citeqa/index; env CITEQA_INDEX_DIR)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object last.")]


def settings_for(index: Path | None, **overrides: Any) -> Any:
    """Settings from the environment with CLI overrides applied."""
    from citeqa.settings import get_settings
    from ingest.embedders import offline_env

    offline_env()
    if index is not None:
        overrides["index_dir"] = index
    return get_settings(**overrides)


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"citeqa: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index.")],
    index: IndexOpt = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents whose files are gone.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop this index and ingest from scratch.")
    ] = False,
    as_json: JsonOpt = False,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = None,
) -> None:
    """Parse, chunk, embed and index documents (incremental and idempotent)."""
    from citeqa.errors import StoreError
    from rag.pipeline import build_pipeline

    pipe = build_pipeline(settings_for(index))
    try:
        if rebuild:
            pipe.reset_index()
        report = pipe.ingest(paths, prune=prune, progress=progress)
    except StoreError as exc:
        fail(str(exc))
        return
    r = report
    typer.echo(
        f"{r.files} files, {r.docs} documents parsed, {r.new_chunks} new chunks, "
        f"{r.skipped} unchanged, {r.pruned} pruned, {len(r.failed)} failed; "
        f"{r.chunks_total} chunks in the index ({r.seconds:.1f} s)",
        err=as_json,
    )
    for m in r.messages:
        typer.echo(f"  note: {m}", err=True)
    for d in r.duplicates:
        typer.echo(
            f"  duplicate: {d['path']} is the same file as {d['same_as']} (skipped)", err=True
        )
    for d in r.renamed:
        typer.echo(f"  renamed: {d['was']} -> {d['path']}", err=True)
    for w in r.warnings:
        typer.echo(f"  warning: {w['path']}: {w['warning']}", err=True)
    for f in r.failed:
        typer.echo(f"  failed: {f['path']}: {f['error']}", err=True)
    if as_json:
        typer.echo(json.dumps(r.to_json()))
    raise typer.Exit(1 if r.failed else 0)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    audience: Annotated[str, typer.Option(help="clinician or family.")] = "clinician",
    history: Annotated[
        list[str] | None, typer.Option(help="An earlier question of the chat (repeatable).")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show how the question was read and decided.")
    ] = False,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the indexed literature, with citations."""
    from cli.ask import run_ask

    run_ask(question, audience, settings_for(index), as_json, history or [], explain)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address (default 127.0.0.1; CITEQA_SERVER__HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8000; CITEQA_SERVER__PORT).")
    ] = None,
    index: IndexOpt = None,
) -> None:
    """Start the HTTP API (FastAPI)."""
    from ui.api import run_server

    run_server(settings_for(index), host=host, port=port)


@app.command()
def ui(
    index: IndexOpt = None,
    port: Annotated[int, typer.Option(help="Port of the chat.")] = 8501,
    host: Annotated[str, typer.Option(help="Bind address.")] = "localhost",
) -> None:
    """Start the Streamlit chat in the browser.

    The command becomes the Streamlit server (exec): SIGTERM or Ctrl-C from a terminal or a
    service manager reach the server itself, which stops and frees the port."""
    import os

    server = Path(__file__).resolve().parents[1] / "ui" / "chat_server.py"
    if not server.exists():
        fail(f"the chat server file {server} is missing (a broken install)")
    settings_for(index)  # a bad CITEQA_* variable fails here, with its closest name
    env = dict(os.environ)
    if index is not None:
        env["CITEQA_INDEX_DIR"] = str(index.resolve())
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    cmd = [sys.executable, "-m", "streamlit", "run", str(server)]
    cmd += ["--server.port", str(port), "--server.address", host, "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false"]
    # from the repo root so .streamlit/config.toml (theme, no usage stats) applies
    exec_server(cmd, env, server.parents[1])


def exec_server(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    """Replace this process by ``cmd`` run in ``cwd`` (never returns)."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(cwd)
    os.execve(cmd[0], cmd, env)


@eval_app.command("questions")
def eval_questions(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Question file (JSONL, CSV/TSV, RAGAS, PubMedQA, BioASQ, text) or folder."
        ),
    ] = None,
    index: IndexOpt = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("evals/out/questions"),
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="auto|jsonl|ragas|csv|tsv|pubmedqa|bioasq|text (auto: by suffix and shape).",
        ),
    ] = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run from OUT/results.jsonl.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    sample: Annotated[
        int | None, typer.Option(min=1, help="N questions drawn at random (see --seed).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar with running accuracy.")
    ] = True,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option("--compare", help="Two result directories: what got better and worse."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a question benchmark and report quality and speed (or compare two runs).

    Exit code 1 when lines of the question file were skipped (they are listed)."""
    from evals.qbench import RunOptions, run_compare, run_questions

    if compare is not None:
        run_compare(compare[0], compare[1], as_json)
        return
    if file is None:
        fail("give a question file or folder, or --compare A B")
        return
    options = RunOptions(
        fmt=fmt, resume=resume, limit=limit, sample=sample, seed=seed, progress=progress
    )
    summary = run_questions(file, settings_for(index), out, as_json, options)
    raise typer.Exit(1 if summary.get("skipped_lines") else 0)


@eval_app.command("fit")
def eval_fit(
    folders: Annotated[list[Path], typer.Argument(help="Dev question folders.")],
    out: Annotated[Path | None, typer.Option(help="Ranker file to write.")] = None,
    cost: Annotated[
        float, typer.Option(help="Cost of answering an unanswerable question (refusing = 1).")
    ] = 2.5,
    cache: Annotated[
        Path | None, typer.Option(help="Keep (or reuse) the scored units here.")
    ] = None,
    index: IndexOpt = None,
) -> None:
    """Fit the answer ranker on dev questions (grouped cross-validation) and write it."""
    from evals.fit import run_fit

    settings = settings_for(index)
    target = out or settings.answer.ranker
    report = run_fit(folders, settings, Path(target), cost, cache)
    typer.echo(json.dumps(report, indent=2))


@eval_app.command("heldout")
def eval_heldout(
    folder: Annotated[Path, typer.Argument(help="The held-out question folder.")] = Path(
        "evals/questions/test"
    ),
    note: Annotated[str, typer.Option(help="Why this run (logged in RUNS.md).")] = "",
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the held-out test split: per-kind aggregates only, logged in RUNS.md (3 runs at most)."""
    from evals.qbench import run_heldout

    run_heldout(folder, settings_for(index), note, as_json)


@eval_app.command("load")
def eval_load(
    url: Annotated[str, typer.Option(help="Base URL of a running `citeqa serve`.")] = (
        "http://127.0.0.1:8000"
    ),
    clients: Annotated[int, typer.Option(help="Concurrent clients.")] = 32,
    seconds: Annotated[float, typer.Option(help="How long to send requests.")] = 60.0,
    api_key: Annotated[
        str | None, typer.Option(help="Bearer key, if the server needs one.")
    ] = None,
    also: Annotated[
        list[str] | None,
        typer.Option("--also", help="Another replica's URL (repeat); clients take turns."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load benchmark against local API servers: requests/s, p50/p95/p99, errors."""
    from evals.load import LoadPlan, run_load

    try:
        replicas = tuple(also or ())
        plan = LoadPlan(url, clients=clients, seconds=seconds, api_key=api_key, replicas=replicas)
        result = run_load(plan, as_json=as_json)
    except ValueError as exc:
        fail(str(exc))
        return
    raise typer.Exit(1 if result.get("errors") else 0)


@eval_app.command("beir")
def eval_beir(
    directory: Annotated[Path, typer.Argument(help="BEIR dataset folder.")],
    split: Annotated[str, typer.Option(help="train or test.")] = "train",
    retriever: Annotated[str | None, typer.Option(help="bm25|dense|hybrid|hybrid+rerank")] = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retrieval benchmark on a BEIR dataset (nDCG@10, recall@100, MRR@10, latency)."""
    from evals.beir import run_beir

    run_beir(directory, split, retriever, settings_for(index), as_json)


@app.command()
def bench(
    as_json: JsonOpt = False,
    index: IndexOpt = None,
    sizes: Annotated[str, typer.Option(help="Corpus sizes in chunks, comma-separated.")] = (
        "1000,10000,100000"
    ),
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("evals/out/bench"),
    langchain: Annotated[
        bool,
        typer.Option(
            "--langchain/--no-langchain",
            help="Also run LangChain's plain pipeline on the same files (the speed-up column).",
        ),
    ] = True,
    runs: Annotated[int, typer.Option(help="Runs per size (figures: median, min, max).")] = 3,
) -> None:
    """Speed benchmark: ingest throughput, query latency, first question after a restart,
    memory; every figure the median of --runs runs."""
    from evals.bench import BenchPlan, run_bench

    try:
        size_list = tuple(int(x) for x in sizes.split(",") if x.strip())
    except ValueError:
        fail(f"--sizes must be whole numbers separated by commas, got {sizes!r}")
        return
    if runs < 1:
        fail("--runs must be at least 1")
    plan = BenchPlan(size_list, out, langchain, runs=runs)
    run_bench(settings_for(index), as_json, plan)


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Argument(help="Question file (JSONL) to write.")],
    index: IndexOpt = None,
) -> None:
    """Write chat feedback as a question file for `citeqa eval questions`."""
    from evals.feedback_export import export_feedback

    n = export_feedback(settings_for(index), out)
    typer.echo(f"wrote {n} questions to {out}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of an answer (`citeqa ask --json`, the API's /v1/ask)."""
    from citeqa.answer import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


@app.command()
def config(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a markdown table.")] = False,
) -> None:
    """Show every setting: environment variable, default and meaning."""
    from citeqa.settings import settings_markdown, settings_rows

    if markdown:
        typer.echo(settings_markdown())
        return
    for var, default, meaning in settings_rows():
        typer.echo(f"{var} = {default}\n    {meaning}")


def main() -> None:
    """The ``citeqa`` command: a citeqa error (a misspelled setting, a bad file, a store that
    is down) prints its message and hint, not a traceback, and exits 2."""
    from citeqa.errors import CiteqaError

    try:
        app()
    except CiteqaError as exc:
        hint = f"\n  {exc.hint}" if exc.hint and exc.hint not in exc.message else ""
        typer.echo(f"citeqa: {exc.message}{hint}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
