"""`citeqa ask` implementation (imported only when the command runs)."""

from __future__ import annotations

import json
from typing import Any

import typer


def run_ask(question: str, audience: str, settings: Any, as_json: bool) -> None:
    from ingest.store import StoreError
    from rag.answer import answer
    from rag.format import format_answer

    if audience not in ("clinician", "family"):
        typer.echo("citeqa: --audience must be clinician or family", err=True)
        raise typer.Exit(2)
    if not question.strip():
        typer.echo("citeqa: the question is empty", err=True)
        raise typer.Exit(2)
    try:
        ans = answer(question, audience=audience, settings=settings)
    except StoreError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False))
    else:
        typer.echo(format_answer(ans))
