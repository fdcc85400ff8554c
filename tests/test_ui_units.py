"""Pure parts of the chat UI: escaping, quote highlighting, links, chat state, imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from citeqa.answer import Answer
from citeqa.models import Filters
from ui.components import (
    answer_markdown,
    badge_style,
    escape_markdown,
    grade_text,
    highlight_html,
    link_name,
    quote_spans,
    safe_url,
    stream_words,
)
from ui.state import BUSY, ChatState, Pending, make_filters

REPO = Path(__file__).resolve().parents[1]
EVIL = "<script>alert('x')</script> see [click me](javascript:alert(1)) and $x$ :red[hi] **b**"


# -- escaping --------------------------------------------------------------------------------------
def test_escape_markdown_neutralises_links_html_math_and_directives() -> None:
    out = escape_markdown(EVIL)
    assert "<script>" not in out and "\\<script\\>" in out
    assert "](javascript" not in out and "\\]\\(javascript\\:" in out
    assert "$x$" not in out and ":red[" not in out and "**b**" not in out


def test_escape_markdown_escapes_every_special_character() -> None:
    specials = "\\`*_{}[]()#+-.!|<>~:$&^=\"'@%"
    out = escape_markdown(specials)
    assert out == "".join("\\" + ch for ch in specials)
    assert escape_markdown("plain words 123") == "plain words 123"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# heading", "\\# heading"),
        ("1. item", "1\\. item"),
        ("- item", "\\- item"),
        ("> quote", "\\> quote"),
        ("`code`", "\\`code\\`"),
        ("a_b_c", "a\\_b\\_c"),
    ],
)
def test_escaped_block_syntax(line: str, expected: str) -> None:
    assert escape_markdown(line) == expected


def test_answer_markdown_bolds_markers_and_escapes_the_rest() -> None:
    out = answer_markdown("DFS was 94.8% [1] versus 86.9% [2, 3]. <b>x</b>")
    assert "**\\[1\\]**" in out and "**\\[2, 3\\]**" in out
    assert "94\\.8\\%" in out and "\\<b\\>" in out


def test_a_quoted_list_is_shown_as_a_list_apart_from_the_next_sentence() -> None:
    text = "Call right away if your child has: [1]\n- A fever [1]\n- Chills [1]\nIf a seizure, call. [1]"
    lines = answer_markdown(text).split("\n")
    assert lines[1:5] == ["", "- A fever **\\[1\\]**", "- Chills **\\[1\\]**", ""]
    assert lines[5].startswith("If a seizure")
    assert "\\-" in answer_markdown("5 - 3 is 2.")  # a dash inside a line stays text


def test_stream_words_reassemble_to_the_answer_markdown() -> None:
    text = "In AALL1731, 4-year DFS was 94.8% [1] versus [click](javascript:x) [2]"
    words = list(stream_words(text))
    assert len(words) == len(text.split(" "))
    assert "".join(words) == answer_markdown(text)


# -- quote highlighting ------------------------------------------------------------------------------
def test_quote_spans_finds_the_quote_across_line_breaks() -> None:
    passage = "First sentence here. The quoted\nsentence is here. Last one."
    spans = quote_spans(passage, "The quoted sentence is here.")
    assert [passage[a:b] for a, b in spans] == ["The quoted\nsentence is here."]


def test_quote_spans_finds_non_adjacent_sentences_in_order() -> None:
    passage = "Alpha one. Beta two. Gamma three. Delta four."
    spans = quote_spans(passage, "Alpha one. Gamma three.")
    assert [passage[a:b] for a, b in spans] == ["Alpha one.", "Gamma three."]


def test_quote_spans_empty_for_missing_or_empty_quote() -> None:
    assert quote_spans("Some passage.", "Not in it.") == []
    assert quote_spans("Some passage.", "   ") == []


def test_highlight_html_escapes_first_then_marks_the_quote() -> None:
    passage = "<script>alert(1)</script> Before. The <b>quote</b> here. [x](javascript:y) after."
    out = highlight_html(passage, "The <b>quote</b> here.")
    assert "<script>" not in out and "<b>" not in out
    assert "<mark>The &lt;b&gt;quote&lt;/b&gt; here.</mark>" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    # no tag other than our wrapper div and the mark
    assert set(re.findall(r"</?([a-zA-Z]+)", out)) == {"div", "mark"}


def test_highlight_html_without_match_is_the_escaped_passage() -> None:
    out = highlight_html("a < b & c", "zzz")
    assert out == '<div class="citeqa-passage">a &lt; b &amp; c</div>'


# -- links, badges, grade ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://pubmed.ncbi.nlm.nih.gov/123/", True),
        ("http://doi.org/10.1/x", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("//evil.example/x", False),
        ("https:///nohost", False),
        ("", False),
    ],
)
def test_safe_url_allows_only_http_links(url: str, ok: bool) -> None:
    assert bool(safe_url(url)) is ok


def test_link_name_names_pubmed_and_doi() -> None:
    assert link_name("https://pubmed.ncbi.nlm.nih.gov/1/") == "PubMed"
    assert link_name("https://doi.org/10.1056/x") == "DOI"
    assert link_name("https://example.org/x") == "Source"


def test_badge_style_for_each_type() -> None:
    assert badge_style("conference-abstract")[0].startswith("Conference abstract")
    assert badge_style("journal-article")[0] == "Peer-reviewed article"
    assert badge_style("drug-label")[0] == "Drug label"
    assert badge_style("plain-language")[0].startswith("Plain-language summary written for citeqa")
    assert badge_style("trial-registry")[0].startswith("Trial registry")
    assert badge_style("nonsense")[0] == "Document"
    assert len({badge_style(t)[1] for t in ("conference-abstract", "journal-article")}) == 2


def test_grade_text() -> None:
    a = Answer("q", "family", "x", False, readability={"fk_grade": 6.6})
    assert grade_text(a) == "Reading level: about school grade 7 (Flesch-Kincaid)"
    assert grade_text(Answer("q", "family", "x", False)) == ""


# -- chat state ------------------------------------------------------------------------------------
def _answer(q: str) -> Answer:
    return Answer(q, "clinician", f"answer to {q}", False)


def test_submit_queues_and_refuses_empty_or_bad_audience() -> None:
    s = ChatState({})
    assert s.submit("  What?  ", "clinician", Filters(doc_types=("drug-label",)))
    assert not s.submit("   ", "clinician")
    assert not s.submit("Why?", "martian")
    assert [(p.question, p.filters.doc_types) for p in s.queue] == [("What?", ("drug-label",))]


def test_commit_moves_question_and_answer_together() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    p = s.next_pending()
    assert p is not None and not s.turns
    turn = s.commit(p, _answer("q1"), s.history())
    assert turn is not None and s.queue == [] and [t.question for t in s.turns] == ["q1"]
    assert s.turns[0].answer.answer == "answer to q1"


def test_second_question_during_an_answer_is_queued_and_history_stays_paired() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    with s.running() as ok:
        assert ok and s.busy
        p1 = s.next_pending()
        assert p1 is not None
        s.submit("q2", "family")  # asked while q1 is being answered
        assert s.next_pending() == p1  # q1 first
        s.commit(p1, _answer("q1"), s.history())
        p2 = s.next_pending()
        assert p2 is not None and p2.question == "q2"
        t2 = s.commit(p2, _answer("q2"), s.history())
    assert not s.busy
    assert [(t.question, t.answer.question) for t in s.turns] == [("q1", "q1"), ("q2", "q2")]
    assert t2 is not None and t2.history == ("q1",)


def test_interrupted_run_leaves_no_half_turn_and_releases_busy() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    with pytest.raises(RuntimeError), s.running():
        assert s.next_pending() is not None
        raise RuntimeError("script stopped by a rerun before the answer was committed")
    assert s.turns == [] and [p.question for p in s.queue] == ["q1"]  # still to answer
    assert not s.busy
    with s.running() as ok:  # the next run can take it
        assert ok


def test_commit_after_new_conversation_stores_nothing() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    p = s.next_pending()
    assert p is not None
    s.reset()
    assert s.commit(p, _answer("q1")) is None
    assert s.turns == [] and s.queue == []


def test_commit_twice_does_not_duplicate() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    p = s.next_pending()
    assert p is not None
    s.commit(p, _answer("q1"))
    assert s.commit(p, _answer("q1")) is None
    assert len(s.turns) == 1


def test_running_refuses_while_another_thread_answers() -> None:
    store: dict[str, object] = {}
    s = ChatState(store)
    held = threading.Event()
    release = threading.Event()

    def other_run() -> None:
        with s.running() as ok:
            assert ok
            held.set()
            release.wait(5)

    t = threading.Thread(target=other_run)
    t.start()
    assert held.wait(5)
    with s.running(timeout=0.05) as ok:
        assert not ok
    assert store[BUSY] is True
    release.set()
    t.join(5)
    with s.running(timeout=1) as ok:
        assert ok


def test_drop_and_find() -> None:
    s = ChatState({})
    s.submit("q1", "clinician")
    p = s.next_pending()
    assert isinstance(p, Pending)
    s.drop(p)
    assert s.queue == []
    s.submit("q2", "clinician")
    p2 = s.next_pending()
    assert p2 is not None
    s.commit(p2, _answer("q2"))
    assert s.find(p2.id) is not None and s.find("nope") is None


def test_make_filters_full_year_range_means_no_year_filter() -> None:
    f = make_filters(["drug-label"], (2017, 2025), (2017, 2025))
    assert f == Filters(doc_types=("drug-label",))
    g = make_filters([], (2019, 2021), (2017, 2025))
    assert (g.year_min, g.year_max, g.doc_types) == (2019, 2021, ())
    assert make_filters([], None, None).is_empty()


# -- imports -----------------------------------------------------------------------------------------
def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names.update(str(a.value) for a in node.args if isinstance(a, ast.Constant))
    return names


STREAMLIT_UI = ("app.py", "components.py", "state.py", "feedback.py", "views")


def test_ui_code_never_imports_chromadb() -> None:
    files = sorted((REPO / "ui").rglob("*.py"))
    assert any(f.name == "app.py" for f in files)
    for f in files:
        mods = _imported_modules(f)
        assert not any(m.split(".")[0] == "chromadb" for m in mods), f


def test_chat_ui_uses_only_rag_and_settings_from_the_project() -> None:
    files = [
        f
        for f in sorted((REPO / "ui").rglob("*.py"))
        if f.relative_to(REPO / "ui").parts[0] in STREAMLIT_UI
    ]
    assert len(files) >= 6
    for f in files:
        mods = _imported_modules(f)
        project = {m for m in mods if m.split(".")[0] in ("ingest", "evals", "cli")}
        assert project <= {"ingest.numbers"}, (f, project)  # pure text functions only


def test_importing_ui_modules_does_not_load_chromadb() -> None:
    code = (
        "import sys, ui.components, ui.state, ui.feedback\n"
        "assert 'chromadb' not in sys.modules, 'chromadb imported'\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
