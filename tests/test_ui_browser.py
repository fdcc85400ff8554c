"""The chat in a real browser: the chat server (``ui/chat_server.py``, what ``citeqa ui`` runs) on
an index of the shipped corpus, driven by headless Chromium (Playwright). One server per module.

Screenshots go to tests/artifacts/ (git-ignored); the ones in docs/ were taken from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import (
    ARTIFACTS,
    CARD,
    INPUT,
    ask,
    guard_network,
    module_browser,
    need_axe,
    run_axe,
    served_chat,
    settle,
    show_from,
    wait_answer,
    wait_ready,
)
from tests.ui_support import corpus_index as shared_corpus_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLINICIAN_Q = "What was the 4-year DFS in AALL1731?"
FAMILY_Q = "How is blinatumomab given to my child?"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    index = shared_corpus_index(tmp_path_factory)
    with served_chat(tmp_path_factory, "ui/chat_server.py", "browser-data", index) as url:
        yield url


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Any]:
    with module_browser() as b:
        yield b


def sidebar_open(page: Any) -> bool:
    box = page.get_by_test_id("stSidebar").bounding_box()
    return box is not None and box["x"] + box["width"] > 5


def test_answer_links_copy_and_reload_keeps_the_conversation(app_url: str, browser: Any) -> None:
    ctx = browser.new_context(
        viewport={"width": 1366, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    assert page.title() == "citeqa"
    answer = ask(page, CLINICIAN_Q, 1)
    assert answer.locator(CARD).count() >= 1, "no source card rendered"
    assert "DFS" in answer.inner_text()
    assert "c=" in page.url, "the conversation's id goes into the URL"

    link = answer.locator("a[href*='#cite-']").first  # [1] jumps to its quote in the cards
    target = link.get_attribute("href").split("#")[1]
    link.click()
    page.wait_for_timeout(800)
    box = page.locator(f"#{target}").bounding_box()
    assert box is not None and 0 <= box["y"] < 900, "the cited quote is not scrolled into view"

    answer.get_by_role("button", name="Copy answer").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert CLINICIAN_Q in copied and "**References**" in copied and "\n1. " in copied

    page.get_by_test_id("stSidebar").get_by_text("Family", exact=True).click()
    page.wait_for_timeout(800)
    ask(page, FAMILY_Q, 3)
    url = page.url
    page.reload()
    wait_ready(page)
    page.get_by_test_id("stChatMessage").nth(3).locator(CARD).first.wait_for(timeout=60_000)
    assert page.get_by_test_id("stChatMessage").count() == 4, "reload lost the conversation"
    assert page.url == url
    family = page.get_by_test_id("stSidebar").get_by_role("radio", name="Family", exact=True)
    assert family.get_attribute("aria-checked") == "true", "reload switched the audience"
    page.wait_for_function(  # one conversation listed (stale elements may linger a moment)
        "() => document.querySelectorAll('.st-key-saved-conversations button').length === 1",
        timeout=30_000,
    )
    assert CLINICIAN_Q in page.locator(".st-key-saved-conversations button").inner_text()
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "ui-conversations.png"))
    show_from(page, page.get_by_test_id("stChatMessage").nth(0))
    page.screenshot(path=str(ARTIFACTS / "ui-conversation-page.png"))

    other = browser.new_context(viewport={"width": 1366, "height": 900})  # another browser
    stranger = other.new_page()
    stranger.goto(url)
    wait_ready(stranger)
    assert stranger.get_by_test_id("stChatMessage").count() == 0
    assert stranger.locator(".st-key-saved-conversations button").count() == 0
    stranger.get_by_text("That conversation is not available in this browser.").wait_for()
    other.close()
    ctx.close()


def test_phone_layout_and_keyboard(app_url: str, browser: Any) -> None:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    assert not sidebar_open(page), "the sidebar covers the chat on a phone"
    page.locator('[class*="st-key-welcome-clinician-0"] button').tap()
    message = wait_answer(page, 1)
    assert not sidebar_open(page)
    show_from(page, page.get_by_test_id("stChatMessage").nth(0))
    box = message.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 391
    page.screenshot(path=str(ARTIFACTS / "ui-phone.png"))

    page.locator("body").focus()
    for _ in range(80):  # the chat input is reachable with the keyboard alone
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches('{INPUT}')"):
            break
    else:
        pytest.fail("Tab never reached the chat input")
    page.keyboard.type("What is blinatumomab?")
    page.keyboard.press("Enter")
    wait_answer(page, 3)
    ctx.close()


FEVER_MSG = "my daughter is on the blina pump and feels really hot, 38.6 tonight. what do we do"
PUMP_MSG = "the pump keeps beeping and says occlusion, what should i do??"
DECLINE_Q = "will my son be able to play football next year after treatment"


def test_family_urgent_messages_lead_with_the_guidance_and_a_decline_is_plain(
    app_url: str, browser: Any
) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    page.get_by_test_id("stSidebar").get_by_text("Family", exact=True).click()
    page.wait_for_timeout(800)
    shots = [
        (FEVER_MSG, "Call your child's care team right away", "ui-family-fever.png"),
        (PUMP_MSG, "Call your child's care team right away", "ui-family-pump.png"),
        (DECLINE_Q, "We did not find the answer in our library", "ui-family-decline.png"),
    ]
    for i, (message, lead, shot) in enumerate(shots):
        answer = ask(page, message, 2 * i + 1)
        text = answer.inner_text()  # after the avatar's icon name, the answer's first words
        assert 0 <= text.find(lead) < 40, text[:300]
        show_from(page, page.get_by_test_id("stChatMessage").nth(2 * i))
        page.screenshot(path=str(ARTIFACTS / shot))
    ctx.close()


def test_a_question_in_another_language_is_declined_in_it(app_url: str, browser: Any) -> None:
    """The shipped corpus is English: a Spanish question gets the Spanish decline, in the
    page, with no English passage quoted to it."""
    from citeqa.domain import load_profile

    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    question = "¿Cuáles son los efectos secundarios del blinatumomab en los niños pequeños?"
    answer = ask(page, question, 1)
    spanish = load_profile("ball-blinatumomab").texts.decline_for("es")
    assert spanish[:60] in answer.inner_text()
    assert answer.locator(CARD).count() == 0
    page.screenshot(path=str(ARTIFACTS / "ui-language-decline.png"))
    ctx.close()


def test_nothing_leaves_the_machine(app_url: str, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    attempts = guard_network(ctx)
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    icon = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icon and all(h.startswith(("data:", app_url)) for h in icon), icon
    ask(page, CLINICIAN_Q, 1)
    page.get_by_role("link", name="Library").click()
    page.get_by_text("Find a document").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert attempts == [], f"requests left the machine: {attempts}"
    ctx.close()


def test_axe_finds_no_serious_problem_on_chat_and_library(app_url: str, browser: Any) -> None:
    source = need_axe()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    ask(page, CLINICIAN_Q, 1)
    assert run_axe(page, source) == []
    page.get_by_role("link", name="Library").click()
    page.get_by_text("Find a document").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert run_axe(page, source) == []
    ctx.close()


def test_text_at_200_percent_keeps_everything(app_url: str, browser: Any) -> None:
    # a 1366x900 window zoomed to 200%: half the CSS pixels, twice the device pixels
    ctx = browser.new_context(viewport={"width": 683, "height": 450}, device_scale_factor=2)
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    answer = ask(page, CLINICIAN_Q, 1)
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain], [data-testid=stChatMessage]')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert overflow == 0, "content is cut off sideways at 200%"
    card = answer.locator(CARD).first
    show_from(page, card)
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 684
    page.screenshot(path=str(ARTIFACTS / "ui-zoom-200.png"))
    ctx.close()


def test_long_message_reaches_the_answerer_and_too_long_is_explained(
    app_url: str, browser: Any
) -> None:
    """The whole long message is sent and answered (what the answer says is the answering
    core's part; tests/test_ui_browser_display.py checks the question at its end is answered)."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(app_url)
    wait_ready(page)
    story = (
        "Our daughter was diagnosed last spring and the team talked about the trial results. "
    ) * 90
    message = story + CLINICIAN_Q
    assert 7000 < len(message) <= 8000
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(message)
    counter = page.get_by_test_id("citeqa-counter")
    counter.get_by_text(f"{len(message):,} / 8,000 characters").wait_for(timeout=10_000)
    box.press("Enter")
    wait_answer(page, 1)
    asked = page.get_by_test_id("stChatMessage").nth(0).inner_text()
    assert asked.rstrip().endswith(CLINICIAN_Q) and asked.count("diagnosed last spring") == 90

    box.fill("x" * 9000)
    counter.get_by_text("1,000 too many", exact=False).wait_for(timeout=10_000)
    box.press("Enter")
    page.get_by_text("Your message has 9,000 characters").wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_test_id("stChatMessage").count() == 2  # nothing new was asked
    ctx.close()
