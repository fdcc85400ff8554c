"""Size rules (issue L): outside tests/, no module over 400 lines, no function over 60 lines, no
function with more than 6 parameters (``self``/``cls`` not counted; ``*args``/``**kwargs`` are).

Today's offenders are listed in ALLOWED, each with the issue that fixes it. An entry whose file
no longer offends must leave the list (the three files H is rewriting excepted), so the list only
shrinks. ruff enforces the parameter count and complexity as well (pyproject.toml): its
per-file exemptions may only name files of this list.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 6

# path (or path::function) -> the issue that brings it within the limits
ALLOWED: dict[str, str] = {
    # its one caller is rag/answer.py, which H rewrites: the signature changes with it
    "rag/generate.py::generate_answer": "H",
}
BEING_REWRITTEN: set[str] = set()


@dataclass(frozen=True)
class Offence:
    path: str
    function: str  # "" for the module itself
    what: str

    def allowed(self) -> bool:
        return self.path in ALLOWED or f"{self.path}::{self.function}" in ALLOWED


def modules() -> list[Path]:
    """Every Python file of the project outside tests/ (and outside hidden folders)."""
    out = []
    for f in sorted(REPO.rglob("*.py")):
        parts = f.relative_to(REPO).parts
        if parts[0] == "tests" or any(p.startswith(".") or p == "build" for p in parts):
            continue
        out.append(f)
    return out


def parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    n = len(names) + (a.vararg is not None) + (a.kwarg is not None)
    return n - (bool(names) and names[0].arg in ("self", "cls"))


def is_cli_command(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A typer command (``@app.command(...)``): its parameters are its options."""
    for d in fn.decorator_list:
        call = d.func if isinstance(d, ast.Call) else d
        if isinstance(call, ast.Attribute) and call.attr == "command":
            return True
    return False


def offences(path: Path) -> list[Offence]:
    return offences_in(path.read_text(encoding="utf-8"), path.relative_to(REPO).as_posix())


def offences_in(src: str, rel: str) -> list[Offence]:
    """What in module ``src`` (at ``rel``) is over the limits."""
    found = []
    if (n := len(src.splitlines())) > MAX_MODULE_LINES:
        found.append(Offence(rel, "", f"{n} lines"))
    for node in ast.walk(ast.parse(src)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if is_cli_command(node):  # typer declares every command option as a parameter
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        if lines > MAX_FUNCTION_LINES:
            found.append(Offence(rel, node.name, f"{lines} lines"))
        if (p := parameters(node)) > MAX_PARAMETERS:
            found.append(Offence(rel, node.name, f"{p} parameters"))
    return found


def test_sizes_are_within_the_limits() -> None:
    bad = [o for f in modules() for o in offences(f) if not o.allowed()]
    assert not bad, "over the size limits:\n" + "\n".join(
        f"{o.path} {o.function or '(module)'}: {o.what}" for o in bad
    )


def test_the_allow_list_only_names_current_offenders() -> None:
    found = [o for f in modules() for o in offences(f)]
    stale = []
    for entry in ALLOWED:
        path, _, function = entry.partition("::")
        if path in BEING_REWRITTEN:
            continue
        if not any(o.path == path and (not function or o.function == function) for o in found):
            stale.append(entry)
    assert not stale, f"within the limits now, remove from ALLOWED: {stale}"


def test_the_checker_sees_offences() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    src = (
        f"def long(a, b, c, d, e, f, *g):\n{body}\n\n\n"
        "class C:\n    def ok(self, a, b, c, d, e, f):\n        pass\n\n"
        "    async def wide(self, a, b, c, d, e, f, **g):\n        pass\n"
    )
    got = {(o.function, o.what) for o in offences_in(src, "m.py")}
    assert got == {("long", "61 lines"), ("long", "7 parameters"), ("wide", "7 parameters")}
    src += "\n" * (MAX_MODULE_LINES - len(src.splitlines()) + 1)
    assert ("", f"{MAX_MODULE_LINES + 1} lines") in {
        (o.function, o.what) for o in offences_in(src, "m.py")
    }


def test_ruff_exemptions_are_on_the_allow_list() -> None:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    lint = cfg["tool"]["ruff"]["lint"]
    assert {"C901", "PLR0913", "PLR0915"} <= set(lint["select"])
    assert lint["pylint"]["max-args"] == MAX_PARAMETERS
    size_rules = {"C901", "PLR0913", "PLR0915"}
    exempt = {
        path
        for path, rules in lint.get("per-file-ignores", {}).items()
        if size_rules & set(rules) and not path.startswith("tests/")
    }
    cli = {"cli/main.py"}  # typer commands: see is_cli_command
    assert exempt <= {e.partition("::")[0] for e in ALLOWED} | cli, exempt
