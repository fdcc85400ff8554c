"""The Library page in a real browser: the chat server (``ui/chat_server.py``, what ``citeqa ui``
runs) on the REAL pipeline, as the AppTest version (tests/test_ui_apptest.py) uses it, over a small
index of three Markdown documents built for this module. Headless Chromium, one server per module.

Each test acts on its own document: correcting one's type, year and trial; replacing one's file by
a new version; deleting one. What is checked is what the page shows afterwards (the outcome
message and the documents table), which the server reads back from the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import (
    ARTIFACTS,
    chat_server,
    guarded_page,
    need_browser,
    settle,
    show_from,
)
from tests.helpers import write_md

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZEBRA = "A long title about zebrafish fin regeneration in the tank study"
OTTER = "Otters and anvils"
HERON = "Herons and herring, first version"
HERON_2 = "Herons and herring, second version"
TIMEOUT_MS = 240_000  # an index change loads the embedder on its first use


def heron_md(path: Path, title: str, body: str) -> Path:
    return write_md(path, "heron-c", f"## Results\n\n{body}", title=title, year=2020,
                    doc_type="journal-article")  # fmt: skip


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    from citeqa.settings import get_settings
    from rag.pipeline import Pipeline

    root = tmp_path_factory.mktemp("browser-library")
    src, data = root / "src", root / "data"
    write_md(src / "a.md", "zebra-a", "## Results\n\nZebrafish fins regrew in the tank study.",
             title=ZEBRA, year=2019, doc_type="journal-article")  # fmt: skip
    write_md(src / "b.md", "otter-b", "## Results\n\nSea otters used anvils in the survey.",
             title=OTTER, year=2021, doc_type="journal-article")  # fmt: skip
    heron_md(src / "c.md", HERON, "Herons ate herring at the estuary in spring.")
    settings = get_settings(index_dir=root / "index", data_dir=data)
    report = Pipeline(settings).ingest([src], progress=False)
    assert not report.failed, report.failed
    env = {"CITEQA_INDEX_DIR": str(root / "index"), "CITEQA_DATA_DIR": str(data)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chat_server("ui/chat_server.py", env, root / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    with guarded_page(app_url, height=1000) as p:
        p.get_by_role("link", name="Library").click()
        p.get_by_text("Find a document").wait_for(timeout=60_000)
        settle(p)
        yield p


def table_rows(page: Any) -> dict[str, list[str]]:
    """The documents table as {title: [type, year, trial, passages]} (the table shown now)."""
    rows = page.get_by_test_id("stTable").first.evaluate(
        """t => [...t.querySelectorAll('tbody tr')].map(
            r => [...r.querySelectorAll('td, th')].map(c => c.innerText.trim()))"""
    )
    return {r[0]: r[1:] for r in rows}


def pick(page: Any, box: Any, option: str, then: Any) -> None:
    """Choose ``option`` in the selectbox ``box`` until ``then`` shows (a rerun may redraw the
    box while its list is open and swallow the choice)."""
    for attempt in range(4):
        try:
            box.click(timeout=10_000)
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            then.wait_for(state="visible", timeout=15_000)
            return
        except Exception:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
            settle(page)


def choose_document(page: Any, title: str) -> None:
    box = page.locator(".st-key-library-pick [data-testid=stSelectbox]")
    pick(page, box, title, page.locator(".citeqa-title", has_text=title))
    settle(page)


def outcome(page: Any, text: str) -> None:
    """Wait for the page's outcome message after an index change; scroll it into view."""
    message = page.get_by_test_id("stAlert").filter(has_text=text)
    message.wait_for(timeout=TIMEOUT_MS)
    settle(page)
    show_from(page, message)


def test_correct_a_documents_type_year_and_trial(page: Any) -> None:
    assert table_rows(page)[ZEBRA][:3] == ["Peer-reviewed article", "2019", "—"]
    choose_document(page, ZEBRA)
    form = page.get_by_test_id("stForm")
    kind = "Conference abstract (not peer-reviewed)"
    box = form.get_by_test_id("stSelectbox")
    pick(page, box, kind, box.locator(f'input[role=combobox][value="{kind}"]'))
    form.get_by_label("Year").fill("2024")
    form.get_by_label("Trial").fill("ZF-01")
    form.get_by_label("Trial").press("Tab")
    form.get_by_role("button", name="Save corrections").click()
    outcome(page, "Corrections saved: done.")
    assert table_rows(page)[ZEBRA][:3] == [kind, "2024", "ZF-01"]
    page.screenshot(path=str(ARTIFACTS / "ui-library-corrected.png"))
    page.reload()  # stored, not only shown
    page.get_by_text("Find a document").wait_for(timeout=60_000)
    assert table_rows(page)[ZEBRA][:3] == [kind, "2024", "ZF-01"]


def test_replace_a_documents_file(page: Any, tmp_path: Path) -> None:
    assert HERON in table_rows(page) and HERON_2 not in table_rows(page)
    choose_document(page, HERON)
    new = heron_md(tmp_path / "c-v2.md", HERON_2, "Herons ate herring and sprat at the estuary.")
    upload = page.locator('[data-testid=stFileUploader]:has-text("New version of the file")')
    upload.locator("input[type=file]").set_input_files(str(new))
    button = page.locator(".st-key-replace-file button")
    page.wait_for_function(
        "() => { const b = document.querySelector('.st-key-replace-file button');"
        " return b && !b.disabled; }",
        timeout=30_000,
    )
    button.click()
    outcome(page, "c.md replaced by c-v2.md: done.")
    rows = table_rows(page)
    assert HERON_2 in rows and HERON not in rows, list(rows)
    assert rows[HERON_2][:2] == ["Peer-reviewed article", "2020"]
    page.screenshot(path=str(ARTIFACTS / "ui-library-replaced.png"))
    picker = page.locator(".st-key-library-pick input[role=combobox]")
    assert picker.input_value() == HERON_2, "the picker shows the replaced file's old title"
    form = page.get_by_test_id("stForm")  # the new version stays chosen: correct it next
    form.get_by_label("Trial").fill("HR-2")
    form.get_by_label("Trial").press("Tab")
    form.get_by_role("button", name="Save corrections").click()
    outcome(page, "Corrections saved: done.")
    assert table_rows(page)[HERON_2][:3] == ["Peer-reviewed article", "2020", "HR-2"]


def test_delete_a_document(page: Any) -> None:
    before = table_rows(page)
    assert OTTER in before
    choose_document(page, OTTER)
    popover = page.locator('[data-testid=stPopoverButton]:has-text("Delete from the library")')
    confirm = page.locator(".st-key-delete-file button")
    for attempt in range(3):  # the popover may be redrawn closed by a rerun: open it again
        popover.click()
        try:
            confirm.wait_for(state="visible", timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
            settle(page)
    page.screenshot(path=str(ARTIFACTS / "ui-library-delete.png"))
    confirm.click()
    outcome(page, "b.md deleted: done.")
    after = table_rows(page)
    assert OTTER not in after and len(after) == len(before) - 1, list(after)
    page.reload()  # gone from the index, not only from this page
    page.get_by_text("Find a document").wait_for(timeout=60_000)
    assert OTTER not in table_rows(page)
