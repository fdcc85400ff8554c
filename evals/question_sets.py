"""Question sets with their own documents, and the held-out test split.

A question folder with a ``docs.json`` (``{"scifact": [_id, ...], "sources": [path, ...]}``) is
about real documents a user indexed, not the shipped corpus (so is a PubMedQA file: its
abstracts, :mod:`evals.formats.pubmedqa`): :func:`prepare_index` writes those
documents into a scratch folder (SciFact abstracts from ``../shared/benchmarks/scifact`` as one
BEIR JSONL file; files from ``../shared/sources`` copied as they are), ingests it the way
``citeqa ingest FOLDER`` does, and returns Settings pointing at that index. Nothing from
``../shared`` is copied into the repository: the scratch folder lives in the data directory.

The held-out test split is run with :func:`run_heldout`: it prints only per-kind aggregates (n,
accuracy, false abstention, unanswerable abstention), never a question or an answer, and logs
each run with its commit in ``RUNS.md`` beside the questions; a fourth run is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citeqa.settings import Settings
    from evals.formats.common import SetDocument

SHARED = Path(__file__).resolve().parents[2] / "shared"
MAX_HELDOUT_RUNS = 3
AGGREGATE_KEYS = ("questions", "accuracy", "false_abstention", "unanswerable_abstention")


def docs_spec(folder: Path) -> dict[str, list[str]] | None:
    """The ``docs.json`` of a question folder (or of a file's folder), or None."""
    base = folder if folder.is_dir() else folder.parent
    path = base / "docs.json"
    if not path.exists():
        return None
    spec = json.loads(path.read_text(encoding="utf-8"))
    return {"scifact": list(spec.get("scifact", [])), "sources": list(spec.get("sources", []))}


def write_documents(spec: dict[str, list[str]], dest: Path, shared: Path = SHARED) -> None:
    """Write the documents of ``spec`` into ``dest`` (a folder to ingest)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = set(spec["scifact"])
    if wanted:
        lines = []
        with (shared / "benchmarks/scifact/corpus.jsonl").open(encoding="utf-8") as fh:
            lines = [ln for ln in fh if json.loads(ln)["_id"] in wanted]
        if len(lines) != len(wanted):
            raise FileNotFoundError(f"{len(wanted) - len(lines)} SciFact ids not in the corpus")
        (dest / "scifact-abstracts.jsonl").write_text("".join(lines), encoding="utf-8")
    for rel in spec["sources"]:
        shutil.copyfile(shared / "sources" / rel, dest / Path(rel).name)


def prepare_index(
    folder: Path, settings: Settings, documents: Sequence[SetDocument] = ()
) -> Settings:
    """Settings whose index holds the documents of ``folder``'s ``docs.json`` and the
    ``documents`` the question file brings (PubMedQA abstracts), built once in the data
    directory, keyed by their content; ``settings`` unchanged when there are neither."""
    spec = docs_spec(folder)
    if spec is None and not documents:
        return settings
    from ingest.pipeline import Ingestor
    from ingest.store import open_store

    spec = spec or {"scifact": [], "sources": []}
    texts = [d.markdown() for d in documents]
    blob = json.dumps([spec, texts] if texts else spec, sort_keys=True).encode()
    key = hashlib.sha256(blob).hexdigest()[:12]
    root = Path(settings.data_dir) / "eval-sets" / f"{folder.name}-{key}"
    docs = root / "files"
    if not docs.exists():
        partial = root / "files.partial"
        shutil.rmtree(partial, ignore_errors=True)
        write_documents(spec, partial)
        for d, text in zip(documents, texts, strict=True):
            (partial / d.file_name()).write_text(text, encoding="utf-8")
        partial.rename(docs)
    scoped = settings.model_copy(update={"index_dir": root / "index"})
    store = open_store(scoped)
    if store.count() == 0:
        report = Ingestor(scoped, store=store, progress=False).run([docs], prune=True)
        for f in report.failed:
            print(f"citeqa: warning: not indexed: {f['path']}: {f['error']}", file=sys.stderr)
    return scoped


def aggregates(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-kind aggregates (and "all") of a benchmark summary: nothing per question."""
    out = {"all": {k: summary.get(k) for k in AGGREGATE_KEYS}}
    for cat, m in summary["by_category"].items():
        out[cat] = {k: m.get(k) for k in AGGREGATE_KEYS}
    return out


def render_aggregates(rows: dict[str, dict[str, Any]]) -> str:
    def cell(v: Any) -> str:
        return "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    lines = [
        "| kind | n | accuracy | false abstention | unanswerable abstention |",
        "|---|---|---|---|---|",
    ]
    for kind, m in rows.items():
        lines.append(f"| {kind} | " + " | ".join(cell(m[k]) for k in AGGREGATE_KEYS) + " |")
    return "\n".join(lines)


def logged_runs(runs_md: Path) -> int:
    if not runs_md.exists():
        return 0
    return sum(line.startswith("## Run ") for line in runs_md.read_text().splitlines())


def current_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def heldout_entry(n: int, rows: dict[str, dict[str, Any]], note: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"## Run {n} of {MAX_HELDOUT_RUNS}: commit {current_commit()}, {stamp}"
    return "\n".join([head, "", note, "", render_aggregates(rows), "", ""])
