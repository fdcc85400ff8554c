"""Check a question set: format, counts per kind, and that every fact occurs in a cited source.

Usage: python scripts/check_questions.py DIR_OR_FILE [...] [--summary]

Document texts: the shipped corpus (front-matter ``doc_id`` of corpus/**/*.md, file stem of
corpus/pdf/*.pdf); for a set with ``docs.json`` also its SciFact abstracts and ../shared/sources
files. ``--summary`` prints counts only (for the held-out test split: no question text shown).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.qmetrics import fact_in  # noqa: E402

KINDS = {
    "figures",
    "design",
    "near-miss",
    "off-topic",
    "family",
    "parent-message",
    "follow-up",
    "comparison",
    "false-premise",
    "dosing",
}
EXPECT_KEYS = {"facts", "sources", "abstain", "max_grade", "lead", "no_dose", "absent"}
# Minimums per split (issue P): distinct answerable facts, and questions per kind.
MINIMUMS = {
    "dev": {
        "facts": 120,
        "near-miss": 40,
        "family-audience": 60,
        "follow-up": 40,
        "parent-message": 40,
        "comparison": 20,
        "false-premise": 20,
    },
    "test": {
        "facts": 80,
        "near-miss": 25,
        "family-audience": 40,
        "follow-up": 25,
        "parent-message": 25,
        "comparison": 15,
        "false-premise": 15,
    },
}


def corpus_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for md in sorted((ROOT / "corpus").rglob("*.md")):
        raw = md.read_text(encoding="utf-8")
        m = re.search(r"^doc_id:\s*(\S+)", raw, re.M)
        out[m.group(1).strip("\"'") if m else md.stem] = raw
    for pdf in sorted((ROOT / "corpus").rglob("*.pdf")):
        from pypdf import PdfReader

        out[pdf.stem] = "\n".join(p.extract_text() or "" for p in PdfReader(pdf).pages)
    return out


def shared_texts(docs_json: Path) -> dict[str, str]:
    spec = json.loads(docs_json.read_text(encoding="utf-8"))
    shared = ROOT.parent / "shared"
    out: dict[str, str] = {}
    wanted = set(spec.get("scifact", []))
    if wanted:
        with (shared / "benchmarks/scifact/corpus.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                if d["_id"] in wanted:
                    out[d["_id"]] = f"{d['title']}\n{d['text']}"
    for rel in spec.get("sources", []):
        p = shared / "sources" / rel
        if p.suffix == ".pdf":
            from pypdf import PdfReader

            text = "\n".join(pg.extract_text() or "" for pg in PdfReader(p).pages)
        else:
            text = re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8", errors="replace"))
        out[p.name] = text
    return out


def files_of(path: Path) -> list[Path]:
    return sorted(path.glob("*.jsonl")) if path.is_dir() else [path]


def split_of(path: Path) -> str:
    name = path.name if path.is_dir() else path.parent.name
    if name.endswith("-real"):
        return "real"  # real-document sets: no per-kind minimums
    return "test" if name.startswith("test") else "dev"


def check(path: Path, summary: bool) -> int:
    texts = corpus_texts()
    docs_json = (path if path.is_dir() else path.parent) / "docs.json"
    if docs_json.exists():
        texts.update(shared_texts(docs_json))
    lower = {k: v.lower() for k, v in texts.items()}
    errors: list[str] = []
    kinds: Counter[str] = Counter()
    groups: set[str] = set()
    family = 0
    ids: set[str] = set()
    for f in files_of(path):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{f.name}:{i}"
            try:
                q = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: invalid JSON ({exc.msg})")
                continue
            errors += [f"{where}: {e}" for e in problems(q, ids, texts, lower)]
            kinds[q.get("category", "?")] += 1
            family += q.get("audience") == "family"
            exp = q.get("expect", {})
            if exp.get("abstain") is False and q.get("group"):
                groups.add(q["group"])
    counts = {"facts": len(groups), "family-audience": family, **kinds}
    print(f"{path}: {sum(kinds.values())} questions")
    for k, v in sorted(counts.items()):
        need = MINIMUMS.get(split_of(path), {}).get(k)
        flag = "" if need is None or v >= need else f"  (below the minimum {need})"
        print(f"  {k}: {v}{flag}")
    print(f"  errors: {len(errors)}")
    if not summary:
        for e in errors:
            print("   ", e)
    return 1 if errors else 0


def problems(q: dict, ids: set[str], texts: dict[str, str], lower: dict[str, str]) -> list[str]:
    out: list[str] = []
    for key in ("id", "group", "question", "category", "audience"):
        if not isinstance(q.get(key), str) or not q[key].strip():
            out.append(f"missing {key!r}")
    if q.get("id") in ids:
        out.append(f"duplicate id {q.get('id')!r}")
    ids.add(q.get("id", ""))
    if q.get("category") not in KINDS:
        out.append(f"unknown category {q.get('category')!r}")
    if q.get("audience") not in ("clinician", "family"):
        out.append("audience must be clinician or family")
    if not isinstance(q.get("docs"), list):
        out.append("'docs' must be a list")
    exp = q.get("expect", {})
    if set(exp) - EXPECT_KEYS:
        out.append(f"unknown expect keys {sorted(set(exp) - EXPECT_KEYS)}")
    if q.get("category") == "follow-up" and not q.get("history"):
        out.append("a follow-up needs 'history'")
    if exp.get("abstain") is False:
        srcs = exp.get("sources") or []
        if not srcs:
            out.append("an answerable question needs 'sources'")
        bodies = [v for k, v in texts.items() if k in srcs]
        bodies += [v for k, v in lower.items() if any(s in v for s in srcs) and k not in srcs]
        if not bodies:
            out.append(f"no document matches sources {srcs}")
        for fact in exp.get("facts", []) + exp.get("lead", []):
            if bodies and not any(fact_in(fact, b) for b in bodies):
                out.append(f"fact {fact!r} not found in its sources")
    return out


def main(argv: list[str]) -> int:
    summary = "--summary" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    return max((check(p, summary) for p in paths), default=0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
