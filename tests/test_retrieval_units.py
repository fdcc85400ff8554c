from citeqa.models import Chunk, Filters, Metadata, ScoredChunk, Sentence
from ingest.store import chroma_where
from rag.retrieval import blend_scores, ce_logit, rrf


def _chunk(cid: str, **meta: object) -> Chunk:
    m = Metadata(doc_id=f"doc-{cid}", **meta)  # type: ignore[arg-type]
    return Chunk(cid, m.doc_id, "text.", "S", None, 0, 0, 5, (Sentence(0, 5),), "l", m)


def _sc(cid: str, s: float = 1.0) -> ScoredChunk:
    return ScoredChunk(_chunk(cid), s, {"x": s})


def test_rrf_prefers_items_ranked_high_in_both() -> None:
    fused = rrf([([_sc("a"), _sc("b"), _sc("c")], 1.0), ([_sc("b"), _sc("c"), _sc("a")], 1.0)])
    assert fused[0].chunk.chunk_id == "b"
    assert all("rrf" in f.scores for f in fused)


def test_rrf_weights() -> None:
    fused = rrf([([_sc("a")], 1.0), ([_sc("b")], 2.0)])
    assert [f.chunk.chunk_id for f in fused] == ["b", "a"]


def test_rrf_is_deterministic_on_ties() -> None:
    fused = rrf([([_sc("b")], 1.0), ([_sc("a")], 1.0)])
    assert [f.chunk.chunk_id for f in fused] == ["a", "b"]


def test_filters_where_and_match() -> None:
    f = Filters(doc_types=("journal-article",), year_min=2020, year_max=2024)
    where = chroma_where(f)
    assert where is not None and "$and" in where
    assert f.matches(_chunk("x", doc_type="journal-article", year=2021))
    assert not f.matches(_chunk("x", doc_type="journal-article", year=2025))
    assert not f.matches(_chunk("x", doc_type="drug-label", year=2021))
    assert not f.matches(_chunk("x", doc_type="journal-article"))
    assert chroma_where(Filters()) is None and Filters().is_empty()
    assert chroma_where(Filters(audience="family")) == {"audience": "family"}
    assert Filters(trial="AALL1731").matches(_chunk("x", trial="AALL1731"))
    assert not Filters(trial="AALL1731").matches(_chunk("x", trial="AALL1331"))


def test_rerank_pool_interleaves_rankings() -> None:
    from rag.retrieval import rerank_pool

    bm25 = [_sc("a"), _sc("b"), _sc("c"), _sc("d")]
    dense = [_sc("x"), _sc("a"), _sc("y"), _sc("z")]
    fused = rrf([(bm25, 1.0), (dense, 1.0)])
    pool, rest = rerank_pool(fused, [bm25, dense], depth=4)
    assert [p.chunk.chunk_id for p in pool] == ["a", "x", "b", "c"]
    assert {r.chunk.chunk_id for r in rest} == {"d", "y", "z"}
    assert all("rrf" in p.scores for p in pool)


def test_blend_zero_weight_is_cross_encoder_alone() -> None:
    assert blend_scores([1.0, 3.0, -2.0], 0.0) == [1.0, 3.0, -2.0]


def test_blend_keeps_top_logit_and_penalises_by_log_rank() -> None:
    out = blend_scores([1.0, 1.0, 1.0, 1.0], 2.0)
    assert out[0] == 1.0
    assert out[1] == 1.0 - 2.0  # log2(2) = 1
    assert out[3] == 1.0 - 4.0  # log2(4) = 2
    assert out == sorted(out, reverse=True)


def test_blend_lets_a_much_better_logit_overtake_the_prior() -> None:
    out = blend_scores([0.0, 5.0], 2.0)
    assert out[1] > out[0]
    out = blend_scores([0.0, 1.5], 2.0)
    assert out[1] < out[0]


def test_ce_logit_reads_raw_rerank_score() -> None:
    sc = ScoredChunk(_chunk("a"), -3.0, {"rerank": 4.5, "blend": -3.0})
    assert ce_logit(sc) == 4.5
    assert ce_logit(_sc("b", 2.0)) == 2.0
