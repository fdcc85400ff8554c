"""Cell accuracy of comparison tables (issue P), computed from the answer alone.

An answer's ``table`` (``Answer.to_json()["table"]``) has one row per side (a study, report,
arm, subgroup or time point) and one column per asked outcome; every cell cites one quote.
Each cell is one of:

- a *figure* cell: its text has a number (a grade such as "grade ≥ 3" alone is no figure).
  It is **correct** when all three rules hold:

  (a) *numbers*: every number of the cell text occurs in the quote of the citation the cell
      cites (values compared by :mod:`ingest.numbers`, as the judge does);
  (b) *row*: the quote or its document is about the row: the row label is named in the quote,
      or is the cited document's ``trial``; a time-point row ("4-year") needs that time point in
      the quote; a report or author-year row ("N Engl J Med, Dec 2024", "Locatelli 2021") needs
      every word of its label (a closing date aside) in the cited document's reference, title
      or doc id;
  (c) *outcome*: the column's outcome is named in the quote: the column name, its short or
      long form (the profile's abbreviations, or a "long form (SHORT)" pair the cited passage
      defines), or one of the profile's ``evidence.outcomes`` names for it. The "Result"
      column names no outcome and is not checked.

- a *not-reported* cell (the profile's ``not_reported`` text): counted apart, not in the
  accuracy. It is *contradicted* when a sentence of a passage the answer cites, about that
  row (rule b) and naming the column's outcome (rule c), states a figure: the answer held the
  value and the table said "not reported".
- a *text* cell (no figure, e.g. "CRS occurred in none of the patients"): counted, not scored.

The population column is built from document metadata, not from a quote, and is left out.
``cell accuracy`` = correct figure cells / figure cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.numbers import extract_numbers, numbers_supported
from ingest.sentences import sentences
from rag.lexicon import abbreviation_pairs, norm
from rag.timepoint import time_points

CellKind = Literal["figure", "not-reported", "text"]
_GRADE = re.compile(r"\bgrades?\s*(?:[≥>≤<]=?\s*)?\d(?:\s*(?:-|to|or)\s*\d)?", re.I)
_WORD = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d.,%])")
_ANY_ARM = {"arm", "arms", "group", "groups", "patients", "pts", "kids", "children", "alone"}
_ANY_ARM |= {"only", "the", "and", "of", "in", "with", "on"}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class CellVocab:
    """The words the rules read: outcome names and abbreviations (from the domain profile)."""

    outcomes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # column -> regexes
    abbreviations: Mapping[str, str] = field(default_factory=dict)  # short -> long form
    not_reported: str = "not reported"
    population_column: str = "Population"
    result_column: str = "Result"  # rag.compare.RESULT: a table without a named outcome


def vocab_of(profile_name: str) -> CellVocab:
    """The :class:`CellVocab` of a domain profile (``Settings.profile``)."""
    from citeqa.domain import load_profile

    p = load_profile(profile_name)
    return CellVocab(
        outcomes={k: tuple(v) for k, v in p.evidence.outcomes.items()},
        abbreviations=dict(p.vocabulary.abbreviations),
        not_reported=p.evidence.not_reported,
        population_column=p.evidence.population_column,
    )


@dataclass(frozen=True)
class CellCheck:
    """The verdict on one table cell; ``correct`` is None for cells that are not scored."""

    row: str
    column: str
    text: str
    citation: int | None
    kind: CellKind
    correct: bool | None
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "text": self.text,
            "citation": self.citation,
            "kind": self.kind,
            "correct": self.correct,
            "reasons": list(self.reasons),
        }


# ---------------------------------------------------------------------------------------------
# The three rules


def has_figure(text: str) -> bool:
    """A number that is a result: any number once grades ("grade ≥ 3") and years
    ("presented in 2025") are set aside."""
    return bool(extract_numbers(_YEAR.sub(" ", _GRADE.sub(" ", text))))


def missing_numbers(text: str, quote: str) -> list[str]:
    """Rule (a): the numbers of ``text`` that do not occur in ``quote`` (as written)."""
    return [n.raw for n in numbers_supported(text, [quote])]


def _phrase(text: str) -> re.Pattern[str]:
    """``text`` as a whole-word, case-insensitive pattern (hyphen or space between words)."""
    words = [re.escape(w) for w in re.split(r"[\s\-‐–]+", text.strip()) if w]
    return re.compile(r"(?<![^\W_])" + r"[\s\-‐–]+".join(words) + r"(?![^\W_])", re.I)


def outcome_patterns(column: str, vocab: CellVocab, passage: str = "") -> list[re.Pattern[str]]:
    """Rule (c)'s names of a column's outcome: the name, its short/long forms (profile and the
    pairs ``passage`` defines), the profile's outcome regexes."""
    names = {column}
    pairs = [*vocab.abbreviations.items(), *abbreviation_pairs(passage)]
    for short, long in pairs:
        if short == column:
            names.add(long)
        elif long.lower() == column.lower():
            names.add(short)
    pats = [_phrase(n) for n in sorted(names)]
    return pats + [re.compile(p, re.I) for p in vocab.outcomes.get(column, ())]


def outcome_named(column: str, text: str, vocab: CellVocab, passage: str = "") -> bool:
    """Rule (c): ``text`` names the column's outcome."""
    return any(p.search(text) for p in outcome_patterns(column, vocab, passage))


def _label_words(label: str) -> list[str]:
    """Lower-case words of a report or author-year label, its closing date part dropped."""
    parts = [p.strip() for p in label.split(",")]
    last = _WORD.findall(parts[-1].lower()) if len(parts) > 1 else []
    if last and all(w[:3] in _MONTHS or (w.isdigit() and len(w) == 4) for w in last):
        parts = parts[:-1]
    return _WORD.findall(" ".join(parts).lower())


def row_named(
    label: str, cite: Mapping[str, Any], text: str, trials: Iterable[str], vocab: CellVocab | None = None
) -> bool:  # fmt: skip
    """Rule (b): ``text`` (a quote, or a sentence of ``cite``'s passage) or its document
    ``cite`` is about the row ``label``; ``trials``: the trial names of the answer's citations
    (a label that is one of them must be named or be the document's trial). An arm or
    subgroup row is named by its words in their long form (:func:`arm_named`)."""
    wanted = time_points(label)
    if wanted and norm(label) == norm(str(wanted[0])):
        return any(t in time_points(text) for t in wanted)
    key = norm(label)
    if key and (key in norm(text) or key == norm(str(cite.get("trial") or ""))):
        return True
    if key in {norm(t) for t in trials}:
        return False
    return _report_row(label, cite) or arm_named(label, text, vocab or CellVocab())


def _report_row(label: str, cite: Mapping[str, Any]) -> bool:
    """Every word of a report or author-year label is in the document's reference, title or
    doc id."""
    words = _label_words(label)
    fields = " ".join(str(cite.get(k) or "") for k in ("reference", "title", "doc_id"))
    have = set(_WORD.findall(fields.lower()))
    return bool(words) and all(w in have for w in words)


def arm_named(label: str, text: str, vocab: CellVocab) -> bool:
    """``text`` names the arm or subgroup ``label`` ("SR-avg", "control arms", "chemo
    alone"): every word of it, read in its long form (the profile's abbreviations) and
    leaving out words any arm has (arm, group, alone...), begins a word of ``text`` (its first
    five letters)."""
    long = {k.lower(): v for k, v in vocab.abbreviations.items()}
    words = [w for x in label.split() for w in _WORD.findall(long.get(x.lower(), x).lower())]
    words = [w for w in words if w not in _ANY_ARM]
    have = _WORD.findall(text.lower())
    return bool(words) and all(any(h.startswith(w[:5]) for h in have) for w in words)


def row_in_cell(label: str, cite: Mapping[str, Any], cell_text: str, vocab: CellVocab) -> bool:
    """Rule (b) for a row that is not a time point, the document's trial or its report (an
    arm or subgroup): the cell's own text names it, not only its quote (a quote often gives
    both arms)."""
    wanted = time_points(label)
    if wanted and norm(label) == norm(str(wanted[0])):
        return True
    if norm(label) == norm(str(cite.get("trial") or "")) or _report_row(label, cite):
        return True
    return not arm_named(label, str(cite.get("quote", "")), vocab) or arm_named(
        label, cell_text, vocab
    )


# ---------------------------------------------------------------------------------------------
# Cells and answers


def _trials(cites: Mapping[int, Mapping[str, Any]]) -> list[str]:
    return [str(c["trial"]) for c in cites.values() if c.get("trial")]


def check_figure(
    row: str, column: str, cell: Mapping[str, Any], cites: Mapping[int, Mapping[str, Any]],
    vocab: CellVocab,
) -> CellCheck:  # fmt: skip
    """The verdict on a figure cell (rules a, b, c)."""
    text, n = str(cell.get("text", "")), cell.get("citation")
    cite = cites.get(n) if isinstance(n, int) else None
    if cite is None:
        why = "cites nothing" if n is None else f"cites [{n}], not a citation of the answer"
        return CellCheck(row, column, text, n, "figure", False, (why,))
    quote, passage = str(cite.get("quote", "")), str(cite.get("passage", ""))
    reasons = []
    if missing := missing_numbers(text, quote):
        reasons.append(f"numbers not in quote [{n}]: " + ", ".join(missing))
    if not row_named(row, cite, quote, _trials(cites), vocab):
        reasons.append(f"quote [{n}] is not about {row} (trial {cite.get('trial') or 'none'})")
    elif not row_in_cell(row, cite, text, vocab):
        reasons.append(f"the cell's text does not name {row} (its quote [{n}] does)")
    if column != vocab.result_column and not outcome_named(column, quote, vocab, passage):
        reasons.append(f"quote [{n}] does not name {column}")
    return CellCheck(row, column, text, n, "figure", not reasons, tuple(reasons))


def reported_elsewhere(
    row: str, column: str, cites: Mapping[int, Mapping[str, Any]], vocab: CellVocab
) -> list[str]:
    """Sentences of the cited passages about ``row`` that state a figure of ``column``'s
    outcome, as "[n] sentence" (empty: "not reported" is right as far as the answer shows)."""
    if column == vocab.result_column:
        return []
    found, trials = [], _trials(cites)
    for n, cite in sorted(cites.items()):
        passage = str(cite.get("passage") or cite.get("quote") or "")
        for s in sentences(passage):
            if (
                has_figure(s)
                and outcome_named(column, s, vocab, passage)
                and row_named(row, cite, s, trials, vocab)
            ):
                found.append(f"[{n}] {s}")
    return found


def check_cell(
    row: str, cell: Mapping[str, Any], cites: Mapping[int, Mapping[str, Any]], vocab: CellVocab
) -> CellCheck | None:
    """The verdict on one cell; None for the population column (metadata, not a quote)."""
    column, text = str(cell.get("slot", "")), str(cell.get("text", ""))
    if column == vocab.population_column:
        return None
    if text.strip().lower() == vocab.not_reported.lower():
        held = reported_elsewhere(row, column, cites, vocab)
        why = tuple(f"contradicted by {s[:160]}" for s in held[:2])
        return CellCheck(row, column, text, None, "not-reported", not held, why)
    if not has_figure(text):
        return CellCheck(row, column, text, cell.get("citation"), "text", None)
    return check_figure(row, column, cell, cites, vocab)


def check_answer(answer: Mapping[str, Any], vocab: CellVocab) -> list[CellCheck]:
    """The verdicts on every cell of an answer's table ([] without a table, when it abstained
    or ended in an error)."""
    table = answer.get("table")
    if not table or answer.get("abstained") or answer.get("error"):
        return []
    cites = {int(c["n"]): c for c in answer.get("citations") or []}
    out = []
    for row in table.get("rows") or []:
        for cell in row.get("cells") or []:
            checked = check_cell(str(row.get("label", "")), cell, cites, vocab)
            if checked is not None:
                out.append(checked)
    return out


# ---------------------------------------------------------------------------------------------
# Totals


def cell_counts(checks: Sequence[CellCheck], vocab: CellVocab) -> dict[str, Any]:
    """Counts and the accuracy of a list of cell verdicts (None when there is no figure);
    ``result_column_cells``: figure cells of a "Result" column (rule c not applied)."""
    figures = [c for c in checks if c.kind == "figure"]
    nr = [c for c in checks if c.kind == "not-reported"]
    correct = sum(bool(c.correct) for c in figures)
    return {
        "figure_cells": len(figures),
        "correct_cells": correct,
        "cell_accuracy": round(correct / len(figures), 4) if figures else None,
        "not_reported_cells": len(nr),
        "not_reported_contradicted": sum(c.correct is False for c in nr),
        "text_cells": sum(c.kind == "text" for c in checks),
        "result_column_cells": sum(c.column == vocab.result_column for c in figures),
    }


def cell_summary(
    rows: Iterable[tuple[str, str, Mapping[str, Any]]], vocab: CellVocab
) -> dict[str, Any]:
    """``table_cells`` of summary.json from ``(id, category, answer)`` rows: the counts over
    every answer with a table, per category, and every failing cell."""
    per_answer = [(i, cat, check_answer(a, vocab)) for i, cat, a in rows]
    tabled = [(i, cat, cs) for i, cat, cs in per_answer if cs]
    cats = sorted({cat for _, cat, _ in tabled})
    return {
        "answers_with_table": len(tabled),
        **cell_counts([c for _, _, cs in tabled for c in cs], vocab),
        "by_category": {
            cat: {
                "answers_with_table": sum(k == cat for _, k, _ in tabled),
                **cell_counts([c for _, k, cs in tabled if k == cat for c in cs], vocab),
            }
            for cat in cats
        },
        "failures": [
            {"id": i, "category": cat, **c.to_json()}
            for i, cat, cs in tabled
            for c in cs
            if c.correct is False
        ],
    }
