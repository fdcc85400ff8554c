import subprocess
import sys
import time
from pathlib import Path

import pytest

from citeqa.settings import Settings, settings_rows
from tests.helpers import BIN, REPO


def test_env_prefix_and_nested_groups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CITEQA_INDEX_DIR", str(tmp_path / "ix"))
    monkeypatch.setenv("CITEQA_CHUNKING__SIZE", "500")
    monkeypatch.setenv("CITEQA_RETRIEVAL__MODE", "bm25")
    s = Settings()
    assert s.index_dir == tmp_path / "ix"
    assert s.chunking.size == 500 and s.retrieval.mode == "bm25"


def test_invalid_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITEQA_RETRIEVAL__MODE", "magic")
    with pytest.raises(ValueError):
        Settings()


def test_index_identity_tracks_embedder_and_chunking() -> None:
    base = Settings()
    assert base.index_identity() != Settings(embedder={"name": "minilm"}).index_identity()  # type: ignore[arg-type]
    assert base.index_identity() != Settings(chunking={"overlap": 0}).index_identity()  # type: ignore[arg-type]
    assert base.index_identity() == Settings(retrieval={"k": 3}).index_identity()  # type: ignore[arg-type]


def test_every_setting_is_described_and_in_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for var, _default, meaning in settings_rows():
        assert meaning, f"{var} has no description"
        assert var in readme, f"{var} missing from the README configuration table"


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, cli.main; "
        "heavy = [m for m in ('torch', 'chromadb', 'langchain_core', 'sentence_transformers') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    t0 = time.perf_counter()
    res = subprocess.run([str(BIN / "citeqa"), "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "ingest" in res.stdout
    print(f"citeqa --help: {time.perf_counter() - t0:.2f} s")


@pytest.mark.parametrize("cmd", [["eval", "--help"], ["ask", "--help"], ["config"]])
def test_subcommands_answer(cmd: list[str]) -> None:
    res = subprocess.run([str(BIN / "citeqa"), *cmd], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_a_misspelled_variable_stops_the_command_with_the_closest_name(tmp_path: Path) -> None:
    """The CLI prints the message and hint of a citeqa error (no traceback) and exits 2."""
    import os

    env = {**os.environ, "CITEQA_ANSWR__TOPIC_FLOOR": "1"}
    res = subprocess.run(
        [str(BIN / "citeqa"), "ask", "What was the DFS?", "--index", str(tmp_path / "ix")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "did you mean CITEQA_ANSWER__TOPIC_FLOOR?" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
