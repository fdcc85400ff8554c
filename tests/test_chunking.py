import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from citeqa.models import Document, Metadata, Section
from citeqa.settings import ChunkingSettings
from ingest.chunking import chunk_document, embedding_text, group_spans


def _doc(*sections: Section) -> Document:
    return Document(Metadata(doc_id="d1", title="A trial"), tuple(sections))


def test_chunks_keep_section_page_and_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    doc = _doc(Section("Results", text, page=3), Section("Methods", "Short one. Two.", page=4))
    chunks = chunk_document(doc, ChunkingSettings(size=200, overlap=1, min_size=0))
    assert len(chunks) > 5
    assert {c.section for c in chunks} == {"Results", "Methods"}
    for c in chunks:
        assert len(c.text) <= 200
        assert c.page in (3, 4)
        sec = doc.sections[0] if c.section == "Results" else doc.sections[1]
        assert sec.text[c.char_start : c.char_end] == c.text
        for s in c.sentences:
            piece = c.text[s.start : s.end]
            assert piece and piece == piece.strip()
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_overlap_repeats_last_sentence() -> None:
    text = " ".join(f"Fact {i} holds well." for i in range(30))
    chunks = chunk_document(_doc(Section("R", text)), ChunkingSettings(size=100, overlap=1))
    for a, b in itertools.pairwise(chunks):
        assert a.sentence_texts()[-1] == b.sentence_texts()[0]


def test_no_overlap() -> None:
    text = " ".join(f"Fact {i} holds well." for i in range(30))
    chunks = chunk_document(_doc(Section("R", text)), ChunkingSettings(size=100, overlap=0))
    joined = " ".join(c.text for c in chunks)
    assert joined == text


def test_ids_are_content_hashes() -> None:
    doc = _doc(Section("R", "Same text. Again."))
    a = chunk_document(doc, ChunkingSettings())
    b = chunk_document(doc, ChunkingSettings())
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    other = _doc(Section("R", "Other text. Again."))
    assert chunk_document(other, ChunkingSettings())[0].chunk_id != a[0].chunk_id


def test_long_sentence_is_cut_at_whitespace() -> None:
    text = "word " * 500
    chunks = chunk_document(
        _doc(Section("R", text.strip())), ChunkingSettings(size=300, min_size=0)
    )
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(not c.text.startswith(" ") for c in chunks)


def test_short_tail_is_merged() -> None:
    spans = [(0, 90), (91, 180), (181, 190)]
    groups = group_spans(spans, size=200, overlap=0, min_size=50)
    assert groups == [[(0, 90), (91, 180), (181, 190)]]


def test_embedding_text_has_context() -> None:
    doc = _doc(Section("Results", "DFS was high."))
    c = chunk_document(doc, ChunkingSettings())[0]
    assert embedding_text(c) == "A trial. Results. DFS was high."


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="abcde .!?\n0123456789", min_size=0, max_size=80), max_size=30),
    st.integers(min_value=100, max_value=400),
    st.integers(min_value=0, max_value=3),
)
def test_chunking_properties(parts: list[str], size: int, overlap: int) -> None:
    text = " ".join(parts)
    doc = _doc(Section("S", text))
    chunks = chunk_document(doc, ChunkingSettings(size=size, overlap=overlap, min_size=0))
    covered = set()
    for c in chunks:
        assert len(c.text) <= size
        assert text[c.char_start : c.char_end] == c.text
        for s in c.sentences:
            covered.add((c.char_start + s.start, c.char_start + s.end))
    # every non-blank character of the section lands in some chunk sentence
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert any(a <= i < b for a, b in covered)
