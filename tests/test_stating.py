"""Passages below the top k that state the asked figure are added for the sentence scorer."""

from citeqa.models import Document, Metadata, ScoredChunk, Section
from citeqa.settings import ChunkingSettings
from ingest.chunking import chunk_document
from rag.answer import STATING_EXTRA, stating
from rag.extractive import states_asked
from rag.question import analyse

Q = "What was the 4-year disease-free survival in AALL1731 with and without blinatumomab?"


def _passage(doc_id: str, text: str, title: str = "AALL1731 update") -> ScoredChunk:
    doc = Document(Metadata(doc_id=doc_id, title=title), (Section("Results", text),))
    chunk = chunk_document(doc, ChunkingSettings(size=900, overlap=0, min_size=0))[0]
    return ScoredChunk(chunk, 0.01, {"rrf": 0.01})


FIGURE = _passage(
    "a", "In AALL1731, 4-year DFS was 94.8% with blinatumomab versus 86.9% without it."
)
NO_FIGURE = _passage("b", "The update reports 4-year disease-free survival (DFS) in AALL1731.")
OTHER_MEASURE = _passage("c", "In AALL1731, the 4-year relapse rate was 4.4% versus 12.6%.")
OTHER_TRIAL = _passage("d", "In E1910, 4-year DFS was 80% versus 64%.", title="E1910 report")
OTHER_TIME = _passage("e", "In AALL1731, 3-year DFS was 96.0% versus 87.9%.")


def test_a_passage_stating_the_asked_figure_counts() -> None:
    assert states_asked(FIGURE, analyse(Q))


def test_the_measure_named_without_a_figure_does_not() -> None:
    assert not states_asked(NO_FIGURE, analyse(Q))


def test_another_measure_trial_or_time_point_does_not() -> None:
    needs = analyse(Q)
    for p in (OTHER_MEASURE, OTHER_TRIAL, OTHER_TIME):
        assert not states_asked(p, needs), p.chunk.text


def test_only_questions_after_a_figure_of_a_measure() -> None:
    assert not states_asked(FIGURE, analyse("Who ran AALL1731?"))


def test_stating_keeps_order_and_limit() -> None:
    more = [NO_FIGURE, FIGURE, OTHER_TRIAL, FIGURE, FIGURE, FIGURE]
    got = stating(more, analyse(Q))
    assert got == [FIGURE] * STATING_EXTRA
    assert stating([NO_FIGURE, OTHER_MEASURE], analyse(Q)) == []
