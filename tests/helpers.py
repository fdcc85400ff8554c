"""Small builders shared by tests."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def write_md(path: Path, doc_id: str, body: str, **meta: object) -> Path:
    front = {"doc_id": doc_id, "title": meta.pop("title", f"Document {doc_id}"), **meta}
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", "", body, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def prose(seed: int, sentences: int) -> str:
    rng = random.Random(seed)
    words = [
        "blinatumomab",
        "relapse",
        "marrow",
        "infusion",
        "children",
        "survival",
        "risk",
        "trial",
        "arm",
        "dose",
    ]
    out = []
    for i in range(sentences):
        ws = " ".join(rng.choice(words) for _ in range(rng.randint(8, 16)))
        out.append(f"Item {seed}-{i} says {ws} at {rng.randint(1, 99)}.")
    return "## Results\n\n" + " ".join(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def citeqa(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "citeqa"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
    )


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def wait_http(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except Exception as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(f"{url} not up after {timeout}s: {last}")


def profile_texts():  # type: ignore[no-untyped-def]
    """The shipped domain profile's texts (abstain text, notes...)."""
    from citeqa.domain import load_profile

    return load_profile("ball-blinatumomab").texts


ABSTAIN_TEXT = profile_texts().abstain
CARE_TEAM_NOTE = profile_texts().care_team_note
INJECTION_NOTE = profile_texts().injection_note
FAMILY_NOTE = profile_texts().family_note


def _prompt():  # type: ignore[no-untyped-def]
    from citeqa.domain import load_profile

    return load_profile("ball-blinatumomab").prompt


PROMPT = _prompt()


def as_answer(draft, question: str = "q?", audience: str = "clinician"):  # type: ignore[no-untyped-def]
    """The Answer the pipeline composes from an answerer's Draft (no notices, no glossary)."""
    from citeqa.answer import Audience
    from rag.compose import Context, compose_answer

    return compose_answer(draft, Context(question, Audience(audience), ABSTAIN_TEXT), ())
