"""Shared by the browser tests: a chat server per test module, headless Chromium, axe-core, and
a network guard that fails on any request leaving the machine.

Without /usr/bin/chromium (or the playwright package) the browser tests are skipped locally but
FAIL in CI (CI=true). axe-core comes from the npm registry (package.json, ``make browser-deps``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.helpers import REPO, free_port, wait_http

CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
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
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
        if in_ci():
            pytest.fail(msg + " (CI=true: not skipping)")
        pytest.skip(msg)


def need_axe() -> str:
    if not AXE.exists():
        msg = f"{AXE} is missing: run `make browser-deps` (npm ci)"
        if in_ci():
            pytest.fail(msg + " (CI=true: not skipping)")
        pytest.skip(msg)
    return AXE.read_text(encoding="utf-8")


@contextlib.contextmanager
def chat_server(script: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """``streamlit run <script>`` on a free loopback port; yields the base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": str(REPO),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1"]
    cmd += ["--server.port", str(port), "--server.headless", "true"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT)
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


@contextlib.contextmanager
def served_chat(
    tmp_path_factory: pytest.TempPathFactory, script: str, label: str, index: Path | None = None
) -> Iterator[str]:
    """A module's chat server: ``script`` over ``index`` (a fresh, empty one when None), with
    its own data directory ``label``; yields the URL. Skips (fails in CI) without a browser."""
    need_browser()
    data = tmp_path_factory.mktemp(label)
    env = {"CITEQA_INDEX_DIR": str(index or data / "index"), "CITEQA_DATA_DIR": str(data)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chat_server(script, env, data / "streamlit.log") as url:
        yield url


@contextlib.contextmanager
def module_browser() -> Iterator[Any]:
    """One headless Chromium for a test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@contextlib.contextmanager
def guarded_page(url: str, height: int = 900) -> Iterator[Any]:
    """A page of its own Chromium at ``url`` (1366 wide), ready to ask; on leaving, fails if
    any request left the machine."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        ctx = browser.new_context(viewport={"width": 1366, "height": height})
        attempts = guard_network(ctx)
        page = ctx.new_page()
        page.goto(url)
        wait_ready(page)
        yield page
        assert attempts == [], f"requests left the machine: {attempts}"
        browser.close()


def is_local(url: str) -> bool:
    u = urlparse(url)
    if u.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
        return True
    return (u.hostname or "") in LOOPBACK


def guard_network(context: Any) -> list[str]:
    """Abort every request to a non-loopback host; returns the (growing) list of them."""
    attempts: list[str] = []

    def route(r: Any) -> None:
        if is_local(r.request.url):
            r.continue_()
        else:
            attempts.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.on("websocket", lambda ws: None if is_local(ws.url) else attempts.append(ws.url))
    return attempts


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def wait_ready(page: Any) -> None:
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=120_000)
    page.wait_for_timeout(800)


def ask(page: Any, question: str, message_index: int) -> Any:
    """Type a question and wait until its answer is complete (the feedback row is the last
    thing an answer renders); return the answer element."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=60_000)
    box.fill(question)
    box.press("Enter")
    return wait_answer(page, message_index)


def wait_answer(page: Any, message_index: int) -> Any:
    message = page.get_by_test_id("stChatMessage").nth(message_index)
    message.locator(FEEDBACK).wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(  # the run is over: submit_mode="disable" re-enables the input
        f"() => !document.querySelector('{INPUT}').disabled", timeout=ANSWER_TIMEOUT_MS
    )
    settle(page)
    return page.get_by_test_id("stChatMessage").nth(message_index)


def settle(page: Any) -> None:
    """Wait until the app is idle: no run going, no element left stale (dimmed) by a rerun."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        """() => !document.querySelector('[data-stale="true"]')
              && !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(500)


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (WCAG 2.x A/AA rules)."""
    page.evaluate(source)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }));
        }"""
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    if bad:
        (ARTIFACTS / "axe.json").write_text(json.dumps(result, indent=1))
    return bad


SCROLL_TO = """e => {
  e.scrollIntoView({block: 'start'});
  let p = e.parentElement;
  while (p && !(p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY !== 'visible')) {
    p = p.parentElement;
  }
  if (p) { p.scrollTop = Math.max(0, p.scrollTop - 70); }
}"""


def show_from(page: Any, element: Any) -> None:
    """Scroll so that ``element`` sits near the top of the chat area (below the top bar)."""
    element.evaluate(SCROLL_TO)
    page.wait_for_timeout(600)
