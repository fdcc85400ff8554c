"""The retrieval-scale bench (``evals.scale``, ``citeqa eval scale``) on a tiny store tiled from
real SciFact abstracts.

The full SciFact corpus takes minutes to embed, so the tests tile the first abstracts of
../shared/benchmarks/scifact (copied into the test's temporary folder, never into the repo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from citeqa.settings import Settings
from evals.bench import in_fresh_process, peak_rss_mb
from evals.scale import NOISE, run_scale, tile
from ingest.worker import parse_file
from tests.conftest import shared_or_skip


def scifact_head(tmp_path: Path, abstracts: int, queries: int) -> Path:
    """A BEIR folder holding the first ``abstracts`` SciFact abstracts and ``queries`` queries."""
    src = shared_or_skip("benchmarks", "scifact")
    out = tmp_path / "scifact-head"
    out.mkdir()
    for name, n in (("corpus.jsonl", abstracts), ("queries.jsonl", queries)):
        lines = (src / name).read_text(encoding="utf-8").splitlines()[:n]
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_a_tile_copies_the_chunks_under_new_ids_with_noisy_unit_vectors(tmp_path: Path) -> None:
    folder = scifact_head(tmp_path, abstracts=10, queries=1)
    settings = Settings(index_dir=tmp_path / "ix")
    chunks = [c for _, cs in parse_file(folder / "corpus.jsonl", settings) for c in cs]
    rng = np.random.default_rng(7)  # stand-in vectors: the embedder is not what is tested
    vecs = rng.normal(size=(len(chunks), 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    c0, v0 = tile(chunks, vecs, 0, np.random.default_rng(0))
    c1, v1 = tile(chunks, vecs, 1, np.random.default_rng(0))
    assert v0 is vecs  # tile 0 keeps the exact vectors
    assert [c.text for c in c1] == [c.text for c in chunks]  # the real texts, repeated
    assert {c.doc_id for c in c1} == {f"{c.doc_id}~t1" for c in chunks}
    assert all(c.meta.doc_id == c.doc_id for c in c1)
    ids = [c.chunk_id for c in (*chunks, *c0, *c1)]
    assert len(set(ids)) == len(ids)  # every copy has its own chunk id
    np.testing.assert_allclose(np.linalg.norm(v1, axis=1), 1.0, rtol=1e-5)
    cos = np.sum(v1 * vecs, axis=1)
    assert cos.min() > 0.99 and cos.max() < 1.0  # near their source, never equal
    # sigma NOISE per dimension (less the part along the vector, which normalising removes)
    assert (v1 - vecs).std() == pytest.approx(NOISE, rel=0.15)
    _, again = tile(chunks, vecs, 1, np.random.default_rng(0))
    np.testing.assert_array_equal(again, v1)  # seeded


@pytest.mark.slow
def test_run_scale_tiles_a_store_of_n_chunks_and_times_retrieval_over_it(tmp_path: Path) -> None:
    folder = scifact_head(tmp_path, abstracts=25, queries=4)
    settings = Settings(index_dir=tmp_path / "ix", data_dir=tmp_path / "data")
    res = run_scale(folder, 200, settings, tmp_path / "work", n_queries=4)
    assert 25 <= res["source_chunks"] < 100  # so the store holds three or more tiles
    assert res["store"]["chunks"] == 200 and res["chunks"] == 200
    assert res["host_restart"]["rows"] == 200
    q = res["queries"]
    for mode in ("bm25", "dense", "hybrid"):
        assert len(q[mode]) == 3  # passes
        assert all(0 < p["p50"] <= p["p95"] for p in q[mode]), q[mode]
    assert q["peak_rss_mb"] > 100
    again = run_scale(folder, 200, settings, tmp_path / "work", n_queries=4)
    assert "store" not in again and again["chunks"] == 200  # the tiled store is reused


def _own_peak() -> dict[str, float]:
    return {"peak_rss_mb": peak_rss_mb()}


def test_a_job_process_reports_its_own_peak_memory_not_its_parents() -> None:
    """ru_maxrss survives exec on Linux: a job spawned by a process that once held 500 MB
    reported 500 MB or more, whatever the job itself used (every scale job showed the same
    figure). peak_rss_mb reads the job's own high-water mark."""
    held = bytearray(500 * 2**20)  # zero-filled, so resident
    assert peak_rss_mb() > 500
    child = in_fresh_process(_own_peak)
    del held
    assert child["peak_rss_mb"] < 350
