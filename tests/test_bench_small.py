"""Small end-to-end runs of `citeqa eval beir` and `citeqa bench`, plus their pure helpers.

No timing assertions: only keys, counts and sane ranges.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from citeqa.settings import Settings
from evals.beir import by_document, chunk_depth, parse_qrels, run_beir
from evals.bench import BenchPlan, markdown_table, parse_sizes, run_bench, stage_stats
from evals.bench_report import summarize
from evals.corpus_gen import as_document, make_doc, questions, write_corpus

DOCS = {
    "d1": (
        "Tomato blight",
        "Late blight of tomato plants is caused by a water mould that spreads in wet weather.",
    ),
    "d2": (
        "Glacier retreat",
        "Alpine glaciers lost much of their ice mass as summer temperatures rose.",
    ),
    "d3": (
        "Bee navigation",
        "Honey bees use the waggle dance to tell hive mates where flowers grow.",
    ),
    "d4": (
        "Bridge cables",
        "Steel suspension bridge cables corrode when salt water reaches the wires.",
    ),
    "d5": ("Sourdough", "Wild yeast and lactic bacteria make sourdough bread rise and taste sour."),
    "d6": ("Volcanic soil", "Ash from old eruptions makes volcanic soil rich for coffee farms."),
    "d7": ("Owl hearing", "Barn owls locate mice in darkness by the timing of sounds at each ear."),
    "d8": (
        "Chess engines",
        "Modern chess engines evaluate positions with neural networks and search.",
    ),
}
QUERIES = {
    "q1": "how do barn owls find mice in the dark",
    "q2": "why do bridge cables corrode",
    "q3": "what makes sourdough bread rise",
    "q9": "a query without judgements",
}
QRELS = {"q1": "d7", "q2": "d4", "q3": "d5"}


def make_beir(root: Path, with_test: bool = False) -> Path:
    root.mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "title": t, "text": x}) for k, (t, x) in DOCS.items()),
        encoding="utf-8",
    )
    (root / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in QUERIES.items()), encoding="utf-8"
    )
    (root / "qrels").mkdir()
    rows = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, d in QRELS.items())]
    (root / "qrels" / "train.tsv").write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return root


def last_json(text: str) -> dict[str, Any]:
    return json.loads(text.strip().splitlines()[-1])


# -- pure helpers ----------------------------------------------------------------------------


def test_parse_qrels_crlf_header_and_errors() -> None:
    q = parse_qrels("query-id\tcorpus-id\tscore\r\n1\tA\t1\r\n1\tB\t2\r\n2\tC\t0\r\n\r\n")
    assert q == {"1": {"A": 1, "B": 2}, "2": {"C": 0}}
    with pytest.raises(ValueError, match="line 2"):
        parse_qrels("query-id\tcorpus-id\tscore\n1\tA\n")
    with pytest.raises(ValueError, match="not a number"):
        parse_qrels("1\tA\tx\n")


def test_by_document_keeps_best_chunk_rank_and_cuts() -> None:
    assert by_document(["a", "b", "a", "c", "b", "d"], k=3) == ["a", "b", "c"]
    assert by_document([], k=5) == []


def test_chunk_depth_scales_with_chunks_per_doc() -> None:
    assert chunk_depth(1000, 1000) == 150
    assert chunk_depth(2300, 1000) == 345
    assert chunk_depth(5, 0) == 150
    assert chunk_depth(10**7, 10) == 2000


def test_parse_sizes() -> None:
    assert parse_sizes("1000,10_000, 100000") == (1000, 10000, 100000)
    with pytest.raises(ValueError):
        parse_sizes("0")
    with pytest.raises(ValueError):
        parse_sizes("")


def test_stage_stats() -> None:
    s = stage_stats([{"retrieve": 10.0, "total": 20.0}, {"retrieve": 30.0, "total": 40.0}])
    assert s["retrieve"] == {"p50": 20.0, "p95": 29.0}
    assert set(s) == {"retrieve", "total"}


def test_corpus_gen_is_deterministic_and_prefix_stable(tmp_path: Path) -> None:
    assert make_doc(5) == make_doc(5)
    assert make_doc(5) != make_doc(6) and make_doc(5) != make_doc(5, seed=1)
    doc = make_doc(3)
    assert [h for h, _ in doc.sections] == ["Background", "Methods", "Results", "Conclusions"]
    assert "synthetic" in doc.title and doc.trial.startswith("SYN-")
    small = write_corpus(tmp_path / "a", 40)
    big = write_corpus(tmp_path / "b", 120)
    assert small.chunks >= 40 and big.chunks >= 120 and big.docs > small.docs
    for f in sorted((tmp_path / "a").glob("*.md")):
        assert f.read_text() == (tmp_path / "b" / f.name).read_text()
    beir = write_corpus(tmp_path / "c", 40, fmt="beir")
    lines = (tmp_path / "c" / "corpus.jsonl").read_text().splitlines()
    assert beir.files == 1 and len(lines) == beir.docs
    assert json.loads(lines[0])["_id"] == make_doc(0).doc_id
    assert as_document(doc, "beir").sections[0].text == " ".join(doc.body().split())
    qs = questions(7, n_docs=10)
    assert len(qs) == 7 and qs == questions(7, n_docs=10)
    assert all(q.endswith("?") for q in qs)


def test_generated_markdown_parses_to_the_expected_document(tmp_path: Path) -> None:
    from ingest.loaders import load_file

    write_corpus(tmp_path, 10)
    f = sorted(tmp_path.glob("*.md"))[0]
    doc = load_file(f)[0]
    want = as_document(make_doc(0))
    assert doc.doc_id == want.doc_id and doc.sections == want.sections
    assert doc.meta.trial == want.meta.trial and doc.meta.year == want.meta.year


def one_run(ingest_s: float, lc_s: float, total_p95: float) -> dict[str, Any]:
    stages = {
        "retrieve": {"p50": 5.0, "p95": 9.0},
        "cross-encoder": {"p50": 100.0, "p95": 120.0},
        "total": {"p50": 200.0, "p95": total_p95},
    }
    ours = {
        "chunks": 201,
        "ingest_s": ingest_s,
        "embed_s": ingest_s * 0.9,
        "chunks_per_s": 201 / ingest_s,
        "raw_encode": {"chunks_per_s": 150.0},
        "reingest_s": 0.02,
        "queries": {"measured": "answer", "stages": stages, "cold_first_ms": 900.0},
        "peak_rss_mb": 900.0,
    }
    lc = {"ingest_s": lc_s, "chunks": 190, "chunks_per_s": 190 / lc_s, "peak_rss_mb": 800.0}
    startup = {"total": 2500.0, "index": 40.0}
    return {
        "ours": ours,
        "langchain": lc,
        "speedup_vs_langchain": lc_s / ingest_s,
        "startup": startup,
    }


def test_summary_is_median_min_max_and_ratios_within_runs() -> None:
    runs = [one_run(2.0, 3.0, 250.0), one_run(1.0, 3.0, 280.0), one_run(4.0, 4.0, 300.0)]
    s = summarize(runs)
    assert s["ingest_s"] == {"median": 2.0, "min": 1.0, "max": 4.0, "n": 3}
    assert s["speedup_vs_langchain"]["median"] == 1.5  # 1.5, 3.0, 1.0
    assert s["of_raw"]["median"] == pytest.approx(201 / 2.0 / 150.0)
    assert s["ce_share"]["median"] == 0.5 and s["answer_p95"]["max"] == 300.0
    assert s["restart_index_ms"]["median"] == 40.0
    no_lc = summarize([{k: v for k, v in runs[0].items() if k != "langchain"}])
    assert "lc_ingest_s" not in no_lc and "ingest_s" in no_lc


def test_markdown_table_formats_rows() -> None:
    runs = [one_run(2.0, 3.0, 250.0), one_run(1.0, 3.0, 280.0), one_run(4.0, 4.0, 300.0)]
    result = {
        "meta": {"embedder": "minilm", "chunk_size": 900, "mode": "hybrid", "questions": 5}
        | {"measured": "answer", "cpus": 2, "runs": 3},
        "sizes": [{"size": 200, "docs": 50, "runs": runs, "summary": summarize(runs)}],
    }
    md = markdown_table(result)
    header, sep, row = md.splitlines()[:3]
    assert header.count("|") == sep.count("|") == row.count("|")
    assert "| 201 | 2.0 (1.0-4.0) |" in row and "1.50x (1.00-3.00)" in row
    assert "280 (250-300)" in row


# -- end to end ------------------------------------------------------------------------------


def test_run_beir_tiny_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_beir(tmp_path / "tiny")
    settings = Settings(data_dir=tmp_path / "state", index_dir=tmp_path / "unused")
    run_beir(data, "train", "bm25", settings, as_json=True)
    res = last_json(capsys.readouterr().out)
    keys = {"ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms", "retriever", "embedder"}
    assert keys | {"queries"} <= set(res)
    assert res["retriever"] == "bm25" and res["embedder"] == settings.embedder.name
    assert res["queries"] == 3  # q9 has no judgements
    assert res["ndcg@10"] > 0.6 and res["mrr@10"] > 0.6 and res["recall@100"] == 1.0
    assert 0 <= res["p50_ms"] <= res["p95_ms"]
    assert res["index"]["chunks"] == len(DOCS) and res["index"]["new_chunks"] == len(DOCS)
    assert str(tmp_path / "state" / "beir") in res["index"]["path"]
    assert not (tmp_path / "unused").exists()  # the main index is never touched

    run_beir(data, "train", "hybrid+rerank", settings, as_json=True)
    res2 = last_json(capsys.readouterr().out)
    assert res2["retriever"] == "hybrid+rerank"
    assert res2["index"]["new_chunks"] == 0  # reused, not re-embedded
    assert res2["ndcg@10"] > 0.6 and res2["recall@100"] == 1.0
    assert "rerank" in res2["stages_p50_ms"]


def test_run_beir_missing_split_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_beir(tmp_path / "tiny")
    settings = Settings(data_dir=tmp_path / "state")
    with pytest.raises(SystemExit) as exc:
        run_beir(data, "test", None, settings, as_json=True)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "test.tsv" in err and "split" in err


def test_run_bench_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(data_dir=tmp_path / "state", index_dir=tmp_path / "unused")
    out = tmp_path / "out"
    plan = BenchPlan(sizes=(200,), out=out, n_questions=3, runs=1)
    result = run_bench(settings, as_json=True, plan=plan)
    printed = last_json(capsys.readouterr().out)
    assert printed["sizes"][0]["size"] == 200
    row = result["sizes"][0]["runs"][0]
    ours, lc = row["ours"], row["langchain"]
    assert ours["chunks"] >= 200 and ours["failed"] == 0
    assert ours["reingest_skipped"] == ours["files"] == result["sizes"][0]["docs"]
    assert ours["chunks_per_s"] > 0 and ours["raw_encode"]["texts"] >= 200
    assert {"retrieve", "total"} <= set(ours["queries"]["stages"])
    assert ours["peak_rss_mb"] > 50 and lc["peak_rss_mb"] > 50
    assert lc["docs"] == result["sizes"][0]["docs"] and lc["chunks"] > 0
    assert row["speedup_vs_langchain"] > 0
    assert row["startup"]["total"] > row["startup"]["pipeline"] > 0  # a restart over the index
    assert result["sizes"][0]["summary"]["answer_p95"]["n"] == 1
    for name in ("bench.md", "bench.json", "bench.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        json.loads((out / "bench.json").read_text())["sizes"][0]["docs"]
        == result["sizes"][0]["docs"]
    )


def test_bench_cli_without_langchain(tmp_path: Path) -> None:
    """`citeqa bench --no-langchain`: our figures only; the LangChain cells read "-"."""
    from typer.testing import CliRunner

    from cli.main import app

    out = tmp_path / "out"
    env = {"CITEQA_DATA_DIR": str(tmp_path / "state")}
    res = CliRunner().invoke(
        app,
        ["bench", "--sizes", "60", "--no-langchain", "--runs", "1", "--json", "--out", str(out)],
        env=env,
    )
    assert res.exit_code == 0, res.output
    row = json.loads((out / "bench.json").read_text())["sizes"][0]["runs"][0]
    assert "langchain" not in row and "speedup_vs_langchain" not in row
    assert row["ours"]["chunks"] >= 60
    assert "| - | - |" in (out / "bench.md").read_text()
