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
    guarded_page,
    served_chat,
    settle,
    show_from,
    wait_answer,
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
    index = shared_corpus_index(tmp_path_factory)
    with served_chat(tmp_path_factory, "ui/chat_server.py", "browser-family", index) as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    with guarded_page(app_url) as p:
        yield p


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
