"""Question files in evaluators' formats (issue O): one small file of each, written here, read
into questions; bad lines listed and skipped; unknown keys named once; the scores beside the
verdict. No models: the end-to-end runs are in tests/test_eval_runs.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.formats import detect, load_question_set
from evals.formats.bioasq import score as bioasq_score
from evals.formats.pubmedqa import decision_of
from evals.formats.pubmedqa import score as pubmedqa_score
from evals.formats.ragas import ragas_row
from evals.qbench import RunOptions, choose, result_row, resumable
from evals.qformat import QuestionError
from evals.refscore import aggregate_extra, token_f1

OURS = """{"id": "a", "question": "What was the 4-year DFS?", "expect": {"facts": ["94.8%"], "fact": ["typo"]}, "difficulty": 2}
{"question": "And the relapse rate?", "history": ["What was the 4-year DFS?"], "expect": {"facts": ["4.4%"]}}
{"id": "c", "question": "broken, "expect": {}}
// a comment line
{"id": "d", "question": "What is MRD?", "audience": "family", "difficulty": 1}
{"id": "e", "question": "x", "audience": "doctor"}
"""


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def test_our_jsonl_keeps_unknown_keys_derives_ids_and_skips_bad_lines(tmp_path: Path) -> None:
    f = write(tmp_path, "ours.jsonl", OURS)
    qs = load_question_set(f)
    assert qs.format == "jsonl"
    assert [q.id for q in qs.questions] == ["a", "ours-2", "d"]
    assert qs.questions[0].meta == {"difficulty": 2, "expect.fact": ["typo"]}
    assert qs.questions[1].history == ("What was the 4-year DFS?",)
    assert [s.split(": ")[0] for s in qs.skipped] == [f"{f}:3", f"{f}:6"]
    assert "not JSON" in qs.skipped[0] and "'audience'" in qs.skipped[1]
    assert len(qs.warnings) == 1  # reported once, not once per line
    warning = qs.warnings[0]
    assert "'expect.fact' (1 question; did you mean 'expect.facts'?)" in warning
    assert "'difficulty' (2 questions)" in warning


CSV = """id,question,audience,reference,expected_facts,Notes
c1,What was the 4-year DFS in AALL1731?,clinician,"DFS was 94.8% vs 86.9%.",94.8%;86.9%,from the abstract
,"How is blinatumomab given, and for how long?",family,,,
c3,,clinician,,,an empty question
c4,Too many cells,clinician,,,,extra
c5,What is MRD?,clinician,,,
"""


def test_csv_columns_reference_facts_and_bad_rows(tmp_path: Path) -> None:
    f = write(tmp_path, "sheet.csv", CSV)
    qs = load_question_set(f)
    assert qs.format == "csv"
    assert [q.id for q in qs.questions] == ["c1", "sheet-3", "c5"]
    c1, c2, c5 = qs.questions
    assert c1.reference == "DFS was 94.8% vs 86.9%." and c1.expect.facts == ("94.8%", "86.9%")
    assert c1.expect.abstain is False and c1.meta == {"notes": "from the abstract"}
    assert c2.audience == "family" and c2.question.endswith("for how long?")
    assert not c5.scored and c5.expect.abstain is None  # nothing expected: answered, not scored
    assert [s.split(": ")[0] for s in qs.skipped] == [f"{f}:4", f"{f}:5"]
    assert "'notes'" in qs.warnings[0]


def test_tsv_with_ground_truth_and_json_history(tmp_path: Path) -> None:
    rows = [
        "question\tground_truth\thistory\tabstain\tReviewer",
        'And in infants?\tNot reported.\t["What was the CR rate?"]\ttrue\tkim',
        "Plain one\t\t\t\t",
        "Too many cells\t\t\t\t\textra",
    ]
    f = write(tmp_path, "s.tsv", "\n".join(rows) + "\n")
    qs = load_question_set(f)
    assert qs.format == "tsv" and [s.split(": ")[0] for s in qs.skipped] == [f"{f}:4"]
    assert len(qs.warnings) == 1 and "'reviewer'" in qs.warnings[0]
    first, second = qs.questions
    assert first.meta == {"reviewer": "kim"}
    assert first.history == ("What was the CR rate?",) and first.expect.abstain is True
    assert first.reference == "Not reported." and not second.scored


def test_csv_without_question_column_is_no_questions(tmp_path: Path) -> None:
    with pytest.raises(QuestionError, match="no 'question' column"):
        load_question_set(write(tmp_path, "s.csv", "query,answer\nx,y\n"))


def test_ragas_jsonl_and_json_rows_and_columns(tmp_path: Path) -> None:
    lines = [
        {"user_input": "What is blinatumomab?", "reference": "A BiTE antibody.",
         "reference_contexts": ["Blinatumomab is a BiTE."], "response": "other system"},
        {"question": "And the dose?", "ground_truths": ["Weight-based."], "team": "x"},
        {"reference": "no question here"},
    ]  # fmt: skip
    f = write(tmp_path, "r.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    qs = load_question_set(f)
    assert qs.format == "ragas"
    a, b = qs.questions
    assert (a.id, a.reference, a.reference_contexts) == (
        "r-1",
        "A BiTE antibody.",
        ("Blinatumomab is a BiTE.",),
    )
    assert a.meta == {"response": "other system"} and b.reference == "Weight-based."
    assert qs.skipped == [f"{f}:3: 'user_input' (or 'question') must be a non-empty string"]
    assert "'team'" in qs.warnings[0] and "response" not in qs.warnings[0]
    columns = {"user_input": ["q1", "q2"], "reference": ["r1", "r2"]}
    qs2 = load_question_set(write(tmp_path, "cols.json", columns))
    assert qs2.format == "ragas" and [q.reference for q in qs2.questions] == ["r1", "r2"]
    qs3 = load_question_set(write(tmp_path, "rows.json", [{"question": "q", "id": "x"}]))
    assert [q.id for q in qs3.questions] == ["x"]


PUBMEDQA = {
    "30000001": {
        "QUESTION": "Does blinatumomab improve disease-free survival in standard-risk B-ALL?",
        "CONTEXTS": ["Children were randomized.", "4-year DFS was 96.0% versus 87.9%."],
        "LABELS": ["METHODS", "RESULTS"],
        "MESHES": ["Child"],
        "YEAR": "2024",
        "reasoning_required_pred": "yes",
        "reasoning_free_pred": "yes",
        "final_decision": "yes",
        "LONG_ANSWER": "Blinatumomab improved 4-year DFS (96.0% vs 87.9%).",
    },
    "30000002": {"QUESTION": "", "CONTEXTS": [], "final_decision": "no"},
    "30000003": {
        "QUESTION": "Is it given by continuous infusion?",
        "CONTEXTS": ["It is given as a 28-day continuous infusion."],
        "final_decision": "maybe",
        "LONG_ANSWER": "Yes, over 28 days.",
        "SOURCE": "made up",
    },
}


def test_pubmedqa_questions_and_their_abstracts(tmp_path: Path) -> None:
    f = write(tmp_path, "ori_pqal.json", PUBMEDQA)
    qs = load_question_set(f)
    assert qs.format == "pubmedqa"
    assert [q.id for q in qs.questions] == ["30000001", "30000003"]
    q = qs.questions[0]
    assert q.expect.sources == ("pubmedqa-30000001",) and q.expect.abstain is False
    assert q.gold == {"decision": "yes", "doc_id": "pubmedqa-30000001"}
    assert q.reference.startswith("Blinatumomab improved")
    assert [d.doc_id for d in qs.documents] == ["pubmedqa-30000001", "pubmedqa-30000003"]
    doc = qs.documents[0]
    assert doc.sections == (("METHODS", PUBMEDQA["30000001"]["CONTEXTS"][0]),
                            ("RESULTS", PUBMEDQA["30000001"]["CONTEXTS"][1]))  # fmt: skip
    md = doc.markdown()
    assert "doc_id: pubmedqa-30000001" in md and "## RESULTS" in md and "year: 2024" in md
    assert "QUESTION" not in md and PUBMEDQA["30000001"]["QUESTION"] not in md
    assert qs.skipped == [f"{f}:2: 30000002: empty 'QUESTION'"]
    assert "'SOURCE'" in qs.warnings[0]


def test_pubmedqa_scores_citation_of_own_abstract_and_decision_only_when_generative() -> None:
    from evals.formats import pubmedqa

    q, _ = pubmedqa.entry("30000001", PUBMEDQA["30000001"])
    own = {
        "answer": "Yes: 4-year DFS was 96.0% [1].",
        "citations": [{"doc_id": "pubmedqa-30000001"}],
    }
    other = {"answer": "No [1].", "citations": [{"doc_id": "pubmedqa-30000009"}]}
    assert pubmedqa_score(q, own, generative=False) == {
        "pubmedqa_cites_own_abstract": True,
        "pubmedqa_decision_correct": None,
    }
    assert pubmedqa_score(q, other, generative=False)["pubmedqa_cites_own_abstract"] is False
    assert pubmedqa_score(q, own, generative=True)["pubmedqa_decision_correct"] is True
    assert pubmedqa_score(q, other, generative=True)["pubmedqa_decision_correct"] is False
    abstained = {**own, "abstained": True}
    assert pubmedqa_score(q, abstained, generative=False)["pubmedqa_cites_own_abstract"] is False
    assert decision_of("Maybe [2]. The data are mixed.") == "maybe"
    assert decision_of("The answer is yes.") == ""


BIOASQ = {
    "questions": [
        {
            "id": "b1",
            "body": "Which drug is a CD19-directed bispecific T-cell engager?",
            "type": "factoid",
            "exact_answer": [["blinatumomab", "Blincyto"]],
            "ideal_answer": ["Blinatumomab is a CD19/CD3 BiTE."],
            "documents": ["http://www.ncbi.nlm.nih.gov/pubmed/11111111", "corpus-doc"],
            "snippets": [
                {
                    "text": "Blinatumomab is a bispecific T-cell engager that binds CD19",
                    "document": "http://www.ncbi.nlm.nih.gov/pubmed/11111111",
                },
            ],
        },
        {
            "id": "b2",
            "body": "List two side effects.",
            "type": "list",
            "exact_answer": [["cytokine release syndrome", "CRS"], ["neurotoxicity"]],
        },
        {
            "id": "b3",
            "body": "Is it given by continuous infusion?",
            "type": "yesno",
            "exact_answer": "yes",
            "curated": True,
        },
        {"id": "b4", "type": "summary"},
    ]
}


def test_bioasq_questions(tmp_path: Path) -> None:
    f = write(tmp_path, "bioasq.json", BIOASQ)
    qs = load_question_set(f)
    assert qs.format == "bioasq"
    assert [q.id for q in qs.questions] == ["b1", "b2", "b3"]
    b1 = qs.questions[0]
    assert b1.category == "bioasq-factoid" and b1.expect.sources == ("11111111", "corpus-doc")
    assert b1.gold["exact"] == [["blinatumomab", "Blincyto"]]
    assert b1.reference == "Blinatumomab is a CD19/CD3 BiTE."
    assert qs.skipped == [f"{f}:4: empty 'body'"] and "'curated'" in qs.warnings[0]


def test_bioasq_scores_documents_snippets_and_exact_answers(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, "bioasq.json", BIOASQ)).questions
    answer = {
        "answer": "Blinatumomab is a bispecific T-cell engager [1]. CRS can occur [2].",
        "retrieved": [
            {"rank": 1, "doc_id": "pmid11111111",
             "text": "Blinatumomab is a bispecific T-cell engager (BiTE) that binds CD19 and CD3."},
            {"rank": 2, "doc_id": "pmid111111112", "text": "Unrelated."},
        ],
    }  # fmt: skip
    s1 = bioasq_score(qs[0], answer, generative=False)
    assert s1 == {
        "bioasq_document_recall": 0.5,  # pmid11111111 read; corpus-doc not
        "bioasq_snippet_recall": 1.0,
        "bioasq_exact": 1.0,
    }
    assert bioasq_score(qs[1], answer, generative=False)["bioasq_exact"] == 0.5
    yesno = bioasq_score(qs[2], {"answer": "Yes [1]."}, generative=False)
    assert yesno["bioasq_yesno_correct"] is None  # not scored in the extractive mode
    assert bioasq_score(qs[2], {"answer": "Yes [1]."}, generative=True)["bioasq_yesno_correct"]
    missed = bioasq_score(qs[0], {"answer": "", "abstained": True, "retrieved": []}, False)
    assert missed == {
        "bioasq_document_recall": 0.0,
        "bioasq_snippet_recall": 0.0,
        "bioasq_exact": 0.0,
    }


def test_plain_text_one_question_a_line(tmp_path: Path) -> None:
    f = write(tmp_path, "qs.txt", "What is MRD?\n\n# a comment\nHow long is the infusion?\n")
    qs = load_question_set(f)
    assert qs.format == "text"
    assert [(q.id, q.question) for q in qs.questions] == [
        ("qs-1", "What is MRD?"),
        ("qs-4", "How long is the infusion?"),
    ]
    assert not any(q.scored for q in qs.questions)


def test_detect_by_suffix_and_shape(tmp_path: Path) -> None:
    cases = {
        "a.csv": ("question\nx\n", "csv"),
        "a.tsv": ("question\nx\n", "tsv"),
        "a.txt": ("x\n", "text"),
        "a.jsonl": ('{"id": "a", "question": "x", "expect": {}}\n', "jsonl"),
        "b.jsonl": ('{"user_input": "x"}\n', "ragas"),
        "c.json": (json.dumps(PUBMEDQA), "pubmedqa"),
        "d.json": (json.dumps(BIOASQ), "bioasq"),
        "e.json": ('[{"question": "x"}]', "ragas"),
        "f.data": ('{"question": "x"}\n', "jsonl"),
    }
    for name, (content, fmt) in cases.items():
        assert detect(tmp_path / name, content) == fmt, name
    with pytest.raises(QuestionError, match="--format"):
        detect(tmp_path / "g.data", "just words\n")
    with pytest.raises(QuestionError, match="unknown format"):
        load_question_set(write(tmp_path, "h.jsonl", "{}"), "yaml")


# --- scores beside the verdict --------------------------------------------------------------


def test_token_f1() -> None:
    assert token_f1("The DFS was 94.8% [1].", "DFS was 94.8%") == 1.0
    assert token_f1("", "anything") == 0.0
    assert token_f1("DFS was 94.8%", "DFS was 86.9%") == pytest.approx(2 / 3, abs=1e-4)
    assert token_f1("1,444 children", "1,444 kids") == 0.5  # numbers are whole tokens


def test_result_row_reports_reference_scores_beside_the_verdict(tmp_path: Path) -> None:
    f = write(tmp_path, "s.csv", "id,question,reference\nr,What was DFS?,DFS was 94.8% vs 86.9%.\n")
    q = load_question_set(f).questions[0]
    row = result_row(q, {"answer": "DFS was 94.8% [1].", "abstained": False, "citations": []})
    extra = row["verdict"]["extra"]
    assert extra["reference_f1"] == pytest.approx(0.75)
    assert extra["reference_numbers"] is False and extra["reference_numbers_missing"] == ["86.9"]
    assert row["verdict"]["correct"] is True  # the reference never changes the verdict
    assert row["reference"] == "DFS was 94.8% vs 86.9%." and row["id"] == "r"


def test_aggregate_extra() -> None:
    per_q = [
        {"reference_f1": 0.5, "reference_numbers": True, "pubmedqa_decision_correct": None},
        {"reference_f1": 1.0, "reference_numbers": None, "pubmedqa_decision_correct": None},
        {"reference_numbers": False, "reference_numbers_missing": ["3"]},
    ]
    assert aggregate_extra(per_q) == {
        "reference_f1": {"value": 0.75, "n": 2},
        "reference_numbers": {"value": 0.5, "n": 2},
        "pubmedqa_decision_correct": {"value": "not scored", "n": 0},
    }


# --- ragas.jsonl rows, --resume, --sample and --limit ---------------------------------------


def test_ragas_row_keeps_rank_order_and_citations(tmp_path: Path) -> None:
    q = load_question_set(write(tmp_path, "r.jsonl", '{"user_input": "q?", "reference": "r"}\n'))
    answer = {
        "answer": "It is so [1].",
        "retrieved": [
            {"rank": 2, "chunk_id": "c2", "text": "second"},
            {"rank": 1, "chunk_id": "c1", "text": "first"},
        ],
        "citations": [{"n": 1, "chunk_id": "c1", "passage": "first", "quote": "first"}],
    }
    row = ragas_row(q.questions[0], answer)
    assert row["user_input"] == "q?" and row["response"] == "It is so."
    assert row["retrieved_contexts"] == ["first", "second"]
    assert row["retrieved_context_ids"] == ["c1", "c2"]
    assert row["reference"] == "r" and row["citations"] == answer["citations"]


def test_resumable_reuses_matching_rows_only(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, "q.txt", "one?\ntwo?\nthree?\n")).questions
    rows = [
        {"id": "q-1", "question": "one?", "audience": "clinician", "history": [], "answer": "A",
         "verdict": {"correct": True}},
        {"id": "q-2", "question": "changed?", "audience": "clinician", "history": []},
        {"id": "q-3", "question": "three?", "audience": "clinician", "history": [],
         "error": "boom"},
    ]  # fmt: skip
    results = write(tmp_path, "results.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    with results.open("a") as fh:
        fh.write('{"id": "q-2", "quest')  # a run killed mid-line
    done = resumable(results, qs)
    assert list(done) == ["q-1"]
    assert done["q-1"] == {"question": "one?", "audience": "clinician", "answer": "A"}


def test_choose_sample_then_limit() -> None:
    from evals.qformat import Expect, Question

    qs = [Question(f"q{i}", f"q{i}?", "clinician", Expect()) for i in range(50)]
    a = choose(qs, RunOptions(sample=10, seed=3))
    assert len(a) == 10 and a == choose(qs, RunOptions(sample=10, seed=3))
    assert a != choose(qs, RunOptions(sample=10, seed=4))
    assert [q.id for q in a] == sorted((q.id for q in a), key=lambda i: int(i[1:]))
    assert choose(qs, RunOptions(limit=3)) == qs[:3]
    assert choose(qs, RunOptions(sample=10, seed=3, limit=2)) == a[:2]
