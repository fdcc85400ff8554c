"""Markdown with YAML front matter (the corpus format)."""

from __future__ import annotations

from pathlib import Path

import pytest

from citeqa.models import DOC_TYPES
from ingest.loaders import LoadError, load_file
from ingest.loaders.markdown import parse_body, strip_inline


def _md(tmp_path: Path, text: str, name: str = "note.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _reason(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path)
    return info.value.reason


FULL = """---
doc_id: gupta-ash-2025
title: Blinatumomab in standard-risk B-ALL, updated results
authors: [Gupta S, Rau R, Kairalla J, et al.]
venue: ASH 2025 Annual Meeting
year: 2025
doc_type: conference-abstract
trial: AALL1731
nct: NCT03914625
abstract_number: 758
audience: clinician
evidence: []
colour: blue
---

# Blinatumomab in standard-risk B-ALL, updated results

Intro paragraph one
continues on a second line.

## Results

- **Disease-free survival** was higher with *blinatumomab*.
- Relapse was less common, see [the abstract](https://example.org/758).
  Continuation of the second item.

Closing `paragraph` with an_identifier kept.

### Safety

1. First point
2. Second point
"""


def test_front_matter_metadata(tmp_path: Path) -> None:
    doc = load_file(_md(tmp_path, FULL))[0]
    m = doc.meta
    assert m.doc_id == "gupta-ash-2025"
    assert m.title == "Blinatumomab in standard-risk B-ALL, updated results"
    assert m.authors == ("Gupta S", "Rau R", "Kairalla J", "et al.")
    assert m.year == 2025
    assert m.doc_type == "conference-abstract"
    assert (m.trial, m.nct, m.abstract_number) == ("AALL1731", "NCT03914625", "758")
    assert m.evidence == ()
    assert m.reference == (
        "Gupta S, Rau R, Kairalla J, et al. Blinatumomab in standard-risk B-ALL, updated "
        "results. ASH 2025 Annual Meeting; 2025. Abstract 758."
    )


def test_body_sections_and_inline_markdown(tmp_path: Path) -> None:
    doc = load_file(_md(tmp_path, FULL))[0]
    assert [s.heading for s in doc.sections] == ["", "Results", "Safety"]
    assert doc.sections[0].text == "Intro paragraph one continues on a second line."
    assert doc.sections[1].text == (
        "Disease-free survival was higher with blinatumomab.\n"
        "Relapse was less common, see the abstract. Continuation of the second item.\n\n"
        "Closing paragraph with an_identifier kept."
    )
    assert doc.sections[2].text == "1. First point\n2. Second point"
    assert all(s.page is None for s in doc.sections)


def test_h1_becomes_title_when_front_matter_has_none(tmp_path: Path) -> None:
    text = "---\ndoc_id: x1\n---\n# My Title\n\nBody.\n\n# Second part\n\nMore.\n"
    doc = load_file(_md(tmp_path, text))[0]
    assert doc.meta.title == "My Title"
    assert [(s.heading, s.text) for s in doc.sections] == [("", "Body."), ("Second part", "More.")]


def test_h1_different_from_title_is_a_section(tmp_path: Path) -> None:
    text = "---\ntitle: Real title\n---\n# Overview\n\nBody.\n"
    doc = load_file(_md(tmp_path, text))[0]
    assert doc.meta.title == "Real title"
    assert [s.heading for s in doc.sections] == ["Overview"]


def test_doc_id_defaults_to_slug_of_stem(tmp_path: Path) -> None:
    doc = load_file(_md(tmp_path, "---\ntitle: T\n---\nText.\n", "My Note (v2).md"))[0]
    assert doc.meta.doc_id == "my-note-v2"
    assert doc.meta.doc_type == "other"
    assert doc.meta.audience == "clinician"


def test_markdown_without_front_matter(tmp_path: Path) -> None:
    doc = load_file(_md(tmp_path, "# Heading only doc\n\nSome *text*.\n", "plain.markdown"))[0]
    assert doc.meta.doc_id == "plain"
    assert doc.meta.title == "Heading only doc"
    assert doc.text == "Some text."


def test_front_matter_in_txt_file(tmp_path: Path) -> None:
    text = "---\ndoc_id: fam-1\naudience: family\ndoc_type: plain-language\n---\nHello.\n"
    doc = load_file(_md(tmp_path, text, "fam.txt"))[0]
    assert (doc.meta.doc_id, doc.meta.audience, doc.meta.doc_type) == (
        "fam-1",
        "family",
        "plain-language",
    )


def test_year_as_string_and_scalar_ids(tmp_path: Path) -> None:
    text = '---\nyear: "2021"\npmid: 33651091\nvolume: 325\nauthors: Brown PA\n---\nX.\n'
    m = load_file(_md(tmp_path, text))[0].meta
    assert (m.year, m.pmid, m.volume, m.authors) == (2021, "33651091", "325", ("Brown PA",))


def test_windows_newlines_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "win.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ndoc_id: w\r\n---\r\n## Part\r\n\r\nText here.\r\n")
    doc = load_file(path)[0]
    assert doc.meta.doc_id == "w"
    assert [(s.heading, s.text) for s in doc.sections] == [("Part", "Text here.")]


# --- errors -------------------------------------------------------------------------------


def test_bad_yaml(tmp_path: Path) -> None:
    reason = _reason(_md(tmp_path, "---\ntitle: [unclosed\nyear: 2020\n---\nBody.\n"))
    assert reason.startswith("bad YAML front matter")


def test_front_matter_not_a_mapping(tmp_path: Path) -> None:
    reason = _reason(_md(tmp_path, "---\n- a\n- b\n---\nBody.\n"))
    assert reason == "front matter must be a mapping, got list"


def test_unclosed_front_matter(tmp_path: Path) -> None:
    reason = _reason(_md(tmp_path, "---\ntitle: x\nBody.\n"))
    assert reason == "front matter not closed: missing closing '---' line"


def test_invalid_doc_type_lists_allowed_values(tmp_path: Path) -> None:
    reason = _reason(_md(tmp_path, "---\ndoc_type: blog-post\n---\nBody.\n"))
    assert reason.startswith("invalid doc_type 'blog-post'; allowed: ")
    for value in DOC_TYPES:
        assert value in reason


def test_invalid_audience(tmp_path: Path) -> None:
    reason = _reason(_md(tmp_path, "---\naudience: teens\n---\nBody.\n"))
    assert reason == "invalid audience 'teens'; allowed: clinician, family"


@pytest.mark.parametrize(
    ("yaml_text", "reason"),
    [
        ("title: {a: 1}", "front matter field 'title' must be text"),
        ("authors: {a: 1}", "front matter field 'authors' must be a list of text"),
        ("authors: [[a, b]]", "front matter field 'authors' must be text"),
        ("year: 20x1", "front matter field 'year' must be a 4-digit year, got '20x1'"),
    ],
)
def test_field_types(tmp_path: Path, yaml_text: str, reason: str) -> None:
    assert _reason(_md(tmp_path, f"---\n{yaml_text}\n---\nBody.\n")) == reason


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    text = "---\n" + "\n".join(levels) + "\nauthors: *a8\n---\nBody.\n"
    assert _reason(_md(tmp_path, text)) == "front matter field 'authors' must be text"


def test_front_matter_only_has_no_text(tmp_path: Path) -> None:
    assert _reason(_md(tmp_path, "---\ndoc_id: empty\n---\n\n")) == (
        "no text found in document 'empty'"
    )


# --- pure helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("**bold** and __also__", "bold and also"),
        ("*it* and _it_ but snake_case_name", "it and it but snake_case_name"),
        ("see [link text](http://x.y/z) now", "see link text now"),
        ("![alt text](img.png) here", "alt text here"),
        ("`code`  spaced   out", "code spaced out"),
        ("5 * 3 = 15", "5 * 3 = 15"),
        ("<https://example.org>", "https://example.org"),
    ],
)
def test_strip_inline(raw: str, clean: str) -> None:
    assert strip_inline(raw) == clean


def test_parse_body_tables_quotes_rules_and_comments() -> None:
    body = (
        "## Data\n\n| Arm | DFS |\n|---|---|\n| A | 87.9% |\n\n> quoted text\n\n---\n\n"
        "<!-- hidden -->After\n\n```\ncode line\n```\n"
    )
    title, sections = parse_body(body)
    assert title == ""
    assert sections[0].heading == "Data"
    assert sections[0].text == "Arm; DFS\nA; 87.9%\n\nquoted text\n\nAfter\n\ncode line"


def test_parse_body_skips_empty_headings() -> None:
    _, sections = parse_body("## Empty\n\n## Full\n\nText.\n")
    assert [(s.heading, s.text) for s in sections] == [("Full", "Text.")]


def test_huge_single_line_does_not_hang(tmp_path: Path) -> None:
    text = "---\ndoc_id: big\n---\n" + "**a " * 200_000 + "\n"
    doc = load_file(_md(tmp_path, text))[0]
    assert doc.text.startswith("a a a")
