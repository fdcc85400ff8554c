"""Hostile files: XML entity attacks, PDF page and decompression bombs, inputs that make a
parser run for hours, a parser process that dies. Each is refused with a reason at a size or
time limit, and the rest of the folder is still indexed."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from citeqa.settings import IngestSettings, get_settings
from evals.soak import flate_bomb_pdf, raw_pdf
from ingest.loaders import LoadError, load_file
from ingest.loaders.jats import ENTITY_REASON
from ingest.loaders.pdf import MAX_PAGE_CHARS
from ingest.pipeline import _WORKER, Ingestor, load_with_timeout
from ingest.store import open_store
from tests.helpers import prose, write_md
from tests.loaders_support import blank_pdf
from tests.robust_support import assert_whole_documents

PASSWD_MARK = "root:x:0:0"
XML_ATTACKS = {
    "billion-laughs.xml": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
        + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
        + "]><article><body><p>&lol9;</p></body></article>"
    ),
    "xxe-passwd.nxml": (
        '<?xml version="1.0"?><!DOCTYPE article [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<article><body><sec><title>Results</title><p>&xxe;</p></sec></body></article>"
    ),
    "xxe-parameter.xml": (
        '<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM '
        '"file:///etc/passwd"> %p;]><PubmedArticleSet/>'
    ),
}


EXTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE article SYSTEM "http://example.com/evil.dtd">'
    "<article><front><article-meta><title-group><article-title>External DTD</article-title>"
    "</title-group></article-meta></front><body><sec><title>Results</title>"
    "<p>The external DTD is never fetched, the text still loads.</p></sec></body></article>"
)


def _reason(path: Path, **ingest: object) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, IngestSettings.model_validate(ingest))
    return info.value.reason


@pytest.mark.parametrize("name", sorted(XML_ATTACKS))
def test_xml_entity_attacks_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(XML_ATTACKS[name])
    reason = _reason(path)
    assert reason == ENTITY_REASON or reason.startswith("malformed XML"), reason
    assert PASSWD_MARK not in reason


def test_external_dtd_is_not_fetched(tmp_path: Path) -> None:
    path = tmp_path / "dtd.nxml"
    path.write_text(EXTERNAL_DTD)
    doc = load_file(path)[0]  # the network guard would turn a fetch into a failure
    assert "never fetched" in doc.text


def test_pdf_with_too_many_pages_is_refused_before_parsing(tmp_path: Path) -> None:
    limit = IngestSettings().max_pdf_pages
    path = tmp_path / "long.pdf"
    path.write_bytes(blank_pdf(limit + 1))
    assert _reason(path) == f"PDF has too many pages ({limit + 1} > limit {limit})"
    # a 'page bomb': a few hundred bytes listing one page object 5,000 times
    text = b"BT /F1 12 Tf 72 700 Td (Blinatumomab is a bispecific antibody.) Tj ET"
    path.write_bytes(raw_pdf(text, kids=5000))
    assert os.path.getsize(path) < 40_000
    assert _reason(path) == f"PDF has too many pages (5000 > limit {limit})"
    small = tmp_path / "two-pages.pdf"
    small.write_bytes(raw_pdf(text, kids=2))
    assert "bispecific antibody" in load_file(small)[0].text  # the same construction, small


def test_pdf_decompression_bomb_stops_at_the_stream_limit(tmp_path: Path) -> None:
    data = flate_bomb_pdf(200)  # 200 MB of zeros in ~200 KB
    assert len(data) < 300_000
    path = tmp_path / "bomb.pdf"
    path.write_bytes(data)
    reason = _reason(path)
    assert "decompress" in reason and "MB" in reason, reason


def test_pdf_text_bomb_stops_at_the_text_limit(tmp_path: Path) -> None:
    import zlib

    content = b"BT /F1 12 Tf 72 700 Td (" + b"A" * (MAX_PAGE_CHARS * 3) + b") Tj ET"
    path = tmp_path / "text-bomb.pdf"
    path.write_bytes(raw_pdf(zlib.compress(content, 9), b"/Filter /FlateDecode"))
    assert path.stat().st_size < 5_000
    assert _reason(path).startswith("PDF text too long (page 1)")


SLOW_INPUTS = {
    # each makes a regex in a loader or the sentence splitter run for hours (quadratic)
    "comments.md": b"---\ndoc_id: c\n---\n" + b"<!--" * 200_000,
    "dots.txt": b"Blinatumomab works. " + b"." * 300_000,
}


@pytest.mark.parametrize("name", sorted(SLOW_INPUTS))
def test_per_file_time_limit_holds_even_inside_c_code(tmp_path: Path, name: str) -> None:
    """A regex holds the GIL, so a thread could not even time out; the worker is killed."""
    path = tmp_path / name
    path.write_bytes(SLOW_INPUTS[name])
    settings = get_settings(ingest={"file_timeout_s": 3})
    restarts = _WORKER.restarts
    t0 = time.monotonic()
    with pytest.raises(LoadError) as info:
        load_with_timeout(path, settings)
    assert info.value.reason == "parsing took longer than 3 s"
    assert time.monotonic() - t0 < 60  # generous: the point is that it returns at all
    assert _WORKER.restarts == restarts + 1
    good = write_md(tmp_path / "good.md", "good", prose(1, 3))
    assert load_with_timeout(good, settings)[0].doc_id == "good"


def test_a_crashing_parser_fails_only_its_file(tmp_path: Path) -> None:
    path = tmp_path / "slow.md"
    path.write_bytes(SLOW_INPUTS["comments.md"])
    settings = get_settings(ingest={"file_timeout_s": 120})
    load_with_timeout(write_md(tmp_path / "warm.md", "warm", prose(2, 3)), settings)
    proc = _WORKER._proc
    assert proc is not None

    def kill_soon() -> None:
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)  # what the OOM killer or a segfault would do

    threading.Thread(target=kill_soon, daemon=True).start()
    with pytest.raises(LoadError) as info:
        load_with_timeout(path, settings)
    assert info.value.reason == f"the parser crashed on this file (exit code {-signal.SIGKILL})"
    assert load_with_timeout(tmp_path / "warm.md", settings)[0].doc_id == "warm"


def test_hostile_folder_fails_file_by_file_and_the_rest_is_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for name, text in XML_ATTACKS.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
    (docs / "bomb.pdf").write_bytes(flate_bomb_pdf(200))
    (docs / "pages.pdf").write_bytes(raw_pdf(b"BT /F1 12 Tf (x) Tj ET", kids=5000))
    (docs / "comments.md").write_bytes(SLOW_INPUTS["comments.md"])
    write_md(docs / "good-a.md", "good-a", prose(1, 6))
    write_md(docs / "good-b.md", "good-b", prose(2, 6))
    settings = get_settings(index_dir=tmp_path / "ix", ingest={"file_timeout_s": 5})
    report = Ingestor(settings, progress=False).run([docs])
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert set(failed) == set(XML_ATTACKS) | {"bomb.pdf", "pages.pdf", "comments.md"}
    assert failed["comments.md"] == "parsing took longer than 5 s"
    assert "decompress" in failed["bomb.pdf"] and "too many pages" in failed["pages.pdf"]
    store = open_store(settings)
    assert set(assert_whole_documents(store)) == {
        str((docs / n).resolve()) for n in ("good-a.md", "good-b.md")
    }
    assert all(PASSWD_MARK not in c.text for c in store.iter_chunks())


def test_without_a_worker_process_parsing_falls_back_to_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_WORKER, "unavailable", "no subprocesses here")
    settings = get_settings(ingest={"file_timeout_s": 60})
    good = write_md(tmp_path / "good.md", "good", prose(3, 4))
    assert load_with_timeout(good, settings)[0].doc_id == "good"
    bad = tmp_path / "bad.xml"
    bad.write_text(XML_ATTACKS["xxe-passwd.nxml"])
    with pytest.raises(LoadError, match="entity"):
        load_with_timeout(bad, settings)
