"""`citeqa eval questions` end to end on the shipped corpus (issue O): every input format runs,
bad lines and unknown keys are reported, ragas.jsonl holds what the answerer read, --resume
continues a run, and a PubMedQA-shaped file built from the corpus runs with its abstracts
indexed. The corpus index is shared per session (``corpus_settings``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from evals.qbench import RunOptions, load_questions, run_questions
from evals.qmatch import fact_in
from tests.test_eval_formats import BIOASQ, CSV, OURS, PUBMEDQA

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "evals" / "questions"
CORPUS = REPO / "corpus"
QUIET = RunOptions(progress=False)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- every format runs ----------------------------------------------------------------------

RAGAS_LINE = {"user_input": "What is blinatumomab?", "reference": "A bispecific antibody."}
FILES: dict[str, str] = {
    "ours.jsonl": OURS,
    "sheet.csv": CSV,
    "sheet.tsv": "question\tanswer\tReviewer\nHow long is each blinatumomab cycle?\t28 days\tkim\n"
    "a\tbroken\trow\twith too many cells\n",
    "ragas.jsonl": json.dumps(RAGAS_LINE) + "\n",
    "ragas.json": json.dumps({k: [v] for k, v in RAGAS_LINE.items()}),
    "bioasq.json": json.dumps(BIOASQ),
    "plain.txt": "What is MRD?\n",
}
SKIPPED = {"ours.jsonl": 2, "sheet.csv": 2, "sheet.tsv": 1, "bioasq.json": 1}
WARNED = {"ours.jsonl", "sheet.csv", "sheet.tsv", "bioasq.json"}  # an unknown key or column


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_format_runs_and_reports_skipped_lines(
    name: str, tmp_path: Path, corpus_settings: Any
) -> None:
    f = tmp_path / name
    f.write_text(FILES[name], encoding="utf-8")
    options = RunOptions(limit=None if name == "ours.jsonl" else 1, progress=False)
    summary = run_questions(f, corpus_settings, tmp_path / "out", False, options)
    assert summary["questions"] == (3 if name == "ours.jsonl" else 1)
    assert len(summary["skipped_lines"]) == SKIPPED.get(name, 0)
    rows = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert len(rows) == summary["questions"] and all("verdict" in r for r in rows)
    assert len(read_jsonl(tmp_path / "out" / "ragas.jsonl")) == len(rows)
    report = (tmp_path / "out" / "report.md").read_text()
    for s in summary["skipped_lines"]:
        assert s.split(": ")[0] in report
    assert ("- warning:" in report) == (name in WARNED), report


def test_cli_reports_unknown_keys_and_bad_lines_and_exits_1(
    tmp_path: Path, corpus_settings: Any
) -> None:
    f = tmp_path / "ours.jsonl"
    f.write_text(OURS, encoding="utf-8")
    out = tmp_path / "out"
    args = ["eval", "questions", str(f), "--index", str(corpus_settings.index_dir)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress", "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["questions"] == 3 and summary["format"] == "jsonl"
    assert [s.split(": ")[0] for s in summary["skipped_lines"]] == [f"{f}:3", f"{f}:6"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "did you mean 'expect.facts'?" in warnings[0]
    assert sum(line.startswith("citeqa: skipped") for line in result.stderr.splitlines()) == 2
    rows = {r["id"]: r for r in read_jsonl(out / "results.jsonl")}
    assert rows["a"]["meta"] == {"difficulty": 2, "expect.fact": ["typo"]}
    assert rows["ours-2"]["history"] == ["What was the 4-year DFS?"]


def test_resume_continues_an_interrupted_run(tmp_path: Path, corpus_settings: Any) -> None:
    f = tmp_path / "sheet.csv"
    f.write_text(CSV, encoding="utf-8")
    out = tmp_path / "out"
    first = run_questions(f, corpus_settings, out, False, RunOptions(limit=2, progress=False))
    assert first["questions"] == 2
    before = {r["id"]: r for r in read_jsonl(out / "results.jsonl")}
    with (out / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"id": "c5", "answ')  # killed while writing the third row
    again = run_questions(f, corpus_settings, out, False, RunOptions(resume=True, progress=False))
    assert again["questions"] == 3 and again["resumed"] == 2
    rows = {r["id"]: r for r in read_jsonl(out / "results.jsonl")}
    assert list(rows) == ["c1", "sheet-3", "c5"]
    for i in before:  # reused, not asked again
        assert rows[i]["timings_ms"] == before[i]["timings_ms"]
    assert again["beside"]["reference_f1"]["n"] == 1  # c1 gives a reference
    assert again["scored"] == 1  # the other two expect nothing: answered, not scored


# --- ragas.jsonl for the shipped question set -----------------------------------------------


def test_ragas_jsonl_of_the_shipped_set(tmp_path: Path, corpus_settings: Any) -> None:
    """The whole shipped set (139 questions, about a minute), as `citeqa eval questions
    evals/questions` writes it, loaded back: RAGAS field names, the passages read in rank order
    (the k retrieved, then any standing guidance quoted), every cited passage among them."""
    out = tmp_path / "out"
    run_questions(SHIPPED, corpus_settings, out, False, RunOptions(progress=False))
    results = {r["id"]: r for r in read_jsonl(out / "results.jsonl")}
    ragas = read_jsonl(out / "ragas.jsonl")
    shipped = {q.id: q for q in load_questions(SHIPPED)}
    assert len(ragas) == len(shipped) and [r["id"] for r in ragas] == list(results)
    k = corpus_settings.answer.passages
    cited = 0
    for row in ragas:
        assert {"user_input", "response", "retrieved_contexts", "citations"} <= set(row)
        assert row["user_input"] == shipped[row["id"]].question
        read = results[row["id"]]["retrieved"]
        assert [p["rank"] for p in read] == list(range(1, len(read) + 1))
        assert read and row["retrieved_contexts"] == [p["text"] for p in read]
        assert len([p for p in read if p["score"] != 0.0]) <= k <= len(read)
        assert row["retrieved_context_ids"] == [p["chunk_id"] for p in read]
        assert "[" not in row["response"] or not re.search(r"\[\d+\]", row["response"])
        for c in row["citations"]:
            cited += 1
            assert c["passage"] in row["retrieved_contexts"]
            assert c["chunk_id"] in row["retrieved_context_ids"]
    assert cited > 0


# --- a PubMedQA-shaped file built from the corpus -------------------------------------------


def corpus_sections() -> dict[str, list[tuple[str, list[str]]]]:
    """doc_id -> [(heading, paragraphs)] of the shipped Markdown corpus."""
    docs = {}
    for p in sorted(CORPUS.rglob("*.md")):
        _, front, body = p.read_text(encoding="utf-8").split("---", 2)
        parts = re.split(r"^##\s+(.+)$", body, flags=re.M)
        docs[yaml.safe_load(front)["doc_id"]] = [
            (parts[i].strip(), [x.strip() for x in parts[i + 1].split("\n\n") if x.strip()])
            for i in range(1, len(parts), 2)
        ]
    return docs


def pubmedqa_from_corpus(n: int) -> dict[str, dict[str, Any]]:
    """``n`` PubMedQA entries: a shipped answerable question, as CONTEXTS the section of its
    source document that holds all its facts (each section once), as LONG_ANSWER the paragraph
    holding the first fact."""
    docs = corpus_sections()
    out: dict[str, dict[str, Any]] = {}
    used: set[tuple[str, str]] = set()
    for q in load_questions(SHIPPED):
        e = q.expect
        if e.abstain is not False or not e.facts or q.history or len(out) == n:
            continue
        for heading, paras in (s for src in e.sources for s in docs.get(src, [])):
            key = (q.expect.sources[0], heading)
            if key in used or not all(any(fact_in(f, p) for p in paras) for f in e.facts):
                continue
            used.add(key)
            out[str(31000000 + len(out))] = {
                "QUESTION": q.question,
                "CONTEXTS": paras,
                "LABELS": [heading.upper()] * len(paras),
                "MESHES": [],
                "YEAR": "2025",
                "reasoning_required_pred": "yes",
                "reasoning_free_pred": "yes",
                "final_decision": "yes",
                "LONG_ANSWER": next(p for p in paras if fact_in(e.facts[0], p)),
            }
            break
    assert len(out) == n
    return out


def test_pubmedqa_file_from_the_corpus_runs_end_to_end(tmp_path: Path) -> None:
    from citeqa.settings import get_settings

    assert set(PUBMEDQA["30000001"]) >= {"QUESTION", "CONTEXTS", "LONG_ANSWER"}  # same shape
    f = tmp_path / "ori_pqal.json"
    f.write_text(json.dumps(pubmedqa_from_corpus(20)), encoding="utf-8")
    settings = get_settings(index_dir=tmp_path / "empty-user-index")  # never used: own index
    out = tmp_path / "out"
    summary = run_questions(f, settings, out, False, QUIET)
    assert summary["format"] == "pubmedqa" and summary["questions"] == 20
    beside = summary["beside"]
    assert beside["pubmedqa_decision_correct"] == {"value": "not scored", "n": 0}
    assert beside["pubmedqa_cites_own_abstract"]["n"] == 20
    assert beside["reference_f1"]["n"] == 20
    rows = read_jsonl(out / "results.jsonl")
    own = [r["verdict"]["extra"]["pubmedqa_cites_own_abstract"] for r in rows]
    assert beside["pubmedqa_cites_own_abstract"]["value"] == round(sum(own) / 20, 4)
    for r, cites_own in zip(rows, own, strict=True):  # answered from the file's abstracts only
        cited = {c["doc_id"] for c in r["citations"]}
        assert all(d.startswith("pubmedqa-310000") for d in cited)
        assert cites_own == (f"pubmedqa-{r['id']}" in cited and not r["abstained"])
        assert r["verdict"]["source_hit"] == cites_own  # judge's source check agrees
    assert any(own)
    report = (out / "report.md").read_text()
    assert "## Beside our metrics" in report and "not scored" in report
    ragas = read_jsonl(out / "ragas.jsonl")
    assert all(r["reference"] for r in ragas)
