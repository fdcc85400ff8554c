"""The chat in a real browser: `streamlit run ui/app.py` driven by headless Chromium (Playwright).

Screenshots go to tests/artifacts/ (git-ignored). The test fails when no source card renders.
Without /usr/bin/chromium it is skipped locally but FAILS in CI (CI=true).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, free_port, wait_http
from tests.ui_support import corpus_index as shared_corpus_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CARD = '[class*="st-key-source-card-"]'
FEEDBACK = '[class*="st-key-feedback-"]'
INPUT = '[data-testid="stChatInputTextArea"]'
ANSWER_TIMEOUT_MS = 240_000
SCROLL_TO = """e => {
  e.scrollIntoView({block: 'start'});
  let p = e.parentElement;
  while (p && !(p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY !== 'visible')) {
    p = p.parentElement;
  }
  if (p) { p.scrollTop = Math.max(0, p.scrollTop - 70); }
}"""
CLINICIAN_Q = "What was the 4-year DFS in AALL1731?"
FAMILY_Q = "How is blinatumomab given to my child?"


def need_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(str(CHROMIUM))
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        msg = f"browser test needs {' and '.join(missing)}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " (CI=true: not skipping)")
        pytest.skip(msg)


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_browser()
    return shared_corpus_index(tmp_path_factory)


@pytest.fixture
def app_url(corpus_index: Path, isolated_data: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CITEQA_INDEX_DIR": str(corpus_index),
        "CITEQA_DATA_DIR": str(isolated_data),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = (isolated_data.parent / "streamlit.log").open("w")
    cmd = [sys.executable, "-m", "streamlit", "run", "ui/app.py"]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.headless", "true"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=120)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def ask(page: Any, question: str, message_index: int) -> Any:
    """Type a question and wait until its answer is complete (the feedback row is the last
    thing an answer renders); return the answer element."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=60_000)
    box.fill(question)
    box.press("Enter")
    message = page.get_by_test_id("stChatMessage").nth(message_index)
    message.locator(CARD).first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    message.locator(FEEDBACK).wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(  # the run is over: submit_mode="disable" re-enables the input
        f"() => !document.querySelector('{INPUT}').disabled", timeout=ANSWER_TIMEOUT_MS
    )
    page.wait_for_timeout(1000)
    return message


def show_from(page: Any, element: Any) -> None:
    """Scroll so that ``element`` sits near the top of the chat area (below the top bar)."""
    element.evaluate(SCROLL_TO)
    page.wait_for_timeout(600)


def test_chat_in_chromium(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(app_url)
            page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
            assert page.title() == "citeqa"
            page.screenshot(path=str(ARTIFACTS / "ui-0-start.png"))

            answer = ask(page, CLINICIAN_Q, 1)
            cards = answer.locator(CARD)
            assert cards.count() >= 1, "no citation card rendered"
            first = cards.first
            assert first.get_by_text("[1]", exact=True).count() == 1
            assert "DFS" in answer.inner_text()
            show_from(page, page.get_by_test_id("stChatMessage").nth(0))
            page.screenshot(path=str(ARTIFACTS / "ui-1-clinician.png"))

            page.get_by_test_id("stSidebar").get_by_text("Family", exact=True).click()
            page.get_by_test_id("stSidebar").get_by_text(
                "What is blinatumomab?", exact=True
            ).wait_for(timeout=30_000)
            answer = ask(page, FAMILY_Q, 3)
            assert answer.locator(CARD).count() >= 1, "no citation card rendered (family)"
            assert "care team" in answer.inner_text()
            show_from(page, page.get_by_test_id("stChatMessage").nth(2))
            page.screenshot(path=str(ARTIFACTS / "ui-2-family.png"))

            answer.locator(CARD).first.get_by_text("Show the quote in its passage").click()
            mark = answer.locator(CARD).first.locator("mark").first
            mark.wait_for(state="visible", timeout=30_000)
            show_from(page, answer.locator(CARD).first)
            page.screenshot(path=str(ARTIFACTS / "ui-3-passage.png"))
        finally:
            browser.close()
