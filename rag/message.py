"""A message's parts: its question part (what it asks), the separate things it asks, the
context around it (what the asker tells first: "My son is 7 and on day 2 of blina. ... is this
a side effect?"), and whether it only makes sense after the previous message (a follow-up)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.lexicon import content_stems, words

# the start of a question ("what ...", "is ...", "tell ...")
_QUESTION_WORDS = (r"what|whats|what's|how|why|when|who|which|where|is|are|was|were|does|do|did"
                   r"|can|could|should|will|would")  # fmt: skip
WH_START = re.compile(rf"^\s*({_QUESTION_WORDS}|has|have|tell|explain|define|list)\b", re.I)
# a question after a filler word ("like what % of the kids...", "ok so how many")
_FILLED_WH = re.compile(
    r"^\s*(?:(?:like|so|ok|okay|and|but|also|then|well|hmm|um|just)[,]?\s+)+"
    r"(?:what|whats|what's|how|why|when|who|which|where)\b",
    re.I,
)
# A request put as a statement, at the start of a sentence or clause ("From the NEJM paper, I
# need the 3-year DFS in each arm.", "looking for the HR"); not a reported one ("asked if we want")
_NEED = re.compile(
    r"(?:^|,)\s*(?:(?:so|and|but|ok|okay|hi|hello)[,]?\s+)*(?:i|we)\s+(?:need|want|would like|'d like"
    r"|am looking for|'m looking for|are looking for)\b(?!\s+to\s+(?!know|find out|understand|see|learn)\w)"
    r"|^\s*(?:looking for|please (?:give|send|list|tell|show)|give me|send me|need)\b",
    re.I,
)
# a message that continues the previous one ("and in ...", "what about ...")
_LEAD = re.compile(
    r"^\s*(?:ok(?:ay)?[,.]?\s+|so\s+|then\s+)?(and|but|also|what about|how about|same for|"
    r"same in|and in|and for|and what about|what if|then what|ok and|in the|for the|among)\b",
    re.I,
)
# words that only start a message ("ok so ...", "right, ...", "hmm ...")
_FILLERS = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|well|right|alright|hmm+|um+|oh|ah|then)[,.!]?\s+)+", re.I
)
# words that point back ("it", "that", "they")
_ANAPHOR = re.compile(r"\b(it|its|that|this|these|those|they|them|their|there|same|then)\b", re.I)
# a full stop ends a sentence, but not that of "e.g.", "i.e.", "vs.", "etc." or "incl."
_MESSAGE_SENTENCE = re.compile(
    r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\betc\.)(?<!\bincl\.)\s+|\n+", re.I
)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _MESSAGE_SENTENCE.split(text) if s.strip()]


def _asks(sentence: str) -> bool:
    """A question ("...?", a question's start) or a request put as a statement."""
    s = sentence
    return bool(s.endswith("?") or WH_START.match(s) or _FILLED_WH.match(s) or _NEED.search(s))


def question_part(text: str) -> str:
    """The asking part of a message: its questions ("...?", sentences that start like a
    question, and requests put as statements: "I need the 3-year DFS"); the context around
    them (ages, days, what happened) is left to the flags.
    A message without any question is kept whole. (People type sentences in lower case, so
    any full stop followed by a space ends one.)"""
    sents = _sentences(text)
    asks = [s for s in sents if _asks(s)]
    return " ".join(asks) if asks and len(sents) > 1 else text


# where a sentence's second question starts: after a comma or "and"/"but"/"or", a question word
_SECOND = re.compile(
    rf"(?:[,;]\s*(?:(?:and|but|or)\s+)?|\s+(?:and|but|or)\s+)(?=(?:{_QUESTION_WORDS})\b)", re.I
)


def asked_parts(asking: str) -> tuple[str, ...]:
    """The separate questions of a question part that asks two or more things ("what actually
    is bone marrow and why do they keep needing samples of it??"): each sentence, cut again
    where a clause starts with a question word. Only pieces that ask themselves and say what
    about (2 content words or more: not "who was in it?") count; () for a question that asks
    one thing."""
    pieces = [p.strip(" ,;") for s in _sentences(asking) for p in _SECOND.split(s)]
    asks = tuple(p for p in pieces if len(content_stems(p)) >= 2 and _asks(p))
    return asks if len(asks) > 1 else ()


def message_context(text: str) -> str:
    """The sentences of a message around its question part ("" for none: a message that is
    all question, or has none)."""
    sents = _sentences(text)
    if len(sents) < 2 or not any(_asks(s) for s in sents):
        return ""
    return " ".join(s for s in sents if not _asks(s))


def leaned_on(context: str, asking: str) -> str:
    """The context sentences a question leans on: those sharing a content word with it, else
    the last one that says something ("She is 9." says little)."""
    sents = [s for s in _MESSAGE_SENTENCE.split(context) if len(content_stems(s)) > 1]
    own = set(content_stems(asking))
    return " ".join([s for s in sents if own & set(content_stems(s))] or sents[-1:])


def is_followup(text: str, has_history: bool, own_studies: Sequence[str]) -> bool:
    """A message that only makes sense after the previous one: it starts like a continuation
    ("and in...", "what about..."), or it is a fragment or leans on a pronoun without naming
    a study of its own. A self-contained question ("What is MRD?") is not one."""
    if not has_history:
        return False
    if _LEAD.match(text):
        return True
    text = _FILLERS.sub("", text)  # "ok so what would that look like": "that" leads
    if own_studies:
        return False
    ws = [w for w in words(text) if w.isalpha()]
    fragment = not WH_START.match(text) and len(ws) <= 6
    lead_pronoun = bool(_ANAPHOR.search(" ".join(text.split()[:3])))
    own_topic = len(content_stems(text)) > 2
    return fragment or (bool(_ANAPHOR.search(text)) and (lead_pronoun or not own_topic))
