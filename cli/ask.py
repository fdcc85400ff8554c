"""`citeqa ask` implementation (imported only when the command runs)."""

from __future__ import annotations

import json
from typing import Any

import typer


def run_ask(
    question: str,
    audience: str,
    settings: Any,
    as_json: bool,
    history: list[str],
    explain: bool = False,
) -> None:
    from citeqa.errors import StoreError
    from rag.format import format_answer
    from rag.pipeline import build_pipeline

    if audience not in ("clinician", "family"):
        typer.echo("citeqa: --audience must be clinician or family", err=True)
        raise typer.Exit(2)
    if not question.strip():
        typer.echo("citeqa: the question is empty", err=True)
        raise typer.Exit(2)
    try:
        pipe = build_pipeline(settings)
        if explain:
            from rag.explain import explain_question

            ans, text = explain_question(pipe, question, audience, history)
            typer.echo(text, err=as_json)
        else:
            ans = pipe.answer(question, audience, history)
    except StoreError as exc:
        typer.echo(f"citeqa: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False))
    else:
        typer.echo(format_answer(ans))
