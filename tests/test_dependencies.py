"""The dependency rule (issue L): citeqa <- ingest <- rag <- ui <- evals <- cli, and the chat
and API never import the store or chromadb. Checked by import-linter (pyproject.toml)."""

from __future__ import annotations

import subprocess

from tests.helpers import BIN, REPO


def test_import_contracts_are_kept() -> None:
    r = subprocess.run([str(BIN / "lint-imports")], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "2 kept, 0 broken" in r.stdout


def test_core_package_imports_no_other_project_package() -> None:
    import ast

    for f in (REPO / "citeqa").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                assert n.split(".")[0] not in ("ingest", "rag", "ui", "evals", "cli"), (f, n)
