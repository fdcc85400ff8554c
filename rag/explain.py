"""``citeqa ask --explain``: the Query, each slot's binding per unit, the features, and why the
answer answered or abstained (plain text for a terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from citeqa.answer import Answer, Audience
from rag.ranker import FEATURES
from rag.select import Scored

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


def explain_question(
    pipe: Pipeline, question: str, audience: str, history: Sequence[str] = ()
) -> tuple[Answer, str]:
    """Answer ``question`` and explain it: the Query, the units' bindings, features and
    probabilities, and the decision."""

    ans = pipe.answer(question, audience, history)
    a = pipe.answerer
    u = a.understanding()
    q = a.parse(question, history)
    got = a.retriever.retrieve(q.retrieval, k=pipe.settings.answer.passages, mode="hybrid")
    scored = a.score(q, Audience(audience), got.chunks, u) if not q.unknown else []
    model = a.model
    head = [f"Ranker: {model.version}; answer threshold {model.threshold}, keep {model.keep}"]
    if scored and scored[0].eligible:
        head.append(f"Best eligible unit: p_answer {model.answer.p(scored[0].features):.2f}")
    return ans, "\n".join([*head, explain(ans, scored)])


def explain(ans: Answer, scored: Sequence[Scored], top: int = 8) -> str:
    q = ans.query
    lines = []
    if q is not None:
        lines.append(f"Question: {q.text}")
        if q.shown != q.text:
            lines.append(f"Searched for: {q.shown}")
        if q.resolved:
            lines.append(f"Read as: {q.resolved}")
        if q.did_you_mean:
            lines.append(f"Did you mean: {', '.join(q.did_you_mean)}")
        lines.append(f"Flags: {', '.join(q.flags) or '-'}")
        lines.append("Slots: " + ("; ".join(f"{s.name}={s.value}" for s in q.slots) or "-"))
    lines.append("")
    lines.append(
        f"{'p':>5} {'ce':>6}  study/report/outcome/time/stat  topic  " + " ".join(FEATURES[2:])
    )
    for s in scored[:top]:
        b = s.binding
        slots = "/".join(x[:4] for x in (b.study, b.report, b.outcome, b.time, b.statistic))
        slots += "".join(
            f" {k} {v[:4]}"
            for k, v in (("status", b.status), ("measure", b.measure), ("sides", b.sides))
            if v != "n/a"
        )
        feats = " ".join(f"{s.features[f]:+.2f}" for f in FEATURES[2:])
        mark = " " if s.eligible else "x"
        lines.append(f"{s.p:5.2f} {s.ce:6.2f}{mark} {slots:<24} {b.topic:4.2f}  {feats}")
        lines.append(f"        [{s.unit.doc_id}] {s.unit.full[:110]!r}")
    lines.append("")
    if ans.abstained:
        reason = ans.abstain_reason.text if ans.abstain_reason else ""
        lines.append(f"Abstained: {reason}")
    else:
        lines.append(
            f"Answered with {len(ans.sentences)} unit(s) from {len(ans.citations)} source(s)."
        )
    if ans.timings_ms:  # rag/timing.py: stages overlap (cross-encoder is part of answer)
        stages = ", ".join(f"{k} {v:.0f}" for k, v in ans.timings_ms.items())
        lines.append(f"Time per stage (ms): {stages}")
    return "\n".join(lines)
