"""Start `citeqa serve` as a real uvicorn subprocess on loopback for API tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.helpers import BIN, REPO, free_port

_CLEARED = ("CITEQA_CHROMA_URL", "CITEQA_API_KEY", "CITEQA_INDEX_DIR", "CITEQA_DATA_DIR")


def server_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a server: inherited, minus citeqa settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        {
            "CITEQA_DATA_DIR": str(data),
            "CITEQA_INDEX_DIR": str(data / "index"),
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        }
    )
    env.update(extra)
    return env


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Poll /healthz until it answers 200; fail early when the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"citeqa serve exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url}/healthz not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def api_server(env: dict[str, str], log: Path, timeout: float = 300) -> Iterator[str]:
    """Run `citeqa serve --port <free>` with ``env``; yield its base URL once ready."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "citeqa"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc, log, timeout)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


ZETA_Q = "What was the 3-year event-free survival in the ZETA12 trial?"
OMEGA_Q = "What was the complete remission rate after one cycle in OMEGA7?"

_DOCS = {
    "zeta12": (
        "## Results\n\nIn the ZETA12 trial, 3-year event-free survival was 91.2% with "
        "blinatumomab and 80.4% with chemotherapy alone. Grade 3 or higher cytokine release "
        "syndrome occurred in 2.1% of children given blinatumomab. Neurotoxicity of any grade "
        "was reported in 11 of 150 children.\n\n## Methods\n\nZETA12 enrolled 300 children "
        "aged 1 to 17 years with first-relapse B-ALL at 40 centres. Children were randomly "
        "assigned to two cycles of blinatumomab or two blocks of chemotherapy.",
        {"doc_type": "journal-article", "year": 2023, "trial": "ZETA12", "title": "ZETA12 trial"},
    ),
    "mrd-family": (
        "## What MRD means\n\nMRD means a very small number of leukemia cells left after "
        "treatment. A marrow test finds MRD when there is about one leukemia cell in ten "
        "thousand cells. Doctors use MRD to choose how strong the next treatment should be.",
        {
            "doc_type": "plain-language",
            "year": 2024,
            "audience": "family",
            "title": "MRD for families",
        },
    ),
    "pump-label": (
        "## Administration\n\nBlinatumomab is given as a continuous intravenous infusion "
        "through a pump for 28 days. The infusion bag is changed every 24 to 96 hours "
        "depending on how it was prepared.",
        {"doc_type": "drug-label", "year": 2022, "title": "Infusion label"},
    ),
}
_LATE_DOC = (
    "## Results\n\nIn the OMEGA7 study, the complete remission rate after one cycle of "
    "blinatumomab was 67.3% among 52 children with refractory B-ALL. Median time to "
    "remission was 29 days.",
    {"doc_type": "conference-abstract", "year": 2025, "trial": "OMEGA7", "title": "OMEGA7"},
)


def write_api_docs(root: Path) -> list[str]:
    """The small corpus of the API tests (invented trials); returns the doc ids."""
    from tests.helpers import write_md

    for doc_id, (body, meta) in _DOCS.items():
        write_md(root / f"{doc_id}.md", doc_id, body, **meta)
    return list(_DOCS)


def write_late_doc(root: Path) -> str:
    from tests.helpers import write_md

    body, meta = _LATE_DOC
    write_md(root / "omega7.md", "omega7", body, **meta)
    return "omega7"
