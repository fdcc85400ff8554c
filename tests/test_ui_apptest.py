"""The Streamlit chat driven by streamlit.testing (AppTest) on the real pipeline.

One index of the shipped corpus (plus a hostile text file) is built once per session
(tests/ui_support.py); each test points CITEQA_INDEX_DIR at it and keeps its own data dir
(feedback database, uploads).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from citeqa.answer import Answer
from citeqa.models import Filters
from tests.helpers import ABSTAIN_TEXT, write_md
from tests.ui_support import ask, turns
from tests.ui_support import corpus_index as shared_corpus_index
from ui.answer_view import group_by_document
from ui.components import escape_markdown
from ui.state import Pending, Turn

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "ui" / "app.py")
RUN_S = 300  # first runs load the models; the machine may be busy
DFS_Q = "What was the 4-year DFS in AALL1731?"


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_corpus_index(tmp_path_factory)


@pytest.fixture
def app_env(
    corpus_index: Path, isolated_data: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("CITEQA_INDEX_DIR", str(corpus_index))
    yield isolated_data


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_S)
    at.run()
    assert not at.exception, at.exception
    return at


def markdown_texts(at: AppTest) -> list[str]:
    """Every markdown text on the page (escaped source, as sent to the browser)."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return out + [e.value for e in (*at.info, *at.warning, *at.error)]


def card_keys(at: AppTest, turn_id: str) -> list[str]:
    return [
        b.key
        for b in at.main
        if getattr(b, "key", None) and str(b.key).startswith(f"source-card-{turn_id}-")
    ]


def test_answer_with_source_cards_and_feedback_is_stored(app_env: Path) -> None:
    from evals.feedback_export import export_feedback
    from ui.feedback import FeedbackStore

    at = ask(new_app(), DFS_Q)
    [turn] = turns(at)
    ans = turn.answer
    assert turn.question == DFS_Q and turn.audience == "clinician" and not ans.abstained
    assert ans.citations, "a clinician answer to the DFS question must cite sources"
    # the answer text with its markers linked to the cards, then one card per cited document
    assert any(f"**\\[[1](#cite-{turn.id}-1)" in m.value for m in at.markdown)
    groups = group_by_document(ans.citations)
    assert sorted(card_keys(at, turn.id)) == sorted(
        f"source-card-{turn.id}-{g[0].n}" for g in groups
    )
    card = at.main.get_by_key(f"source-card-{turn.id}-1")
    labels = [m.value for m in card.markdown]
    assert any("-badge[" in v for v in labels), labels
    assert any(ans.citations[0].quote[:40] in h.proto.body for h in card.html)
    assert any("<mark>" in h.proto.body for h in card.html)  # quote highlighted in the passage
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    for g in groups:  # PubMed/DOI link where the document has one
        links = at.main.get_by_key(f"source-card-{turn.id}-{g[0].n}").link_button
        assert [b.proto.url for b in links] == ([g[0].url] if g[0].url else [])

    at.feedback[0].set_value(1)
    at.run()
    [rec] = FeedbackStore(app_env / "feedback.sqlite3").all()
    assert rec.rating == 1 and rec.question == DFS_Q and rec.audience == "clinician"
    assert rec.chunk_ids == [c.chunk_id for c in ans.citations]
    assert rec.settings["settings"]["index_dir"] and "filters" in rec.settings
    at.text_input(key=f"fbc-{turn.id}").set_value("Clear and sourced")
    at.run()
    [rec] = FeedbackStore(app_env / "feedback.sqlite3").all()
    assert rec.comment == "Clear and sourced" and rec.rating == 1

    from citeqa.settings import get_settings

    out = app_env / "q.jsonl"
    assert export_feedback(get_settings(), out) == 1


def test_second_question_queued_during_an_answer_keeps_history_paired(app_env: Path) -> None:
    """A question submitted while another is being answered waits in the queue; each answer is
    committed together with its question, and the follow-up gets the earlier question."""
    at = AppTest.from_file(APP, default_timeout=RUN_S)
    at.session_state["citeqa_queue"] = [Pending(DFS_Q, "clinician")]  # the running question
    at.run()
    at.chat_input[0].set_value("And in the control arms?")  # asked meanwhile
    at.run()
    assert not at.exception, at.exception
    ts = turns(at)
    assert [t.question for t in ts] == [DFS_Q, "And in the control arms?"]
    assert [t.answer.question for t in ts] == [t.question for t in ts]
    assert ts[1].history == (DFS_Q,)
    assert list(at.session_state["citeqa_queue"]) == []
    assert at.session_state["citeqa_busy"] is False
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    at.run()  # a plain rerun shows the same history, nothing answered twice
    assert [t.id for t in turns(at)] == [t.id for t in ts]


def test_family_audience_examples_notice_glossary_and_grade(app_env: Path) -> None:
    at = new_app()
    clinician_examples = [b.label for b in at.sidebar.button if b.key.startswith("example-")]
    at.segmented_control(key="audience").set_value("family")
    at.run()
    family_examples = [b.label for b in at.sidebar.button if b.key.startswith("example-")]
    assert family_examples and family_examples != clinician_examples
    example = next(b for b in at.sidebar.button if b.label == "What is blinatumomab?")
    example.click()
    at.run()
    assert not at.exception, at.exception
    [turn] = turns(at)
    ans = turn.answer
    assert turn.audience == "family" and ans.audience == "family" and not ans.abstained
    assert ans.notice and any(ans.notice[:30] in i.value.replace("\\", "") for i in at.info)
    assert ans.glossary, "a family answer about blinatumomab explains at least that word"
    assert [e.label for e in at.expander if e.label == "What these words mean"]
    shown = " ".join(m.value for m in at.markdown)
    for g in ans.glossary:
        assert escape_markdown(g.term) in shown
    assert any(c.value.startswith("Reading level: about school grade") for c in at.caption)


def test_a_caregivers_message_is_offered_family_mode(app_env: Path) -> None:
    at = ask(new_app(), "my son is 6, what does MRD mean?")
    [turn] = turns(at)
    assert turn.audience == "clinician" and "caregiver" in turn.answer.query.flags
    offer = [i.value for i in at.info if "family mode" in i.value.lower()]
    assert offer, [i.value for i in at.info]
    at.button(key=f"as-family-{turn.id}").click()
    at.run()
    assert not at.exception, at.exception
    first, second = turns(at)
    assert (first.audience, second.audience) == ("clinician", "family")
    assert second.question == first.question and at.session_state["audience"] == "family"
    # no offer under the family answer, nor under a clinician's own question
    assert [b.key for b in at.button if str(b.key).startswith("as-family-")] == [
        f"as-family-{first.id}"
    ]
    at.segmented_control(key="audience").set_value("clinician")
    ask(at, "What was the 4-year DFS in AALL1731?")
    assert [b.key for b in at.button if str(b.key).startswith("as-family-")] == [
        f"as-family-{first.id}"
    ]


def test_filters_restrict_the_sources(app_env: Path) -> None:
    at = new_app()
    at.multiselect(key="f_types").set_value(["drug-label"])
    at.run()
    ask(at, DFS_Q)
    [turn] = turns(at)
    assert turn.filters.doc_types == ("drug-label",)
    shown = turn.answer.citations or turn.answer.nearest
    assert shown and all(c.doc_type == "drug-label" for c in shown)
    # the filter survives a visit to the Library page
    at.switch_page("views/library.py").run()
    at.switch_page("views/chat.py").run()
    assert at.multiselect(key="f_types").value == ["drug-label"]


def test_abstention_is_shown_with_nearest_sources(app_env: Path) -> None:
    at = ask(new_app(), "What is the boiling point of tungsten in kelvin?")
    [turn] = turns(at)
    assert turn.answer.abstained
    # the decline is the abstention sentence, then why, naming what was asked
    shown = [w.value.replace("\\", "") for w in at.warning]
    assert any(w.startswith(ABSTAIN_TEXT.rstrip(".")) and "tungsten" in w for w in shown), shown
    assert any(m.value == "**Nearest sources**" for m in at.markdown)
    assert len(card_keys(at, turn.id)) == len(group_by_document(turn.answer.nearest)) > 0
    assert not any(m.value == "**Sources**" for m in at.markdown)


def test_untrusted_passage_text_is_shown_as_text(app_env: Path) -> None:
    at = ask(new_app(), "How did zebrafish telomerase activity change in the tank study?")
    [turn] = turns(at)
    shown = turn.answer.citations or turn.answer.nearest
    assert any(c.doc_id == "evil-notes" for c in shown)
    md = markdown_texts(at)
    bodies = [h.proto.body for h in at.html]
    assert any("&lt;script&gt;" in b for b in bodies)  # the passage is there, escaped
    assert any("\\<script\\>" in t for t in md)  # and as escaped markdown in the answer
    for t in md:  # nothing unescaped: no tag, no link, no directive
        assert not re.search(r"(?<!\\)<script", t, re.I), t
        assert not re.search(r"(?<!\\)\]\(javascript", t, re.I), t
        assert not re.search(r"(?<!\\):red\[", t), t
    for b in bodies:  # html: only our own tags, no script, no link
        tags = set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", b))
        assert tags <= {"div", "mark", "blockquote", "style", "b"}
        assert "href" not in b.lower()
    assert not any(m.proto.allow_html for m in at.markdown)
    assert not any(getattr(h.proto, "unsafe_allow_javascript", False) for h in at.html)


def test_new_conversation_clears_history(app_env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=RUN_S)
    fake = Answer("old question", "clinician", "An old answer. [1]", False)
    at.session_state["citeqa_turns"] = [Turn("t0", "old question", "clinician", fake, Filters())]
    at.run()
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    at.button(key="new-conversation").click()
    at.run()
    assert turns(at) == [] and not at.chat_message


def test_library_lists_documents(app_env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=RUN_S)
    at.run()
    at.switch_page("views/library.py").run()
    assert not at.exception, at.exception
    table = at.table[0].value
    assert len(table) >= 10
    assert set(table.columns) >= {"Title", "Type", "Year", "Trial", "Passages"}
    assert "Peer-reviewed article" in set(table["Type"])


def test_library_upload_errors_and_success(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITEQA_INDEX_DIR", str(app_env / "upload-index"))  # not the shared index
    at = AppTest.from_file(APP, default_timeout=RUN_S)
    at.run()
    at.switch_page("views/library.py").run()
    at.file_uploader[0].set_value(("paper.pdf", b"this is not a pdf", "application/pdf"))
    at.run()
    at.button(key="add-file").click()
    at.run()
    assert any("not a PDF" in e.value for e in at.error), [e.value for e in at.error]

    monkeypatch.setenv("CITEQA_INGEST__MAX_FILE_MB", "0.001")
    at.run()  # the upload box shows the new limit (a new widget)
    big = ("notes.md", b"# Notes\n\n" + b"word " * 600, "text/markdown")
    at.file_uploader[0].set_value(big)
    at.run()
    at.button(key="add-file").click()
    at.run()
    assert any("larger than" in e.value for e in at.error), [e.value for e in at.error]

    monkeypatch.delenv("CITEQA_INGEST__MAX_FILE_MB")
    at.run()
    src = write_md(
        app_env / "up.md",
        "upload-test-doc",
        "## Results\n\nThe uploaded note reports a sample result for testing the library page.",
        title="Uploaded test note",
        year=2024,
        doc_type="journal-article",
    )
    at.file_uploader[0].set_value(("up.md", src.read_bytes(), "text/markdown"))
    at.run()
    at.button(key="add-file").click()
    at.run()
    assert not at.exception, at.exception
    assert any("is in the library" in s.value for s in at.success)
    assert "Uploaded test note" in set(at.table[0].value["Title"])
    assert at.file_uploader[0].value is None  # the upload box is empty again


def _card_app(url: str) -> None:
    from citeqa.answer import Citation
    from ui.answer_view import render_source_card

    passage = "Intro <b>x</b>. The quoted [y](javascript:z) sentence. Outro."
    c = Citation(
        1,
        "c1",
        "d1",
        "T",
        "Ref <i>",
        "journal-article",
        "p. 3, Results",
        "The quoted [y](javascript:z) sentence.",
        passage,
        url=url,
    )
    render_source_card(c, key="source-card-x-1")


@pytest.mark.parametrize(
    ("url", "button"),
    [
        ("https://pubmed.ncbi.nlm.nih.gov/39651791/", "Open on PubMed"),
        ("https://doi.org/10.1056/NEJMoa2411680", "Open on DOI"),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_source_card_parts_and_link(url: str, button: str | None) -> None:
    at = AppTest.from_function(_card_app, args=(url,))
    at.run()
    assert not at.exception, at.exception
    card = at.get_by_key("source-card-x-1")
    assert "\\[1\\]" in card.markdown[0].value
    assert card.markdown[1].value.startswith(":green-badge[")
    assert "Peer-reviewed article" in card.markdown[1].value
    assert card.caption[0].value == "p\\. 3, Results"
    bodies = [h.proto.body for h in card.html]
    assert '<div class="citeqa-ref">Ref &lt;i&gt;</div>' in bodies
    assert any("<mark>The quoted [y](javascript:z) sentence.</mark>" in b for b in bodies)
    assert [e.label for e in card.expander] == ["Show the quote in its passage"]
    links = card.link_button
    if button is None:
        assert len(links) == 0
    else:
        assert [(b.label, b.proto.url) for b in links] == [(button, url)]


def test_library_corrects_and_deletes_a_document(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citeqa.settings import get_settings
    from rag.pipeline import Pipeline

    monkeypatch.setenv("CITEQA_INDEX_DIR", str(app_env / "edit-index"))
    src = app_env / "edit-src"
    long_title = "A very long title about zebrafish fin regeneration " * 4
    write_md(src / "a.md", "zebra-a", "## Results\n\nZebrafish fins regrew in the tank study.",
             title=long_title.strip(), year=2019, doc_type="journal-article")  # fmt: skip
    write_md(src / "b.md", "otter-b", "## Results\n\nSea otters used anvils in the survey.",
             title="Otters and anvils", year=2021, doc_type="journal-article")  # fmt: skip
    assert not Pipeline(get_settings()).ingest([src], progress=False).failed

    at = AppTest.from_file(APP, default_timeout=RUN_S)
    at.run()
    at.switch_page("views/library.py").run()
    assert long_title.strip() in set(at.table[0].value["Title"])  # whole, not cut
    at.selectbox(key="library-pick").set_value("zebra-a").run()
    at.selectbox[1].set_value("conference-abstract")  # Type, in the correction form
    at.number_input[0].set_value(2024)
    at.text_input[1].set_value("ZF-01")
    next(b for b in at.button if b.label == "Save corrections").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Corrections saved: done." in s.value for s in at.success), at.error
    table = at.table[0].value
    row = table[table["Title"] == long_title.strip()].iloc[0]
    assert (row["Type"], row["Year"], row["Trial"]) == (
        "Conference abstract (not peer-reviewed)",
        "2024",
        "ZF-01",
    )
    at.selectbox(key="library-pick").set_value("otter-b").run()
    at.button(key="delete-file").click()
    at.run()
    assert any("b.md deleted: done." in s.value for s in at.success)
    assert "Otters and anvils" not in set(at.table[0].value["Title"])
