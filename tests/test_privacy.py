"""Privacy: nothing leaves the machine and questions are not kept.

The suite's network guard blocks every non-loopback connection; Chroma telemetry is off;
Streamlit usage statistics are off; LangChain/LangSmith tracing is not enabled by our setup;
`citeqa ask` writes the question to no file (index, data dir, home, the repo)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, NetworkBlocked
from tests.helpers import citeqa, last_json, prose, write_md

PUBLIC = [("93.184.216.34", 80), ("1.1.1.1", 53), ("2606:4700:4700::1111", 443)]


@pytest.mark.parametrize("address", PUBLIC, ids=["http", "dns", "ipv6"])
def test_network_guard_blocks_every_kind_of_outgoing_connection(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(family, kind) as s, pytest.raises(NetworkBlocked):
            s.connect(address)
        with socket.socket(family, kind) as s, pytest.raises(NetworkBlocked):
            s.connect_ex(address)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(address, timeout=1)


def test_network_guard_blocks_http_clients() -> None:
    import httpx

    with pytest.raises((NetworkBlocked, httpx.HTTPError)) as info:
        httpx.get("http://93.184.216.34/", timeout=2)
    chain: BaseException | None = info.value
    while chain is not None and not isinstance(chain, NetworkBlocked):
        chain = chain.__cause__ or chain.__context__
    assert isinstance(chain, NetworkBlocked), "the request was not stopped by the guard"


def test_chroma_telemetry_is_off(tmp_path: Path) -> None:
    from citeqa.settings import get_settings
    from ingest.store import _chroma_settings, open_store

    assert _chroma_settings().anonymized_telemetry is False
    store = open_store(get_settings(index_dir=tmp_path / "ix"))
    assert store.client.get_settings().anonymized_telemetry is False


def test_streamlit_usage_stats_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    config = REPO / ".streamlit" / "config.toml"
    if config.exists():
        assert tomllib.loads(config.read_text())["browser"]["gatherUsageStats"] is False
    monkeypatch.delenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", raising=False)
    calls: list[tuple[list[str], dict[str, str]]] = []

    def exec_server(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
        calls.append((cmd, dict(env)))  # `citeqa ui` would become the server here

    monkeypatch.setattr("cli.main.exec_server", exec_server)
    from cli.main import app

    if not (REPO / "ui" / "app.py").exists():
        pytest.skip("ui/app.py is not there yet")
    res = CliRunner().invoke(app, ["ui", "--port", "8599"])
    assert res.exit_code == 0, res.output
    ((cmd, env),) = calls
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"


def test_langchain_tracing_is_not_enabled_by_our_setup() -> None:
    code = (
        "import os, json\n"
        "from cli.main import settings_for\n"
        "settings_for(None)\n"
        "import rag.answer, rag.llm\n"
        "from langchain_core.tracers.context import _tracing_v2_is_enabled\n"
        "keys = [k for k in os.environ if k.startswith(('LANGCHAIN_', 'LANGSMITH_'))]\n"
        "print(json.dumps({'enabled': bool(_tracing_v2_is_enabled()), 'keys': keys}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGCHAIN_", "LANGSMITH_"))}
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out == {"enabled": False, "keys": []}
    for path in [*REPO.glob("*/**/*.py"), REPO / "Makefile"]:
        if ".venv" in path.parts or path.parts[-2:] == ("tests", "conftest.py"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for var in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING"):
            assert f'"{var}", "true"' not in text and f"{var}=true" not in text, path


SKIP_DIRS = {".venv", ".git", "node_modules", ".mypy_cache", ".ruff_cache", "__pycache__"}


def _files_containing(roots: list[Path], needle: bytes, since: float) -> list[str]:
    """Files under ``roots`` modified since ``since`` whose bytes contain ``needle``."""
    hits = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for name in files:
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime >= since and needle in path.read_bytes():
                        hits.append(str(path))
                except OSError:
                    continue
    return hits


@pytest.mark.slow
def test_questions_are_not_written_to_any_file(tmp_path: Path) -> None:
    from citeqa.settings import get_settings
    from ingest.pipeline import Ingestor

    data, home = tmp_path / "data", tmp_path / "home"
    home.mkdir()
    settings = get_settings(index_dir=data / "index", data_dir=data)
    docs = tmp_path / "docs"
    for i in range(3):
        write_md(docs / f"p{i}.md", f"p{i}", prose(i, 10))
    assert Ingestor(settings, progress=False).run([docs]).failed == []
    marker = f"zq{uuid.uuid4().hex[:12]}"
    question = f"Does blinatumomab infusion help {marker} children in relapse?"
    env = {"CITEQA_INDEX_DIR": str(data / "index"), "CITEQA_DATA_DIR": str(data), "HOME": str(home)}
    since = time.time() - 1
    res = citeqa("ask", question, "--json", env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    assert last_json(res.stdout)["question"] == question  # the answer itself may echo it
    assert marker not in res.stderr
    assert _files_containing([data, home, REPO], marker.encode(), since) == []
    probe = tmp_path / "probe" / "log.txt"  # the scan itself does find a written question
    probe.parent.mkdir()
    probe.write_text(f"asked: {question}")
    assert _files_containing([tmp_path / "probe"], marker.encode(), since) == [str(probe)]
