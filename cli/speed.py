"""`citeqa eval startup`, `citeqa eval scale` and `citeqa eval load-runs` (registered on the
eval app in cli/main.py; heavy imports happen inside the commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index directory (default .citeqa/index; env CITEQA_INDEX_DIR)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object last.")]


def eval_startup(
    index: IndexOpt = None,
    runs: Annotated[int, typer.Option(help="Fresh processes, one after another.")] = 3,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete this host's saved index before each run.")
    ] = False,
    server: Annotated[
        bool, typer.Option("--server", help="Start as the API server starts (warm-up).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The first question after start-up (fresh processes over an existing index)."""
    from cli.main import settings_for
    from evals.startup import run_startup

    s = settings_for(index)
    res = run_startup(s.index_dir, s.data_dir, runs, fresh, chroma_url=s.chroma_url, server=server)
    keys: tuple[str, ...] = ("total", "ready", "first")
    if not server:
        keys = ("total", "pipeline", "index", "first")
    parts = ", ".join(f"{k} {res[k]['median']:.0f} ms" for k in keys)
    typer.echo(f"{res['chunks']} chunks, {runs} runs (medians): {parts}", err=as_json)
    if as_json:
        typer.echo(json.dumps(res))


def eval_scale(
    directory: Annotated[Path, typer.Argument(help="BEIR dataset folder (SciFact) to tile.")],
    chunks: Annotated[int, typer.Option(help="Chunks in the tiled store.")] = 1_000_000,
    work: Annotated[Path, typer.Option(help="Where the tiled store and its host index go.")] = Path(
        ".citeqa/scale"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Retrieval at scale over a store tiled from a BEIR corpus (speed and memory only)."""
    from cli.main import settings_for
    from evals.scale import run_scale

    res = run_scale(directory, chunks, settings_for(None), work)
    typer.echo(json.dumps(res, indent=None if as_json else 2))


def eval_load_runs(ctx: typer.Context) -> None:
    """Load runs: one and two `citeqa serve` replicas over one `chroma run` (32 clients, 60 s,
    3 runs each). Options as `python -m evals.load_runs` (see --help)."""
    from evals.load_runs import main

    raise typer.Exit(main(ctx.args, prog="citeqa eval load-runs"))
