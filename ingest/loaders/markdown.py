"""Markdown (and text) with YAML front matter: the format of citeqa's shipped corpus.

A file starts with ``---`` on its own line, a YAML mapping whose keys are ``Metadata`` field
names, and a closing ``---``. ``#`` headings start sections; inline markdown is stripped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import yaml

from citeqa.models import DOC_TYPES, Document, Metadata, Section
from citeqa.settings import IngestSettings
from ingest.loaders.base import Loader, LoadError
from ingest.loaders.text import collapse, decode_or_raise, join_paragraphs, slugify

MAX_FRONT_MATTER = 64_000
MAX_INLINE = 20_000
AUDIENCES = ("clinician", "family")

_FENCE = re.compile(r"^(?:---|\.\.\.)\s*$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_BULLET = re.compile(r"^\s*[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,3}[.)])[ \t]+(.*)$")
_RULE = re.compile(r"^\s*(?:[-*_][ \t]*){3,}$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_UNDER = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE = re.compile(r"`+([^`\n]*)`+")

_STR_FIELDS = tuple(
    f.name for f in fields(Metadata) if f.name not in ("year", "authors", "evidence")
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


def has_front_matter(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return first.strip() == "---"


def split_front_matter(path: Path, text: str) -> tuple[dict[str, object], str]:
    """Return the parsed front-matter mapping and the body (``{}`` and text if none)."""
    text = text.lstrip("\ufeff")
    if not has_front_matter(text):
        return {}, text
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        raise LoadError(path, "front matter not closed: missing closing '---' line")
    raw = "\n".join(lines[1:end])
    if len(raw) > MAX_FRONT_MATTER:
        raise LoadError(path, f"front matter too large (> {MAX_FRONT_MATTER} characters)")
    try:
        data = yaml.load(raw, Loader=_LOADER) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise LoadError(path, f"bad YAML front matter{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoadError(path, f"front matter must be a mapping, got {type(data).__name__}")
    return data, "\n".join(lines[end + 1 :])


def _scalar(path: Path, key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LoadError(path, f"front matter field '{key}' must be text")
    return str(value).strip()


def _str_list(path: Path, key: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if not isinstance(value, list):
        raise LoadError(path, f"front matter field '{key}' must be a list of text")
    items = tuple(_scalar(path, key, v) for v in value)
    return tuple(i for i in items if i)


def _year(path: Path, value: object) -> int | None:
    if value is None or value == "":
        return None
    text = _scalar(path, "year", value)
    if not re.fullmatch(r"\d{4}", text):
        raise LoadError(path, f"front matter field 'year' must be a 4-digit year, got {text!r}")
    return int(text)


def metadata_from_front_matter(path: Path, data: Mapping[str, object]) -> Metadata:
    """Validate the front-matter mapping into ``Metadata`` (unknown keys are ignored)."""
    kwargs: dict[str, Any] = {}
    for key in _STR_FIELDS:
        if key in data:
            kwargs[key] = _scalar(path, key, data[key])
    kwargs["authors"] = _str_list(path, "authors", data.get("authors"))
    kwargs["evidence"] = _str_list(path, "evidence", data.get("evidence"))
    kwargs["year"] = _year(path, data.get("year"))
    doc_type = kwargs.get("doc_type") or "other"
    if doc_type not in DOC_TYPES:
        raise LoadError(path, f"invalid doc_type {doc_type!r}; allowed: {', '.join(DOC_TYPES)}")
    kwargs["doc_type"] = doc_type
    audience = kwargs.get("audience") or "clinician"
    if audience not in AUDIENCES:
        raise LoadError(path, f"invalid audience {audience!r}; allowed: {', '.join(AUDIENCES)}")
    kwargs["audience"] = audience
    kwargs["doc_id"] = kwargs.get("doc_id") or slugify(path.stem)
    return Metadata(**kwargs)


def metadata_from_pairs(path: Path, pairs: str, **defaults: str) -> Metadata | None:
    """Metadata from 'key=value; key=value' text (the Keywords of citeqa's own PDFs), validated
    like front matter; ``None`` unless it names a doc_id or doc_type. ``defaults`` fill gaps."""
    items = [kv.split("=", 1) for kv in pairs.split(";") if "=" in kv]
    data: dict[str, object] = {k.strip(): v.strip() for k, v in items if k.strip()}
    if "doc_type" not in data and "doc_id" not in data:
        return None
    for key in ("authors", "evidence"):
        if key in data:
            data[key] = [x.strip() for x in str(data[key]).split(",") if x.strip()]
    for key, value in defaults.items():
        data.setdefault(key, value)
    return metadata_from_front_matter(path, data)


def strip_inline(text: str) -> str:
    """Remove inline markdown: images/links keep their text, emphasis and code marks go."""
    if len(text) > MAX_INLINE:  # hostile input: skip the regexes, drop the marks
        return collapse(text.replace("**", "").replace("`", ""))
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\2", text)
    text = _STAR.sub(r"\1", text)
    text = _UNDER.sub(r"\1", text)
    return collapse(text)


class _Builder:
    """Accumulates paragraphs and list lines of one section."""

    def __init__(self) -> None:
        self.paras: list[str] = []
        self.current: list[str] = []  # lines of the open paragraph
        self.items: list[str] = []  # lines of the open list

    def text_line(self, line: str) -> None:
        if self.items and line.startswith((" ", "\t")):
            self.items[-1] += " " + strip_inline(line)
            return
        self._close_list()
        self.current.append(strip_inline(line))

    def item(self, text: str) -> None:
        self._close_para()
        self.items.append(strip_inline(text))

    def blank(self) -> None:
        self._close_para()
        self._close_list()

    def _close_para(self) -> None:
        para = " ".join(x for x in self.current if x)
        if para:
            self.paras.append(para)
        self.current = []

    def _close_list(self) -> None:
        lines = [x for x in self.items if x]
        if lines:
            self.paras.append("\n".join(lines))
        self.items = []

    def finish(self) -> str:
        self.blank()
        return join_paragraphs(self.paras)


def _body_lines(body: str) -> Iterator[tuple[str, str]]:
    """Yield (kind, payload): 'h1'..'h6', 'item', 'text', 'blank'. Code fences keep their text."""
    in_code = False
    for raw in _COMMENT.sub("", body).split("\n"):
        line = raw.rstrip()
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            yield "blank", ""
            continue
        if in_code:
            yield ("text", line) if line.strip() else ("blank", "")
            continue
        if not line.strip() or _RULE.match(line):
            yield "blank", ""
            continue
        if "|" in line and _TABLE_SEP.match(line):
            continue
        if m := _HEADING.match(line):
            yield f"h{len(m.group(1))}", m.group(2)
        elif m := _BULLET.match(line):
            yield "item", m.group(1)
        elif m := _NUMBERED.match(line):
            yield "item", f"{m.group(1)} {m.group(2)}"
        elif line.lstrip().startswith(">"):
            yield "text", line.lstrip().lstrip(">").strip() or ""
        elif line.lstrip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            yield "item", "; ".join(c for c in cells if c)
        else:
            yield "text", line


def parse_body(body: str, title: str = "") -> tuple[str, list[Section]]:
    """Split a markdown body into sections; returns (H1 title or '', sections).

    A leading ``# H1`` is taken as the document title (not a section) when no ``title``
    is given or it repeats ``title``.
    """
    sections: list[Section] = []
    heading, found_title, seen_heading = "", "", False
    builder = _Builder()
    for kind, payload in _body_lines(body):
        if kind.startswith("h"):
            text = builder.finish()
            if text:
                sections.append(Section(heading, text))
            builder = _Builder()
            name = strip_inline(payload)
            if kind == "h1" and not seen_heading and (not title or name == title) and not sections:
                found_title, heading = name, ""
            else:
                heading = name
            seen_heading = True
        elif kind == "item":
            builder.item(payload)
        elif kind == "text":
            builder.text_line(payload)
        else:
            builder.blank()
    text = builder.finish()
    if text:
        sections.append(Section(heading, text))
    return found_title, sections


def markdown_document(path: Path, text: str) -> Document:
    data, body = split_front_matter(path, text)
    meta = metadata_from_front_matter(path, data)
    h1, sections = parse_body(body, meta.title)
    if not meta.title and h1:
        meta = replace(meta, title=h1)
    return Document(meta=meta, sections=tuple(sections))


class MarkdownLoader(Loader):
    name = "Markdown"
    suffixes = (".md", ".markdown")

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterator[Document]:
        yield markdown_document(path, decode_or_raise(path, data))
