"""The family-mode offer in a real browser: the chat server (``ui/chat_server.py``) on the REAL
pipeline and an index of the shipped corpus (tests/ui_support.py), as the AppTest version
(tests/test_ui_apptest.py) uses them. Headless Chromium, one server per module.

A caregiver's message answered in clinician mode shows an info line and an "Answer in family
mode" button; clicking it switches the audience (sidebar and URL) and asks the message again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import (
    ARTIFACTS,
    ask,
    chat_server,
    guard_network,
    launch,
    need_browser,
    settle,
    show_from,
    wait_answer,
    wait_ready,
)
from tests.ui_support import corpus_index as shared_corpus_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAREGIVER_Q = "my son is 6, what does MRD mean?"
CLINICIAN_Q = "What was the 4-year DFS in AALL1731?"
OFFER = "This reads like a message about your own child."  # the profile's family_offer
OFFERS = '[class*="st-key-family-offer-"]'
MESSAGE = "stChatMessage"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    index = shared_corpus_index(tmp_path_factory)
    data = tmp_path_factory.mktemp("browser-family")
    env = {"CITEQA_INDEX_DIR": str(index), "CITEQA_DATA_DIR": str(data)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chat_server("ui/chat_server.py", env, data / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        attempts = guard_network(ctx)
        p = ctx.new_page()
        p.goto(app_url)
        wait_ready(p)
        yield p
        assert attempts == [], f"requests left the machine: {attempts}"
        browser.close()


def audience_checked(page: Any, name: str) -> bool:
    radio = page.get_by_test_id("stSidebar").get_by_role("radio", name=name, exact=True)
    return bool(radio.get_attribute("aria-checked") == "true")


def test_a_caregivers_message_is_offered_family_mode(page: Any) -> None:
    assert audience_checked(page, "Clinician")
    answer = ask(page, CAREGIVER_Q, 1)
    offer = answer.locator(OFFERS)
    offer.get_by_text(OFFER).wait_for(timeout=10_000)
    button = offer.get_by_role("button", name="Answer in family mode")
    show_from(page, page.get_by_test_id(MESSAGE).nth(0))
    page.screenshot(path=str(ARTIFACTS / "ui-family-offer.png"))
    for attempt in range(3):  # retry when a rerun redrew the button under the pointer
        button.click()
        try:
            page.get_by_test_id(MESSAGE).nth(2).wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise
            settle(page)
    wait_answer(page, 3)
    assert page.get_by_test_id(MESSAGE).nth(2).inner_text().strip().endswith(CAREGIVER_Q)
    assert audience_checked(page, "Family") and not audience_checked(page, "Clinician")
    assert "a=family" in page.url, "the audience is not kept in the URL"
    assert page.locator(OFFERS).count() == 1, "family mode's own answer offers family mode"
    assert page.get_by_test_id(MESSAGE).nth(3).locator(OFFERS).count() == 0


def test_a_clinicians_question_is_not_offered_family_mode(page: Any) -> None:
    ask(page, CLINICIAN_Q, 1)
    assert page.locator(OFFERS).count() == 0
    assert page.get_by_role("button", name="Answer in family mode").count() == 0
