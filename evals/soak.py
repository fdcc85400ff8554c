"""Long robustness runs: ``python -m evals.soak --seconds N [--fuzz] [--soak] [--json]``.

``--fuzz``: mutation fuzzing of every loader for N seconds. Seeds are the shipped corpus, the
test PDF, the real sources in ``../shared/sources`` (read, never copied) and a few generated
hostile files; each example gets 1-4 seeded byte-level mutations (flips, truncations,
insertions of format tokens, chunk duplications/deletions, splices of another seed, and rarely
a flood of one token repeated 20,000-200,000 times, which finds super-linear parsing) and is
parsed and chunked through the pipeline's worker with its per-file time limit. Every outcome
must be a document or a LoadError with a reason; internal errors (a loader exception wrapped as
"parser failed: ..."), worker crashes and timeouts are counted and the inputs saved to ``--out``.

``--soak``: ``--distinct`` questions from ``evals/questions/*.jsonl`` asked round-robin
through ``rag.answer.get_pipeline`` for N seconds (the index is built from ``corpus/`` first if
it is empty); reports errors, latency percentiles and resident memory (after the first round,
over the second half of the run, and per answer): a leak shows as steady growth.

Without ``--fuzz``/``--soak`` both run, N seconds each. A summary is printed; ``--json`` prints
one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from ingest.loaders import SUPPORTED_SUFFIXES

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SUFFIXES = SUPPORTED_SUFFIXES
TOKENS = (
    b"<!--",
    b"-->",
    b"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    b"&e;",
    b"obj",
    b"endobj",
    b"stream\n",
    b"endstream",
    b"%%EOF",
    b"/Count 99999999",
    b"/FlateDecode",
    b"<< /Length 999999999 >>",
    b"---\n",
    b"doc_type: poster\n",
    b"year: 20x5\n",
    b"# ",
    b"[",
    b"](",
    b"**",
    b"`",
    b"|---|",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'{"_id": 1, "text": [1]}\n',
    b"<sec><title>",
    b"</p>",
    b"&amp;",
    b"\n\n",
    b".",
    b"e.g. ",
    b"-\n",
)
_INTERNAL = re.compile(r"^(parser failed: |[A-Z]\w*(Error|Exception)\b)")


def mutate(data: bytes, rng: random.Random, n: int | None = None, other: bytes = b"") -> bytes:
    """``data`` after ``n`` (default 1-4) seeded byte-level mutations."""
    buf = bytearray(data)
    for _ in range(n if n is not None else rng.randint(1, 4)):
        kinds = ("flip", "truncate", "insert", "token", "dup", "delete", "splice")
        kind = "flood" if rng.random() < 0.01 else rng.choice(kinds)
        pos = rng.randrange(len(buf) + 1)
        span = rng.choice((1, 8, 64, 512, 4096))
        if kind == "flip" and buf:
            for _ in range(rng.randint(1, 16)):
                buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "insert":
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, span)))
        elif kind == "token":
            buf[pos:pos] = rng.choice(TOKENS) * rng.choice((1, 1, 3, 100))
        elif kind == "dup":
            buf[pos:pos] = buf[pos : pos + span] * rng.randint(2, 50)
        elif kind == "delete":
            del buf[pos : pos + span]
        elif kind == "flood":  # long runs of one token: finds super-linear parsing
            buf[pos:pos] = rng.choice(TOKENS) * rng.randint(20_000, 200_000)
        elif kind == "splice" and other:
            at = rng.randrange(len(other))
            buf[pos:pos] = other[at : at + span]
    return bytes(buf)


def zeros_zlib(megabytes: int) -> bytes:
    """A valid zlib stream of ``megabytes`` MB of zeros (~1 KB per MB), built in well under a
    second: one fully flushed deflate block repeated, with the true Adler-32 trailer."""
    block = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp.compress(block)
    comp.flush(zlib.Z_FULL_FLUSH)  # the first block: same bytes as every later one
    one = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + one * megabytes + comp.flush() + adler.to_bytes(4, "big")


def flate_bomb_pdf(megabytes: int = 200) -> bytes:
    """A ~200 KB PDF whose only page content inflates to ``megabytes`` MB of zeros."""
    return raw_pdf(zeros_zlib(megabytes), b"/Filter /FlateDecode")


def raw_pdf(content: bytes, filters: bytes = b"", kids: int = 1) -> bytes:
    """A hand-written PDF: ``kids`` references to one page (a cheap 'page bomb' when large)."""
    refs = b" ".join([b"3 0 R"] * kids)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, kids),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(content), filters, content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def seed_files() -> list[tuple[str, bytes]]:
    """(suffix, bytes) seeds: shipped corpus, test data, ../shared sources, hostile files."""
    paths = [*sorted((REPO / "corpus").rglob("*")), REPO / "tests" / "data" / "tiny.pdf"]
    if (SHARED / "sources").is_dir():
        paths += sorted((SHARED / "sources").rglob("*"))
    seeds = [(p.suffix.lower(), p.read_bytes()) for p in paths if p.suffix.lower() in SUFFIXES]
    scifact = SHARED / "benchmarks" / "scifact" / "corpus.jsonl"
    if scifact.is_file():
        with scifact.open("rb") as fh:
            seeds.append((".jsonl", b"".join(fh.readline() for _ in range(20))))
    text = b"BT /F1 12 Tf 72 700 Td (Blinatumomab is given by infusion.) Tj ET"
    seeds += [
        (".jsonl", b'{"_id": "d1", "title": "T", "text": "Some words here."}\n'),
        (".xml", b"<!DOCTYPE a [<!ENTITY x 'xx'><!ENTITY y '&x;&x;'>]><article>&y;</article>"),
        (".pdf", raw_pdf(text)),
        (".pdf", raw_pdf(text, kids=50)),
    ]
    return seeds


def classify(reason: str) -> str:
    if "took longer than" in reason:
        return "timeout"
    if "parser crashed" in reason:
        return "crash"
    return "internal" if _INTERNAL.match(reason) else "refused"


def run_fuzz(seconds: float, seed: int, out: Path, file_timeout: float) -> dict[str, Any]:
    """Mutation-fuzz the loaders for ``seconds``; problem inputs are written to ``out``."""
    from citeqa.settings import get_settings
    from ingest.loaders.base import LoadError
    from ingest.worker import _WORKER, parse_file

    settings = get_settings(ingest={"file_timeout_s": file_timeout})
    rng = random.Random(seed)
    seeds = seed_files()
    outcomes: Counter[str] = Counter()
    by_suffix: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    problems: list[dict[str, str]] = []
    slowest: tuple[float, str] = (0.0, "")
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="citeqa-fuzz-") as tmp:
        n = 0
        while time.monotonic() < deadline:
            suffix, data = rng.choice(seeds)
            suffix = suffix if rng.random() < 0.9 else rng.choice(SUFFIXES)
            sample = mutate(data, rng, other=rng.choice(seeds)[1]) or b"x"
            path = Path(tmp) / f"f{n}{suffix}"
            path.write_bytes(sample)
            t0 = time.perf_counter()
            try:
                parse_file(path, settings)
                kind = "loaded"
            except LoadError as exc:
                kind = classify(exc.reason)
                reasons[re.sub(r"\d+", "#", exc.reason)[:70]] += 1
                if kind != "refused":
                    saved = out / f"{kind}-{n}{suffix}"
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    saved.write_bytes(sample)
                    problems.append({"kind": kind, "file": str(saved), "reason": exc.reason})
            took = time.perf_counter() - t0
            slowest = max(slowest, (took, f"{suffix} {kind}"))
            outcomes[kind] += 1
            by_suffix[suffix] += 1
            path.unlink()
            n += 1
    return {
        "examples": n,
        "seconds": seconds,
        "seeds": len(seeds),
        "outcomes": dict(outcomes),
        "by_suffix": dict(by_suffix),
        "top_reasons": dict(reasons.most_common(12)),
        "problems": problems[:50],
        "worker_restarts": _WORKER.restarts,
        "slowest_s": round(slowest[0], 2),
        "slowest": slowest[1],
    }


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_questions() -> list[dict[str, Any]]:
    out = []
    for f in sorted((REPO / "evals" / "questions").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                out.append({k: q.get(k) for k in ("question", "audience", "history")})
    return out


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p * len(s)))], 1)


def run_soak(seconds: float, settings: Any, distinct: int = 5, seed: int = 0) -> dict[str, Any]:
    """Ask ``distinct`` questions round-robin for ``seconds``: errors, latency, and resident
    memory growth from the end of the first round (all code paths warm) to the end."""
    from rag.pipeline import build_pipeline

    t0 = time.perf_counter()
    built = 0.0
    pipe = build_pipeline(settings)
    if pipe.store.count() == 0:
        pipe.ingest([REPO / "corpus"], progress=False)
        built = time.perf_counter() - t0
    questions = load_questions()
    random.Random(seed).shuffle(questions)
    questions = questions[: max(1, distinct)]
    rss = [rss_mb()]
    lat: list[float] = []
    errors: Counter[str] = Counter()
    abstained = i = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        q = questions[i % len(questions)]
        t = time.perf_counter()
        try:
            ans = pipe.answer(q["question"], q["audience"] or "clinician", q["history"] or ())
            abstained += int(ans.abstained)
        except Exception as exc:
            errors[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1
        lat.append((time.perf_counter() - t) * 1000)
        rss.append(rss_mb())
        i += 1
    warm = rss[len(questions)] if len(rss) > len(questions) else None
    return {
        "questions_asked": i,
        "distinct_questions": len(questions),
        "rounds": round(i / len(questions), 2),
        "seconds": seconds,
        "index_built_s": round(built, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "abstained": abstained,
        "latency_ms": {"p50": _percentile(lat, 0.5), "p95": _percentile(lat, 0.95)}
        | {"max": round(max(lat, default=0.0), 1)},
        "rss_mb": {"start": round(rss[0], 1), "after_first_round": warm and round(warm, 1)}
        | {"end": round(rss[-1], 1), "growth_after_first_round": warm and round(rss[-1] - warm, 1)}
        | {"growth_second_half": round(rss[-1] - rss[len(rss) // 2], 1)},
        "rss_per_answer_mb": [round(x) for x in rss[1:]][-40:],
    }


def _print_summary(result: dict[str, Any]) -> None:
    fz, sk = result.get("fuzz"), result.get("soak")
    if fz:
        o = fz["outcomes"]
        print(
            f"fuzz: {fz['examples']} examples in {fz['seconds']:g} s from {fz['seeds']} seeds: "
            f"{o.get('loaded', 0)} loaded, {o.get('refused', 0)} refused with a reason, "
            f"{o.get('internal', 0)} internal errors, {o.get('timeout', 0)} timeouts, "
            f"{o.get('crash', 0)} crashes; slowest {fz['slowest_s']} s ({fz['slowest']})"
        )
        for p in fz["problems"][:10]:
            print(f"  {p['kind']}: {p['file']}: {p['reason'][:160]}")
    if sk:
        lat, rss = sk["latency_ms"], sk["rss_mb"]
        growth = rss["growth_after_first_round"]
        print(
            f"soak: {sk['questions_asked']} answers ({sk['rounds']} rounds of "
            f"{sk['distinct_questions']} questions) in {sk['seconds']:g} s, {sk['errors']} errors, "
            f"{sk['abstained']} abstained; latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
            f"max {lat['max']} ms; RSS {rss['start']} MB at start, {rss['end']} MB at the end, "
            + (f"{growth:+} MB after the first round" if growth is not None else "under one round")
            + f", {rss['growth_second_half']:+} MB over the second half of the run"
        )
        for kind, n in sk["error_kinds"].items():
            print(f"  {n} x {kind}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="Duration of each run.")
    ap.add_argument("--fuzz", action="store_true", help="Fuzz the loaders.")
    ap.add_argument("--soak", action="store_true", help="Ask questions repeatedly.")
    ap.add_argument("--seed", type=int, default=0, help="Random seed of the fuzzer.")
    ap.add_argument("--file-timeout", type=float, default=20.0, help="Per-file parse limit (s).")
    ap.add_argument("--index", type=Path, default=None, help="Index directory for --soak.")
    ap.add_argument("--distinct", type=int, default=5, help="Distinct questions in --soak.")
    ap.add_argument("--out", type=Path, default=REPO / "evals" / "out" / "soak")
    ap.add_argument("--json", action="store_true", help="Print one JSON object last.")
    args = ap.parse_args(argv)
    from citeqa.settings import get_settings
    from ingest.embedders import offline_env

    offline_env()
    both = not (args.fuzz or args.soak)
    result: dict[str, Any] = {}
    if args.fuzz or both:
        result["fuzz"] = run_fuzz(args.seconds, args.seed, args.out, args.file_timeout)
    if args.soak or both:
        overrides = {"index_dir": args.index} if args.index else {}
        settings = get_settings(**overrides)
        result["soak"] = run_soak(args.seconds, settings, args.distinct, args.seed)
    _print_summary(result)
    if args.json:
        print(json.dumps(result))
    bad = result.get("fuzz", {}).get("problems") or result.get("soak", {}).get("errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
