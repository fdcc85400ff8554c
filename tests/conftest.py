"""Shared test setup: no network beyond loopback, isolated data dirs, offline models."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = REPO / "corpus"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    pass


def _allowed(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise NetworkBlocked(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise NetworkBlocked(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs with outgoing connections limited to loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    yield


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own index and data directory."""
    data = tmp_path / "citeqa-data"
    monkeypatch.setenv("CITEQA_INDEX_DIR", str(data / "index"))
    monkeypatch.setenv("CITEQA_DATA_DIR", str(data))
    monkeypatch.delenv("CITEQA_CHROMA_URL", raising=False)
    return data


# --- the fast lane (`make test-fast`, `pytest -m fast`) -------------------------------------
# Its members are listed in pyproject.toml (`fast_lane`); the rule is written there. Here the
# rule is enforced: a fast test may not use the fixtures that build an index or start a server,
# and building an embedder, a reranker or a Chroma client fails it.

HEAVY_FIXTURES = {"corpus_settings", "chroma_server", "chroma_server_module"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fast_lane", "test files and classes of `make test-fast`", type="linelist")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lane = [str(e) for e in config.getini("fast_lane")]
    for entry in lane:
        if not (REPO / entry.split("::")[0]).is_file():
            raise pytest.UsageError(f"fast_lane lists {entry}, which does not exist")
    heavy: list[str] = []
    for item in items:
        listed = any(item.nodeid == e or item.nodeid.startswith(e + "::") for e in lane)
        if listed and item.get_closest_marker("slow") is None:  # seconds-long reads stay out
            item.add_marker(pytest.mark.fast)
            used = HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ()))
            heavy += [f"{item.nodeid} uses {sorted(used)}"] if used else []
    if heavy:
        raise pytest.UsageError(
            "fast-lane tests may not build an index or start a server:\n" + "\n".join(heavy)
        )


def _refuse(what: str) -> Any:
    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"a fast-lane test may not create {what}: use a fake")

    return refuse


@pytest.fixture(autouse=True)
def fast_lane_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the fast lane, creating a model or a Chroma client fails the test."""
    if request.node.get_closest_marker("fast") is None:
        return
    monkeypatch.setattr("ingest.embedders.make_embedder", _refuse("an embedding model"))
    monkeypatch.setattr("rag.rerank.make_reranker", _refuse("a cross-encoder"))
    monkeypatch.setattr("ingest.store.make_client", _refuse("a Chroma client"))


def shared_or_skip(*parts: str) -> Path:
    """A path under ../shared; skip the test when the folder is not beside the repo."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not available (../shared is not beside the repo)")
    return p


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Settings for an index of the shipped corpus, built once per test session."""
    from citeqa.settings import Settings
    from ingest.pipeline import Ingestor

    settings = Settings(index_dir=tmp_path_factory.mktemp("corpus-index"))
    report = Ingestor(settings, progress=False).run([CORPUS])
    assert report.failed == [], report.failed
    return settings


# the `chroma_server` fixture (a real `chroma run` on loopback), shared by several modules
from tests.fixtures_chroma import chroma_server, chroma_server_module  # noqa: E402, F401
