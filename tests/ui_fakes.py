"""A pipeline with hand-made answers, for testing how the chat SHOWS answers.

The answering core (what fills ``Answer.query``, ``abstain_reason``, notices) is tested on its
own; here every answer is built by hand from the Answer schema, so the chat's display of
"Searched for", "Did you mean", a follow-up's reading, an abstention's reason and the filters
note can be checked whatever the core answers today. Questions are matched by keywords.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from citeqa.answer import (
    AbstainReason,
    Answer,
    Audience,
    Citation,
    Notice,
    QueryView,
)
from citeqa.models import Filters
from citeqa.settings import Settings
from rag.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
TINY_PDF = REPO / "tests" / "data" / "tiny.pdf"
ABSTRACT = "ash2025-758"
ARTICLE = "nejm2025"
PDF_DOC = "tiny-pdf-report"

TYPO_Q = "wat was 4y dfs aall1731"
SEARCHED = "What was the 4-year disease-free survival (DFS) in AALL1731?"
DYM_Q = "aall1371 side efects in kids"
DYM = "AALL1731 side effects in children"
FOLLOW_Q = "and in the control arms?"
RESOLVED = "What was the 4-year DFS in the control arms of AALL1731?"
FILTER_Q = "What was the 4-year DFS in AALL1731?"
REASON = "The documents within your filters do not report a 4-year DFS for AALL1731."

DOCS: list[dict[str, Any]] = [
    {
        "doc_id": ABSTRACT,
        "title": "Blinatumomab mitigates the impact of traditional adverse prognosticators among "
        "children with standard risk B-acute lymphoblastic leukemia: updated results of the "
        "Children's Oncology Group (COG) trial AALL1731",
        "doc_type": "conference-abstract",
        "year": 2025,
        "trial": "AALL1731",
        "chunks": 9,
        "source": "ash2025-758-aall1731.md",
        "path": str(REPO / "corpus" / "ash2025-758-aall1731.md"),
    },
    {
        "doc_id": ARTICLE,
        "title": "Blinatumomab added to chemotherapy in children with standard-risk B-ALL",
        "doc_type": "journal-article",
        "year": 2025,
        "trial": "AALL1731",
        "chunks": 12,
        "source": "nejm2025-aall1731.md",
        "path": str(REPO / "corpus" / "nejm2025-aall1731.md"),
    },
    {
        "doc_id": PDF_DOC,
        "title": "A one-page PDF report",
        "doc_type": "drug-label",
        "year": 2020,
        "trial": "",
        "chunks": 1,
        "source": "tiny.pdf",
        "path": str(TINY_PDF),
    },
]


def cite(n: int, doc_id: str, quote: str, locator: str = "Results") -> Citation:
    doc = next(d for d in DOCS if d["doc_id"] == doc_id)
    passage = f"Background sentence before. {quote} A sentence after the quote."
    start = passage.index(quote)
    return Citation(
        n=n,
        chunk_id=f"{doc_id}-c{n}",
        doc_id=doc_id,
        title=str(doc["title"]),
        reference=f"Author A, Author B. {doc['title']}. Journal. {doc['year']}.",
        doc_type=str(doc["doc_type"]),
        locator=locator,
        quote=quote,
        passage=passage,
        url="https://pubmed.ncbi.nlm.nih.gov/39651791/" if doc_id == ARTICLE else "",
        quote_spans=((start, start + len(quote)),),
        trial=str(doc["trial"]),
    )


DFS_CITES = (
    cite(
        1, ABSTRACT, "4-year DFS was 94.8% in the blinatumomab arms versus 86.9% with chemotherapy."
    ),
    cite(2, ARTICLE, "3-year DFS was 96.0% with blinatumomab and 87.9% without it."),
    cite(3, ABSTRACT, "Among patients with MRD at or above 0.01%, 4-year DFS was 92.8%."),
    cite(4, PDF_DOC, "The report lists the results on its first page.", locator="p. 1, Results"),
)
DFS_TEXT = (
    "4-year DFS was 94.8% with blinatumomab versus 86.9% with chemotherapy alone. [1] "
    "At 3 years it was 96.0% versus 87.9%. [2] With MRD of 0.01% or more it was 92.8%. [3] "
    "The report gives the figures on its first page. [4]"
)


def hand_answer(
    question: str,
    audience: str,
    history: Sequence[str],
    filters: Filters | None,
) -> Answer:
    """The hand-made answer for ``question`` (see the module docstring)."""
    aud = Audience(audience)
    q = question.lower()
    if "side efects" in q:
        return Answer(
            question, aud, "The indexed literature does not answer this question.", True,
            nearest=(DFS_CITES[0],),
            abstain_reason=AbstainReason("did-you-mean", "The question names nothing indexed."),
            query=QueryView(question, question, did_you_mean=(DYM,)),
        )  # fmt: skip
    if filters is not None and not filters.is_empty() and "dfs" in q:
        return Answer(
            question, aud, "The indexed literature does not answer this question.", True,
            nearest=(DFS_CITES[3],),
            abstain_reason=AbstainReason("no-passage", REASON),
            query=QueryView(question, question),
        )  # fmt: skip
    if history and q.startswith("and "):
        return Answer(
            question, aud, "In the control arms 4-year DFS was 86.9%. [1]", False,
            citations=(DFS_CITES[0],),
            query=QueryView(question, RESOLVED, resolved=RESOLVED, flags=("followup",)),
        )  # fmt: skip
    shown = SEARCHED if q.startswith("wat ") else question
    return Answer(
        question, aud, DFS_TEXT, False, citations=DFS_CITES,
        query=QueryView(question, shown),
        notices=(Notice("abstract-only", "Source [1] is a conference abstract.", (1,)),),
    )  # fmt: skip


class FakePipeline(Pipeline):
    """The real builder's Pipeline with hand-made answers and a fixed document list."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calls: list[tuple[str, Filters | None]] = []

    def answer(  # type: ignore[override]
        self,
        question: str,
        audience: Audience | str = Audience.CLINICIAN,
        history: Sequence[str] = (),
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        self.calls.append((question, filters))
        return hand_answer(question, str(audience), history, filters)

    def documents(self) -> list[dict[str, Any]]:
        return [dict(d) for d in DOCS]

    def stats(self) -> dict[str, int]:
        return {"files": len(DOCS), "documents": len(DOCS), "chunks": 22}


_FAKES: dict[str, FakePipeline] = {}


def fake_build(settings: Settings | None = None) -> FakePipeline:
    """Drop-in for ``rag.pipeline.build_pipeline``: one FakePipeline per settings."""
    from citeqa.settings import get_settings

    settings = settings or get_settings()
    key = settings.model_dump_json()
    if key not in _FAKES:
        _FAKES[key] = FakePipeline(settings)
    return _FAKES[key]
