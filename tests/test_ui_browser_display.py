"""How the chat shows what an answer carries, in a real browser: the chat server with hand-made
answers (tests/fake_chat_server.py, tests/ui_fakes.py), driven by headless Chromium.

"Searched for", an abstention explained by the filters with its retry button, a long message
with its question at the end, and a PDF source opened at the cited page. One server per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import (
    ARTIFACTS,
    CARD,
    ask,
    guarded_page,
    served_chat,
    show_from,
    wait_answer,
)
from tests.ui_fakes import FILTER_Q, SEARCHED, TINY_PDF, TYPO_Q

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_chat(tmp_path_factory, "tests/fake_chat_server.py", "browser-fake") as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    with guarded_page(app_url) as p:
        yield p


def test_searched_for_under_the_question(page: Any) -> None:
    ask(page, TYPO_Q, 1)
    question = page.get_by_test_id("stChatMessage").nth(0)
    question.get_by_text(f"Searched for: {SEARCHED}").wait_for(timeout=10_000)
    show_from(page, question)
    page.screenshot(path=str(ARTIFACTS / "ui-searched-for.png"))


def test_filters_explained_and_ask_again_without_them(page: Any) -> None:
    side = page.get_by_test_id("stSidebar")
    side.get_by_text("Filters", exact=True).click()
    side.get_by_text("Document types").wait_for(timeout=10_000)
    box = side.get_by_test_id("stMultiSelect")
    chosen = box.locator('.react-aria-ComboBox [data-tag][aria-label="Drug label"]')
    option = page.get_by_role("option", name="Drug label")
    for attempt in range(5):  # the list opens once the expander has settled, and a rerun may
        if chosen.is_visible():  # redraw it under the pointer or drop the pick: pick until the
            page.wait_for_timeout(800)  # chip is shown and still there after the rerun
            if chosen.is_visible():
                break
        box.locator("input").click()
        page.keyboard.type("Drug", delay=50)
        try:
            option.click(timeout=4000)
        except Exception:
            if attempt == 4:
                raise
        page.keyboard.press("Escape")
        page.wait_for_timeout(500)
    chosen.wait_for(timeout=4000)
    answer = ask(page, FILTER_Q, 1)
    note = answer.get_by_text("2 sources outside your filters answer this question.")
    note.wait_for(timeout=10_000)
    assert "does not answer" in answer.inner_text()
    show_from(page, page.get_by_test_id("stChatMessage").nth(0))
    page.screenshot(path=str(ARTIFACTS / "ui-filters-explained.png"))
    answer.get_by_role("button", name="Ask again without filters").click()
    again = wait_answer(page, 3)
    assert "94.8%" in again.inner_text() and again.locator(CARD).count() == 3


def test_long_message_with_the_question_at_the_end_is_answered(page: Any) -> None:
    story = "My son is seven and had his first cycle in March; the nurses were kind to us. " * 95
    message = story + FILTER_Q
    assert 7000 < len(message) <= 8000
    answer = ask(page, message, 1)
    assert "94.8%" in answer.inner_text() and answer.locator(CARD).count() == 3


def test_pdf_source_opens_at_the_cited_page(page: Any, app_url: str) -> None:
    answer = ask(page, FILTER_Q, 1)
    link = answer.get_by_role("link", name="Open the PDF at page 1")
    href = link.get_attribute("href")
    assert href == "/citeqa/source/tiny-pdf-report#page=1"
    response = page.request.get(app_url.rstrip("/") + href.split("#")[0])
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == TINY_PDF.read_bytes()
