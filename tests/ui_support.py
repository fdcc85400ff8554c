"""Shared by the UI tests: one index of the shipped corpus (plus a hostile text file) per session,
and the AppTest steps every chat test takes (ask, read the turns)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
EVIL_TEXT = (
    "Zebrafish telomerase notes\n\nZebrafish telomerase activity doubled in the tank study "
    '<script>alert("x")</script> according to [the lab page](javascript:alert(1)) and $5 per '
    "fish :red[warning].\n\nA second paragraph about zebrafish telomerase length in fin cells.\n"
)
_BUILT: dict[str, Path] = {}


def corpus_index(factory: pytest.TempPathFactory) -> Path:
    """Index corpus/ and one text file with markup in it, once per test session."""
    if "index" in _BUILT:
        return _BUILT["index"]
    from citeqa.settings import get_settings
    from ingest.pipeline import Ingestor

    if not any(CORPUS.rglob("*.md")):
        pytest.fail("the shipped corpus/ is empty")
    root = factory.mktemp("ui-index")
    extra = root / "extra"
    extra.mkdir()
    (extra / "evil-notes.txt").write_text(EVIL_TEXT, encoding="utf-8")
    settings = get_settings(index_dir=root / "index", data_dir=root / "data")
    report = Ingestor(settings, progress=False).run([CORPUS, extra])
    assert not report.failed, report.failed
    assert report.chunks_total > 0
    _BUILT["index"] = root / "index"
    return _BUILT["index"]


def ask(at: AppTest, question: str) -> AppTest:
    """Type ``question`` into the chat and run the app (no exception allowed)."""
    at.chat_input[0].set_value(question)
    at.run()
    assert not at.exception, at.exception
    return at


def turns(at: AppTest) -> list[Any]:
    """The conversation's turns as the app holds them."""
    return list(at.session_state["citeqa_turns"])
