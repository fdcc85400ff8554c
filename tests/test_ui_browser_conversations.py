"""Conversations, "Did you mean" and "Read as" in a real browser: the chat server with HAND-MADE
answers (tests/fake_chat_server.py, tests/ui_fakes.py, as the AppTest versions in
tests/test_ui_display.py use), driven by headless Chromium. One server per module.

What is checked is what the chat does with an answer, not what the answering core answers:
renaming, exporting (the downloaded file is read), deleting one and deleting all of this
browser's conversations (another browser keeps its own); a misspelled question's suggestion asked
by a click; a follow-up shown with how it was read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import (
    ARTIFACTS,
    ask,
    guard_network,
    module_browser,
    served_chat,
    settle,
    show_from,
    wait_answer,
    wait_ready,
)
from tests.ui_fakes import DYM, DYM_Q, FILTER_Q, FOLLOW_Q, RESOLVED, TYPO_Q

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LISTED = ".st-key-saved-conversations button [data-testid=stMarkdownContainer]"
MESSAGE = "stChatMessage"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_chat(tmp_path_factory, "tests/fake_chat_server.py", "browser-conversations") as url:
        yield url


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Any]:
    with module_browser() as b:
        yield b


class Window:
    """One browser context (its own cookie: its own conversations) with its network guard."""

    def __init__(self, browser: Any, url: str) -> None:
        self.ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        self.attempts = guard_network(self.ctx)
        self.page = self.ctx.new_page()
        self.page.goto(url)
        wait_ready(self.page)

    def close(self) -> None:
        self.ctx.close()
        assert self.attempts == [], f"requests left the machine: {self.attempts}"


@pytest.fixture
def window(app_url: str, browser: Any) -> Iterator[Window]:
    w = Window(browser, app_url)
    yield w
    w.close()


def wait_listed(page: Any, titles: list[str]) -> None:
    """Wait until the sidebar lists exactly ``titles`` (stale buttons may linger a moment)."""
    page.wait_for_function(
        """([sel, want]) => {
            const got = [...document.querySelectorAll(sel)].map(b => b.innerText.trim());
            return got.length === want.length && want.every((t, i) => got[i] === t);
        }""",
        arg=[LISTED, titles],
        timeout=30_000,
    )
    settle(page)


def click(page: Any, selector: str, then: str, tries: int = 4) -> None:
    """Click ``selector`` until ``then`` is visible (a rerun may redraw the element under the
    pointer and swallow the click)."""
    for attempt in range(tries):
        try:
            page.locator(selector).first.click(timeout=10_000)
            page.locator(then).first.wait_for(state="visible", timeout=15_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise
            settle(page)


def test_rename_and_export_the_conversation(window: Window, tmp_path: Path) -> None:
    page = window.page
    ask(page, FILTER_Q, 1)
    assert "c=" in page.url
    wait_listed(page, [FILTER_Q])
    title = page.get_by_test_id("stSidebar").get_by_label("Title")
    for _ in range(3):  # a rerun may redraw the box while typing: type until the list follows
        title.fill("AALL1731 figures")
        title.press("Enter")
        try:
            wait_listed(page, ["AALL1731 figures"])
            break
        except Exception:
            settle(page)
    wait_listed(page, ["AALL1731 figures"])
    page.get_by_text("Renamed.").wait_for(timeout=10_000)
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "ui-conversation-rename.png"))

    with page.expect_download(timeout=30_000) as info:
        page.locator(".st-key-export-conversation button").click()
    download = info.value
    assert download.suggested_filename == "citeqa-conversation.md"
    saved = tmp_path / "export.md"
    download.save_as(saved)
    md = saved.read_text(encoding="utf-8")
    assert md.startswith("# AALL1731 figures\n"), md[:200]
    assert "## 1." in md and f"> {FILTER_Q}" in md and "94.8%" in md
    assert "**References**" in md
    assert "2. Author A, Author B. Blinatumomab added to chemotherapy" in md
    assert "PubMed: <https://pubmed.ncbi.nlm.nih.gov/39651791/>" in md

    page.reload()  # the new title is stored, not only shown
    wait_ready(page)
    wait_listed(page, ["AALL1731 figures"])
    assert page.get_by_test_id("stSidebar").get_by_label("Title").input_value() == (
        "AALL1731 figures"
    )


def test_delete_one_then_delete_all_of_this_browser(
    window: Window, app_url: str, browser: Any
) -> None:
    page = window.page
    ask(page, FILTER_Q, 1)
    wait_listed(page, [FILTER_Q])
    click(page, ".st-key-delete-conversation button", "text=Conversation deleted.")
    wait_listed(page, [])
    page.wait_for_function("() => !location.search.includes('c=')", timeout=15_000)
    assert page.get_by_test_id(MESSAGE).count() == 0, "the deleted conversation is still shown"
    page.get_by_text("Your conversations will be listed here").wait_for(timeout=10_000)

    ask(page, FILTER_Q, 1)
    click(page, ".st-key-new-conversation button", ".st-key-welcome-examples")
    ask(page, TYPO_Q, 1)
    wait_listed(page, [TYPO_Q, FILTER_Q])
    other = Window(browser, app_url)  # another browser: its conversation is not this one's
    try:
        ask(other.page, DYM_Q, 1)
        wait_listed(other.page, [DYM_Q])

        click(page, '[data-testid="stPopoverButton"]:has-text("Delete all")', ".st-key-delete-all")
        page.screenshot(path=str(ARTIFACTS / "ui-conversation-delete-all.png"))
        click(page, ".st-key-delete-all button", "text=Deleted 2 conversation(s).")
        wait_listed(page, [])
        assert page.get_by_test_id(MESSAGE).count() == 0
        other.page.reload()
        wait_ready(other.page)
        wait_listed(other.page, [DYM_Q])
    finally:
        other.close()


def test_did_you_mean_is_asked_by_a_click(window: Window) -> None:
    page = window.page
    answer = ask(page, DYM_Q, 1)
    assert "The question names nothing indexed." in answer.inner_text()
    question = page.get_by_test_id(MESSAGE).nth(0)
    question.get_by_text("Did you mean").wait_for(timeout=10_000)
    suggestion = question.locator('[class*="st-key-dym-"] button')
    assert suggestion.inner_text().strip() == DYM
    show_from(page, question)
    page.screenshot(path=str(ARTIFACTS / "ui-did-you-mean.png"))
    for attempt in range(3):  # retry when a rerun redrew the button under the pointer
        suggestion.click()
        try:
            page.get_by_test_id(MESSAGE).nth(2).wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise
    again = wait_answer(page, 3)
    assert page.get_by_test_id(MESSAGE).nth(2).inner_text().strip().endswith(DYM)
    assert "94.8%" in again.inner_text(), "the suggestion was not answered"
    assert page.get_by_test_id(MESSAGE).count() == 4


def test_follow_up_shows_how_it_was_read(window: Window) -> None:
    page = window.page
    ask(page, FILTER_Q, 1)
    first = page.get_by_test_id(MESSAGE).nth(0)
    assert "Read as" not in first.inner_text()  # understood as typed: nothing extra
    answer = ask(page, FOLLOW_Q, 3)
    assert "86.9%" in answer.inner_text()
    question = page.get_by_test_id(MESSAGE).nth(2)
    question.get_by_text(f"Read as: {RESOLVED}").wait_for(timeout=10_000)
    show_from(page, question)
    page.screenshot(path=str(ARTIFACTS / "ui-read-as.png"))
