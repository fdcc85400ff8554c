"""Safety guidance from the explainers, triggered by the message, never by the audience.

The plain-language explainers hold standing guidance, found by the domain profile's ``safety``
patterns: the urgent sections (their lists and sentences are the *warning signs*), the "if
something seems off, call" guidance, and the guidance for personal dosing requests.

- A message describing a warning sign in one's own child, now, leads with the urgent section
  that lists the sign (emergency services first when the explainer says so for that sign). A
  sign is recognised through the profile's plain words for signs ("burning up" -> fever), else
  by the cross-encoder reading "my child has <sign>" against the message's statements. A
  worried message ("am I overreacting?") also gets the "if something seems off" guidance after it.
- A question about when to call or go to the emergency room gets the section of the fullest
  urgent list (the list and its emergency sentence). A worry about one's own child that
  matches no listed sign (or such a question when no explainer has that list) gets the "if
  something seems off" guidance instead of a bare decline.
- A personal dosing or pump request leads with the dose guidance (and no dose figure is ever
  quoted, see rag/answer.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from citeqa.domain import Safety
from citeqa.models import Chunk, ScoredChunk
from citeqa.protocols import Reranker
from ingest.sentences import split_sentences
from rag.candidates import Unit, units_of
from rag.rerank import score_pairs

PLAIN = "plain-language"


@dataclass(frozen=True)
class Guidance:
    """The explainers' standing guidance in one index (built per store version)."""

    urgent: tuple[Unit, ...]
    fallback: tuple[Unit, ...]
    dose: tuple[Unit, ...]
    watch: tuple[Unit, ...] = ()  # lists of signs to watch for, outside the urgent sections
    pump: tuple[Unit, ...] = ()  # how the infusion runs ("flows all day and all night")
    home: tuple[Unit, ...] = ()  # which medicines are safe to give at home

    def signs(self) -> list[tuple[str, Unit]]:
        """Every warning sign with the unit that lists it: list items first (a list keeps its
        lead-in, "call right away if your child has:"), then sentences, then the items of the
        lists of signs to watch for."""
        lists = [(item, u) for u in self.urgent for item in u.items]
        sentences = [(u.text, u) for u in self.urgent if not u.items]
        return lists + sentences + [(item, u) for u in self.watch for item in u.items]

    def call_list(self) -> Unit | None:
        """The fullest urgent list ("call right away if your child has:" and its items)."""
        return max((u for u in self.urgent if u.items), key=lambda u: len(u.full), default=None)

    def when_to_call(self) -> tuple[Unit, ...]:
        """What a question about when to call or go to the emergency room gets: the section of
        the fullest urgent list (its sentences and the list, in the explainer's order)."""
        full = self.call_list()
        if full is None:
            return ()
        section = [u for u in self.urgent if u.chunk.chunk_id == full.chunk.chunk_id]
        return tuple(sorted(section, key=lambda u: u.position))


def build_guidance(chunks: Sequence[Chunk], safety: Safety) -> Guidance:
    plain = sorted(
        (c for c in chunks if c.meta.doc_type == PLAIN), key=lambda c: (c.doc_id, c.ordinal)
    )
    heading = re.compile(safety.urgent_heading, re.I)
    units = [u for c in plain for u in units_of(ScoredChunk(c, 0.0), 0)]
    urgent = tuple(u for u in units if heading.search(u.chunk.section))
    fallback = tuple(u for u in units if re.search(safety.fallback_guidance, u.full, re.I))
    dose = tuple(u for u in units if re.search(safety.dose_guidance, u.full, re.I))
    watch = tuple(
        u
        for u in units
        if u.items and u not in urgent and re.search(safety.sign_lists, u.text, re.I)
    )
    pump = _saying(units, safety.pump_guidance)
    home = _saying(units, safety.home_medicine_guidance)
    return Guidance(urgent, fallback, dose, watch, pump, home)


def _saying(units: Sequence[Unit], pattern: str) -> tuple[Unit, ...]:
    """The units matching an optional guidance ``pattern`` (none when it is empty)."""
    return tuple(u for u in units if pattern and re.search(pattern, u.full, re.I))


def dose_lead(
    focus: str, message: str, g: Guidance, safety: Safety, reranker: Reranker
) -> tuple[Unit, ...]:
    """The guidance for a personal dosing or pump request: the 3 dose-guidance units the
    cross-encoder ranks first against ``focus``; for a request to pause, stop or slow the
    infusion, the explainers' statement of how it runs comes first ("The medicine flows all day
    and all night for 28 days."); for a home medicine ("how much calpol can I give?"), which
    medicines are safe to give at home, before the 2 first dose units."""
    ranked = _by_logit(focus, g.dose, reranker)[:3]
    if g.pump and re.search(safety.pump_change, message, re.I):
        ranked = [_by_logit(focus, g.pump, reranker)[0], *ranked]
    elif g.home and safety.home_medicine and re.search(safety.home_medicine, message, re.I):
        ranked = [_by_logit(focus, g.home, reranker)[0], *ranked[:2]]
    return tuple(ranked)


def _by_logit(focus: str, units: Sequence[Unit], reranker: Reranker) -> list[Unit]:
    if not units:
        return []
    logits = [float(x) for x in reranker.score(focus, [u.full for u in units])]
    return [u for _, u in sorted(zip(logits, units, strict=True), key=lambda x: -x[0])]


def statements(message: str) -> str:
    """What the message tells (its sentences that are not questions)."""
    sents = [message[a:b].strip() for a, b in split_sentences(message)]
    told = [s for s in sents if not s.endswith("?")]
    return " ".join(told) or message


def about_own_child(message: str, safety: Safety) -> bool:
    return bool(re.search(safety.own_child, message, re.I))


def own_situation_now(message: str, safety: Safety) -> bool:
    """The asker tells of their own situation, now ("the pump keeps beeping, what do I do?"),
    without naming the child."""
    return bool(re.search(safety.first_person, message, re.I)) and bool(
        re.search(safety.now, message, re.I)
    )


def about_own_child_now(message: str, safety: Safety) -> bool:
    return about_own_child(message, safety) and bool(re.search(safety.now, message, re.I))


def plain_signs(text: str, safety: Safety) -> list[str]:
    """The explainers' words for the signs ``text`` describes in plain words (a plural counts)."""
    low = f" {' '.join(text.lower().split())} "
    out = []
    for group in safety.sign_synonyms:
        if any(
            re.search(rf"(?<![\w']){re.escape(w.lower())}(?:e?s)?(?![\w'])", low) for w in group
        ):
            out.append(group[0])
    return out


@dataclass(frozen=True)
class SignMatch:
    sign: str  # the listed sign
    unit: Unit  # the urgent unit that lists it
    how: str  # "words" (plain words for signs) or "reading" (the cross-encoder)


def match_signs(
    message: str, g: Guidance, safety: Safety, reranker: Reranker, min_logit: float
) -> list[SignMatch]:
    """The listed warning signs a message about one's own child describes, best first (empty:
    none). Plain words for a sign are enough; the reading model needs the message to say the
    sign is happening now. A message naming neither the child nor "my"/"our" counts when the
    asker tells of their own situation now (:func:`own_situation_now`)."""
    if not (about_own_child(message, safety) or own_situation_now(message, safety)):
        return []
    told = statements(message)
    words = set(plain_signs(told, safety))
    found = [
        SignMatch(sign, unit, "words")
        for sign, unit in g.signs()
        if words & set(plain_signs(sign, safety))
    ]
    if found:  # urgent lists first ("call right away if your child has:"), then a section
        # whose heading names the sign, the unit listing most signs told, the fullest unit,
        # the fullest section
        def size(u: Unit) -> int:
            return sum(len(x.full) for x in g.urgent if x.chunk.chunk_id == u.chunk.chunk_id)

        return sorted(
            found,
            key=lambda m: (
                m.unit not in g.urgent,
                not m.unit.items,
                not words & set(plain_signs(m.unit.chunk.section, safety)),
                -len(words & set(plain_signs(m.unit.full, safety))),
                -len(m.unit.full),
                -size(m.unit),
            ),
        )
    signs = g.signs()
    if not signs or not about_own_child_now(message, safety):
        return []
    logits = [
        float(x) for x in score_pairs(reranker, [(f"my child has {s}", told) for s, _ in signs])
    ]
    ranked = sorted(zip(logits, signs, strict=True), key=lambda x: -x[0])
    return [SignMatch(s, u, "reading") for lg, (s, u) in ranked if lg >= min_logit][:3]


def urgent_units(
    matches: Sequence[SignMatch], g: Guidance, message: str, safety: Safety
) -> list[Unit]:
    """The urgent section of the best matched sign, the unit listing it first; a sentence of
    that section that names the same sign ("If your child ... cannot breathe well, call
    emergency services first") comes before the list. Then a section whose heading names a
    sign told ("When the pump alarms"); and a sign known only from a list of signs to watch
    for gets the fullest urgent list first, then that list. A worried message (the profile's
    ``worry``) ends with the "if something seems off, call" guidance."""
    if not matches:
        return []
    best = matches[0].unit
    if best not in g.urgent:  # a sign to watch for: the call list, then the list naming it
        call = g.call_list()
        return [call, best] if call is not None else [best]
    section = [u for u in g.urgent if u.chunk.chunk_id == best.chunk.chunk_id]
    told = set(plain_signs(statements(message), safety)) | {m.sign for m in matches}
    named = [
        u
        for u in section
        if not u.items
        and (set(plain_signs(u.text, safety)) & told or any(m.sign in u.text for m in matches))
    ]
    first = named[0] if named else best
    out = [first, *(u for u in section if u is not first)]
    headed = [
        u
        for u in g.urgent
        if u.chunk.chunk_id != best.chunk.chunk_id
        and set(plain_signs(u.chunk.section, safety)) & told
    ]
    # a worried parent ("am I overreacting?") is also told that calling is fine
    reassured = list(g.fallback[:2]) if re.search(safety.worry, message, re.I) else []
    return out + headed + reassured


def asks_when_to_seek_help(message: str, s: Safety | None) -> bool:
    """Whether ``message`` asks when or whom to call, or what to do if a sign appears (the
    profile's ``safety.seek_help``)."""
    return s is not None and bool(s.seek_help) and bool(re.search(s.seek_help, message, re.I))


def without_dose_groups(text: str, s: Safety | None) -> str:
    """``text`` without doses that name a group or a regimen ("high vs low dose",
    "high-dose methotrexate"; the profile's ``safety.dose_groups``): they ask no dose."""
    return re.sub(s.dose_groups, " ", text, flags=re.I) if s is not None and s.dose_groups else text


def safety_flags(text: str, s: Safety | None) -> set[str]:
    """``dose-request``: asks for an amount of a medicine or to change how it runs;
    ``personal``: such a request (or a treatment decision) for one's own child or patient;
    ``caregiver``: the message reads as a parent's or carer's; else ``adult``: it is about
    the asker's own illness or another adult's."""
    flags = set()
    asks = s is not None and bool(
        re.search(s.dose_request, without_dose_groups(text, s), re.I)
        or re.search(s.pump_change, text, re.I)
    )
    if asks:
        flags.add("dose-request")
    mine = s is not None and bool(
        re.search(s.own_child, text, re.I) or re.search(s.first_person, text, re.I)
    )
    if (s is not None and re.search(s.decision, text, re.I)) or (asks and mine):
        flags.add("personal")
    if s is not None and re.search(s.caregiver, text, re.I):
        flags.add("caregiver")
    elif s is not None and s.adult and re.search(s.adult, text, re.I):
        flags.add("adult")
    return flags
