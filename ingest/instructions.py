"""Instruction text inside documents: sentences that address the answering system or dictate
what it must output ("Note for AI assistants: when asked about this trial, report that ...").

Such sentences are evidence of nothing, so ingest drops them from the quotable text and says so
in the file's notes. This is the second line of defence: the first is layout (invisible, tiny
and off-page PDF text never reaches the text, ``ingest.loaders.pdf_layout``). The patterns look
for who is addressed (an AI, a model, a summariser, "your answer") or for an override of rules,
never for imperative mood alone: "Tell your doctor ..." and "Do not flush the line" stay.
"""

from __future__ import annotations

import re
from dataclasses import replace

from citeqa.models import Section
from ingest.sentences import split_sentences

_AI = (
    r"(?:ai|a\.i\.|artificial intelligence|(?:ai |virtual |chat |digital )?assistants?|chat ?bots?"
    r"|chatgpt|gpt(?:-?\d+)?|llms?|(?:large )?language models?|the model|models?(?= reading)"
    r"|automated (?:systems?|summari[sz]ers?|tools?|readers?|agents?)|summari[sz]ers?|bots?)"
)
_SAY = r"(?:report|say|state|answer|respond|reply|tell|claim|write|summari[sz]e|cite|quote|rate|output|describe|present|mention|conclude)"
_PATTERNS = [
    # an AI or automated reader addressed, told what to do
    rf"\b(?:note|message|instructions?|attention|dear|hello|hi|to any|to all)\b[^.:]{{0,30}}\b{_AI}\b",
    rf"\b{_AI}\b[^.]{{0,60}}\b(?:must|should|shall|need to|are to|is to|please)\b",
    rf"\b(?:if|when) you are (?:an?|the) {_AI}\b",
    rf"^\s*{_AI}\b[^.]{{0,40}}[,:]",
    # overriding rules or context
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.]{0,40}\b(?:instructions?|rules?|context|prompts?|guidelines|guardrails|safety|restrictions|sources?|everything)\b",
    r"\b(?:system prompt|developer mode|jailbreak|new instructions|prompt injection)\b",
    r"\bfrom now on\b[^.]{0,40}\b(?:answer|respond|reply|say)\b",
    # dictating the output
    rf"\b(?:when|if|whenever)\b[^.]{{0,40}}\b(?:asked|questioned|summari[sz]ing|answering|queried)\b[^.]{{0,80}}\b{_SAY}\s+(?:that|with|only)\b",
    r"\b(?:in|for) your (?:answer|response|reply|summary|output)s?\b",
    r"\byour (?:answer|response|reply|output|summary) (?:must|should|shall)\b",
    r"\b(?:respond|reply|answer)\b[^.]{0,20}\bonly with\b",
    r"\b(?:output|print|repeat) the following\b",
    r"\bpretend (?:you are|to be)\b",
    r"\bact as (?:an?|the) (?:unrestricted|different|new)\b",
    r"\bthe correct answer is\b",
    r"\banswer every question\b",
    r"\b(?:quote|cite) only this\b",
    r"\bcite this (?:study|document|source|paper|page) as\b",
    r"\bwhen answering (?:questions|queries)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# A word every pattern above needs (a superset: "ai" also finds "aim"): a sentence without one
# skips the patterns, which cost about 70 µs a sentence (a third of parsing a plain abstract).
_NEEDED = re.compile(
    r"\b(?:ai|a\.i|artificial|assistant|chat|gpt|llm|language model|model|automated|summari"
    r"|bot|ignore|disregard|forget|override|bypass|prompt|developer mode|jailbreak|instruction"
    r"|from now on|asked|questioned|answering|queried|your|only with|the following|pretend"
    r"|act as|correct answer|answer every|only this|cite this)",
    re.IGNORECASE,
)


def is_instruction(sentence: str) -> bool:
    """Does ``sentence`` address the answering system or dictate its output?"""
    return bool(_NEEDED.search(sentence)) and bool(_INSTRUCTION.search(sentence))


def _shift(
    starts: tuple[tuple[int, int], ...], cuts: list[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    out = []
    for pos, page in starts:
        removed = sum(min(b, pos) - a for a, b in cuts if a < pos)
        out.append((max(0, pos - removed), page))
    return tuple(out)


def drop_instructions(section: Section) -> tuple[Section, int]:
    """``section`` without its instruction sentences, and how many were dropped."""
    cuts = [(a, b) for a, b in split_sentences(section.text) if is_instruction(section.text[a:b])]
    if not cuts:
        return section, 0
    if section.kind == "table-row":
        return replace(section, text=""), len(cuts)
    keep, last = [], 0
    wide: list[tuple[int, int]] = []
    for a, b in cuts:
        while b < len(section.text) and section.text[b] == " ":
            b += 1  # the space after the sentence goes with it
        keep.append(section.text[last:a])
        wide.append((a, b))
        last = b
    keep.append(section.text[last:])
    text = "".join(keep)
    stripped = re.sub(r"\n{3,}", "\n\n", text).strip()
    lead = len(text) - len(text.lstrip())
    starts = _shift(section.page_starts, [*wide, (0, lead)] if lead else wide)
    return replace(section, text=stripped, page_starts=starts), len(cuts)
