"""Fuzzing every loader: any input loads or fails with a LoadError reason, never another
exception, a crash or a hang (each file goes through the pipeline's killable per-file limit).

Generated inputs come from hypothesis (derandomized, so runs are repeatable); mutated inputs
from seeded byte flips, truncations, insertions and chunk duplications of the real sources in
../shared/sources. ``python -m evals.soak --fuzz --seconds N`` runs the same checks for longer.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from citeqa.settings import get_settings
from evals.soak import classify, mutate
from ingest.pipeline import Ingestor
from ingest.store import open_store
from tests.conftest import shared_or_skip
from tests.helpers import prose, write_md
from tests.loaders_support import text_pdf
from tests.robust_support import assert_whole_documents, outcome

FUZZ = get_settings(ingest={"file_timeout_s": 30})
EXAMPLES = hsettings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_counter = iter(range(10**9))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_bytes(work: Path, name: str, data: bytes) -> object:
    path = work / f"{next(_counter)}-{name}"
    path.write_bytes(data)
    try:
        return outcome(path, FUZZ)
    finally:
        path.unlink()


# --- generated inputs -----------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=4), scalars, max_size=2),
)
FIELDS = ["doc_id", "title", "authors", "year", "doc_type", "audience", "evidence", "reference"]
front = st.dictionaries(st.sampled_from([*FIELDS, "trial", "url", "x"]), values, max_size=6)
MD_LINES = ["# Title", "## Results", "- item", "1. step", "> quote", "| a | b |", "|---|---|"]
MD_LINES += ["```", "---", "<!-- note -->", "[link](u)", "**bold**", "![img](p)", "    code"]
md_line = st.one_of(st.text(max_size=80), st.sampled_from(MD_LINES))
body = st.lists(md_line, max_size=25).map("\n".join)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@st.composite
def markdown_files(draw: Callable[..., object]) -> bytes:
    meta = draw(front)
    head = (
        yaml.safe_dump(meta, allow_unicode=True)
        if draw(st.booleans())
        else draw(st.text(max_size=60))
    )
    fence = draw(st.sampled_from(["---", "---", "...", ""]))
    return _encode(f"---\n{head}\n{fence}\n{draw(body)}\n", str(draw(encodings)))


@given(data=markdown_files(), suffix=st.sampled_from([".md", ".markdown", ".txt"]))
@EXAMPLES
def test_fuzz_markdown(work: Path, data: bytes, suffix: str) -> None:
    check_bytes(work, f"doc{suffix}", data)


@given(
    text=st.one_of(st.text(max_size=400), body),
    name=st.sampled_from(["notes.txt", "NCT01234567.txt", "x.txt"]),
    quint=st.booleans(),
    highlight=st.booleans(),
    encoding=encodings,
)
@EXAMPLES
def test_fuzz_text(
    work: Path, text: str, name: str, quint: bool, highlight: bool, encoding: str
) -> None:
    text = ("(firstQuint)" if quint else "") + text + ("\n@highlight\n" + text if highlight else "")
    check_bytes(work, name, _encode(text, encoding))


json_values = st.recursive(
    scalars,
    lambda v: st.lists(v, max_size=3) | st.dictionaries(st.text(max_size=5), v, max_size=3),
    max_leaves=8,
)
beir_line = st.one_of(
    st.fixed_dictionaries({"_id": json_values, "title": json_values, "text": json_values}),
    st.fixed_dictionaries({"_id": st.text(max_size=8), "text": st.text(max_size=80)}),
    json_values,
)


@given(lines=st.lists(st.one_of(beir_line.map(json.dumps), st.text(max_size=40)), max_size=8))
@EXAMPLES
def test_fuzz_beir_jsonl(work: Path, lines: list[str]) -> None:
    check_bytes(work, "corpus.jsonl", "\n".join(lines).encode("utf-8", errors="replace"))


JATS = [
    "article",
    "front",
    "article-meta",
    "title-group",
    "article-title",
    "abstract",
    "body",
    "sec",
]
JATS += ["title", "p", "list", "list-item", "fig", "caption", "table-wrap", "contrib", "surname"]
PUBMED = ["PubmedArticleSet", "PubmedArticle", "MedlineCitation", "PMID", "Article", "Abstract"]
PUBMED += ["AbstractText", "ArticleTitle", "AuthorList", "Author", "LastName", "Journal", "PubDate"]
TAGS = st.sampled_from(JATS + PUBMED + ["xref", "sup", "italic", "unknown"])
ATTRS = st.dictionaries(
    st.sampled_from(["Label", "sec-type", "abstract-type", "IdType", "id"]),
    st.text(max_size=10),
    max_size=2,
)


def _xml(tag: str, attrs: dict[str, str], inner: str) -> str:
    attr = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attr}>{inner}</{tag}>"


xml_text = st.text(max_size=40).map(escape)
xml_tree = st.recursive(
    xml_text,
    lambda kids: st.builds(_xml, TAGS, ATTRS, st.lists(kids, max_size=4).map("".join)),
    max_leaves=20,
)


@given(
    root=st.sampled_from(["article", "PubmedArticleSet", "PubmedArticle", "html"]),
    inner=xml_tree,
    prolog=st.sampled_from(["", '<?xml version="1.0"?>', "<!DOCTYPE article>"]),
    suffix=st.sampled_from([".xml", ".nxml"]),
)
@EXAMPLES
def test_fuzz_xml(work: Path, root: str, inner: str, prolog: str, suffix: str) -> None:
    data = f"{prolog}{_xml(root, {}, inner)}".encode("utf-8", errors="replace")
    check_bytes(work, f"paper{suffix}", data)


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    lines = ["Abstract", "Blinatumomab was given by infusion to children with B-ALL.", "Results"]
    return text_pdf([lines, ["Disease-free survival improved.", "References", "1. X."]], "Fuzz")


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
@EXAMPLES
def test_fuzz_pdf_mutations(work: Path, small_pdf: bytes, seed: int, n: int) -> None:
    check_bytes(work, "paper.pdf", mutate(small_pdf, random.Random(seed), n))


@given(
    data=st.binary(max_size=3000),
    suffix=st.sampled_from([".pdf", ".md", ".txt", ".xml", ".nxml", ".jsonl"]),
)
@EXAMPLES
def test_fuzz_random_bytes(work: Path, data: bytes, suffix: str) -> None:
    head = b"%PDF-1.7\n" if suffix == ".pdf" and data[:1] != b"%" else b""
    check_bytes(work, f"blob{suffix}", head + data)


# --- mutated real sources ---------------------------------------------------------------------


def _real(kind: str) -> list[Path]:
    root = shared_or_skip("sources", kind)
    return sorted(p for p in root.iterdir() if p.suffix in (".pdf", ".nxml", ".xml", ".txt"))


@pytest.mark.parametrize(
    ("kind", "per_file"), [("pdf", 3), ("jats", 4), ("pubmed", 12), ("trials", 1)]
)
def test_mutated_real_sources(work: Path, kind: str, per_file: int) -> None:
    loaded = refused = 0
    for path in _real(kind):
        data = path.read_bytes()
        for seed in range(per_file):
            got = check_bytes(
                work, f"m{path.suffix}", mutate(data, random.Random(seed * 7919 + len(data)))
            )
            loaded, refused = loaded + isinstance(got, list), refused + isinstance(got, str)
    assert loaded + refused > 0
    print(f"{kind}: {loaded} loaded, {refused} refused with a reason")


# --- the pipeline never leaves part of a document -------------------------------------------


def test_ingest_of_mutated_folder_keeps_documents_whole(tmp_path: Path) -> None:
    rng = random.Random(11)
    pubmed = shared_or_skip("sources", "pubmed", "pubmed-29768149.xml").read_bytes()
    jats = sorted(shared_or_skip("sources", "jats").glob("*.nxml"))[0].read_bytes()
    repo = Path(__file__).resolve().parents[1]
    seeds = [
        (".xml", pubmed),
        (".nxml", jats),
        (".pdf", (repo / "tests/data/tiny.pdf").read_bytes()),
    ]
    seeds += [
        (".md", p.read_bytes()) for p in sorted((repo / "corpus" / "family").glob("*.md"))[:3]
    ]
    docs = tmp_path / "docs"
    for i in range(14):
        suffix, data = seeds[i % len(seeds)]
        write_bytes(docs / f"f{i:02d}{suffix}", mutate(data, rng))
    write_md(docs / "good-a.md", "good-a", prose(1, 8))
    write_md(docs / "good-b.md", "good-b", prose(2, 8))
    settings = get_settings(index_dir=tmp_path / "ix", ingest={"file_timeout_s": 30})
    report = Ingestor(settings, progress=False).run([docs])
    store = open_store(settings)
    per_source = assert_whole_documents(store)
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    indexed = {Path(k).name for k in per_source}
    assert indexed | set(failed) == {p.name for p in docs.iterdir()}, "a file was lost"
    assert not indexed & set(failed), "a failed file left chunks behind"
    assert {"good-a.md", "good-b.md"} <= indexed
    assert all(classify(reason) == "refused" for reason in failed.values()), failed
    print(f"{len(indexed)} files indexed, {len(failed)} refused: {sorted(failed.values())}")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_soak_fuzz_command_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals.soak import main

    out = tmp_path / "out"
    code = main(
        [
            "--fuzz",
            "--seconds",
            "3",
            "--seed",
            "5",
            "--file-timeout",
            "2",
            "--out",
            str(out),
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["fuzz"]
    assert result["examples"] > 0 and sum(result["outcomes"].values()) == result["examples"]
    assert not {"internal", "crash"} & set(result["outcomes"]), result["problems"]
    assert code == (1 if result["problems"] else 0)
