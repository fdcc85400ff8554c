"""The question, parsed once into a frozen :class:`Query`: what is asked, in slots.

Slots are what an answer must bind: the *study* (trial names, whole identifiers), the *report*
(journal, meeting, year, first author), *time points* ("4-year"), the *statistic types* asked
(rate, hazard ratio, CI, p, median, count, duration, dose) and the *topic terms* (the outcome,
arm or subgroup words, as stems). Topic terms are whatever the question asks about: domain data
only adds synonyms and shorthand, so a user's own folder ("time to engraftment") works too.

Flags say how to treat the message: a follow-up read against the history, a personal dosing or
treatment decision, instructions inside the question, a comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from citeqa.domain import Safety, Vocabulary
from ingest.textnorm import match_text
from rag import question as legacy
from rag.arms import NamedSide, asked_sides, outcomes_by_study, subgroup_side
from rag.entities import EntityIndex
from rag.lexicon import IndexLexicon, content_stems, says, stem, tokens, words
from rag.measure import Measure, measures_of
from rag.message import (
    asked_parts,
    is_followup,
    leaned_on,
    message_context,
    question_part,
)
from rag.spelling import is_ordinary, zipf
from rag.status import status_spans
from rag.synonyms import Groups, alternatives_of, foreign_synonyms, synonym_groups, synonyms_of
from rag.timepoint import TimePoint, time_points, without_time
from rag.unknown_names import unknown_entities
from rag.urgent import safety_flags, without_dose_groups

if TYPE_CHECKING:
    from rag.spelling import Speller
    from rag.urgent import Guidance

# A report the asker rules out ("the NEJM figures, not the ASH update"): no qualifier.
_NOT_REPORT = re.compile(
    r"\b(?:not|rather than|instead of|other than|excluding|except)\s+((?:\S+\s+){0,3}\S+)", re.I
)
_COMPARE = re.compile(
    r"\b(vs\.?|versus|compared?|comparison|difference|differ|better|worse|against|both)\b", re.I
)


@dataclass(frozen=True)
class Slots:
    studies: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    time_points: tuple[TimePoint, ...] = ()
    statistics: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # stems of the asked topic
    outcomes: tuple[tuple[str, str], ...] = ()  # named outcomes: (short form, long form)
    # studies compared with an outcome each: (study, its outcomes) (rag/arms.py)
    outcomes_by_study: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    # synonym groups among the terms: each group is one topic word said in any of its phrases
    # (stems per phrase: ("heart",), ("cardiac",)), so a synonym adds no weight of its own
    alternatives: tuple[tuple[tuple[str, ...], ...], ...] = ()
    unseen: tuple[str, ...] = ()  # topic stems no indexed document uses ("tungsten")
    # a marker's status asked for, as (marker, sign) ("ph", "+"), with the words as written
    statuses: tuple[tuple[tuple[str, str], str], ...] = ()
    marker_names: tuple[tuple[str, str], ...] = ()  # (long name, marker) of the asked markers
    measures: tuple[Measure, ...] = ()  # what an asked rate or count counts ("seizures")
    sides: tuple[NamedSide, ...] = ()  # arms or subgroups compared by name ("boys vs girls")
    time_required: bool = False  # a follow-up asking only a new time point ("5y?")
    figure_required: bool = False  # a rate asked as a figure ("what %"): none stated, no answer
    claim: bool = False  # a claim to check ("..., wasn't it?"): its study may be the wrong one


@dataclass(frozen=True)
class Query:
    """A parsed question (see the module docstring)."""

    raw: str
    text: str  # what is searched for: injections removed, spelling and shorthand resolved
    retrieval: str  # text plus the long forms of abbreviations and what a follow-up carries
    focus: str  # what units are scored against: text, after the previous question for a follow-up
    slots: Slots
    flags: frozenset[str] = frozenset()  # followup, personal, injection, comparison
    resolved: str = ""  # a follow-up as read against the history
    did_you_mean: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # named entities (identifiers, drugs) the index never mentions
    soft_studies: tuple[str, ...] = ()  # studies of the conversation, not named in the question
    carried: tuple[str, ...] = ()  # slots a follow-up took from the previous question
    context_focus: str = ""  # also scored against (the better of the two): with_message_context
    parts: tuple[str, ...] = ()  # each question of a message asking two things (also scored)

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def own_parts(self) -> tuple[str, ...]:
        """:attr:`parts`, read on their own: none for a follow-up (they lean on the previous
        question)."""
        return () if self.has("followup") else self.parts


@dataclass
class Understanding:
    """What parsing needs to know about the index and the domain (built per store version)."""

    lexicon: IndexLexicon
    entities: EntityIndex
    vocab: Vocabulary
    speller: Speller | None = None
    guidance: Guidance | None = None  # the explainers' safety guidance (rag/urgent.py)
    safety: Safety | None = None  # the profile's safety patterns
    abbreviation_zipf: float = 3.5  # answer.abbreviation_zipf: lower-case outcome abbreviations
    _stat_words: dict[str, list[str]] = field(default_factory=dict)
    group_stems: frozenset[str] = field(init=False, default=frozenset())  # synonyms' words

    def __post_init__(self) -> None:
        self._stat_words = {k: [w.lower() for w in v] for k, v in self.vocab.statistics.items()}
        self.group_stems = frozenset(
            stem(w.lower()) for g in self.vocab.synonyms for w in g if " " not in w
        )


_DEFINITION = re.compile(
    r"\b(mean|means|meaning|stand for|stands for|define|definition|(?:of|out of) what)\b"
    r"|^\s*(what|whats|what's)"
    r"\s+(is|are)\s+(an?\s+)?[\w-]+\s*\??\s*$",
    re.I,
)


def statistics_asked(text: str, u: Understanding) -> list[str]:
    """Statistic types the question asks for (see the profile's ``statistics``); a question
    after a definition ("what does DFS mean?") asks for none."""
    if _DEFINITION.search(text) and not re.search(r"\d", text):
        return []
    text = without_dose_groups(text, u.safety)  # "high vs low dose" asks no dose
    found = [kind for kind, cues in u._stat_words.items() if says(cues, text)]
    if set(found) - {"rate"}:  # "HR for DFS": DFS names the outcome, HR the statistic
        found = [f for f in found if f != "rate"]
    return found


def expand_shorthand(text: str, u: Understanding) -> list[str]:
    """Long forms of the abbreviations and shorthand in ``text`` (the index's own first)."""
    out: list[str] = []
    mined = u.lexicon.abbreviations
    general = {k.lower(): v for k, v in u.vocab.abbreviations.items()}
    for tok in tokens(text):
        if tok in mined:
            out.append(mined[tok].long)
        elif tok.lower() in general and not (tok.islower() and tok.upper() in mined):
            out.append(general[tok.lower()])
    return list(dict.fromkeys(out))


def with_long_forms(text: str, u: Understanding) -> str:
    """``text`` with general shorthand replaced by its long form ("blina" -> blinatumomab);
    the index's own abbreviations stay (the documents use them), their long forms added."""
    general = {k.lower(): v for k, v in u.vocab.abbreviations.items()}
    mined = u.lexicon.abbreviations
    out = []
    for tok in re.split(r"(\s+)", text):
        core = tok.strip(".,;:?!()")
        if core and core not in mined and core.lower() in general and not u.lexicon.knows(core):
            out.append(tok.replace(core, general[core.lower()]))
        else:
            out.append(tok)
    return "".join(out)


def outcomes_named(text: str, u: Understanding, names: set[str]) -> list[tuple[str, str]]:
    """Outcomes the question names by an abbreviation the documents define, or by its long
    form: "OS" or "overall survival" ("overall survival (OS)" in a document)."""
    heads = {w.lower() for w in u.vocab.outcome_words}
    low = _spaced(text)
    out = []
    for short, ab in u.lexicon.abbreviations.items():
        if ab.long.split()[-1] not in heads or short.lower() in names:
            continue
        said_short = re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text) or (
            len(short) >= 3  # typed in lower case ("4y dfs"), unless a common word ("all")
            and zipf(short.lower()) < u.abbreviation_zipf
            and re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text, re.I)
        )
        if said_short or _spaced(ab.long) in low:
            out.append((short, ab.long))
    return out


_ALNUM = re.compile(r"[^\W_]+")


def _spaced(text: str) -> str:
    """``text``'s lower-case letters and digits as space-separated words, with a space at each
    end, so that "disease-free survival" and "disease free survival" read alike."""
    return " " + " ".join(_ALNUM.findall(text.lower())) + " "


def topic_terms(text: str, u: Understanding, exclude: set[str]) -> list[str]:
    """Stems of the content words the question asks about (names, numbers, statistic cues and
    generic words left out)."""
    generic = {stem(w) for w in u.vocab.generic_words}
    out = []
    for s in content_stems(without_time(text)):
        if s in exclude or s in generic or (any(ch.isdigit() for ch in s) and not _label(s, u)):
            continue
        out.append(s)
    return list(dict.fromkeys(out))


def _label(s: str, u: Understanding) -> bool:
    """A name made of letters and digits that the index uses (a strain "IN61", an arm "HC3",
    a marker "CD19"): a topic word, unlike a number or a time point."""
    return bool(re.fullmatch(r"(?=.*[a-z])(?=.*\d)[a-z0-9:/-]{2,}", s)) and s in u.lexicon.df


def parse_slots(
    text: str, asking: str, u: Understanding, groups: Groups, variants: Sequence[str] = ()
) -> Slots:
    """The slots of a question: named studies and reports (in ``text``), and the time points,
    statistics, outcomes and topic terms of its question part ``asking`` (whose synonym
    ``groups`` are given)."""
    text_for_names = _with_journal_names(text, u)
    studies = u.entities.studies_in(text_for_names)
    reports = [r for r in u.entities.reports_in(text_for_names) if r not in studies]
    ruled_out: set[str] = set()
    if reports:  # "..., not the ASH update": a report ruled out is no qualifier
        ruled_out = {
            r for m in _NOT_REPORT.finditer(text_for_names) for r in u.entities.reports_in(m[1])
        }
        reports = [r for r in reports if r not in ruled_out] or reports
    names = set(studies) | set(reports) | ruled_out  # (nor are a ruled-out report's words topic)
    outcomes = outcomes_named(asking, u, names)
    # words bound by a slot (a study's name, an outcome's short and long form) are not topic
    exclude = {stem(w) for s in names for w in words(u.entities.name(s))} | names
    exclude |= {stem(w) for a in u.vocab.journal_aliases for w in words(a)} if reports else set()
    exclude |= {stem(w) for short, long in outcomes for w in words(f"{short} {long}")}
    said = " ".join([with_long_forms(asking, u), *synonyms_of(groups), *variants])
    terms = tuple(topic_terms(said, u, exclude))
    claim = legacy.is_claim(asking)  # a claim's figures are checked, not matched
    known = {a.lower().rstrip("+-") for a in u.lexicon.abbreviations}
    aliases = {k.lower(): v.lower() for k, v in u.vocab.marker_names.items()}
    statistics = () if claim else tuple(statistics_asked(asking, u))
    asked = () if claim else tuple(status_spans(asking, known, aliases))
    markers = {m for (m, _), _ in asked}
    alternatives = alternatives_of(groups, terms)
    # a measure word no document uses leaves the measure when it is ordinary English ("sick");
    # a term of the field ("hepatotoxicity") or of a synonym group ("died": deaths, mortality)
    # stays: no unit can name it, so none answers
    generic = {stem(w) for w in u.vocab.generic_words} | {
        stem(w)
        for w in words(asking)
        if not u.lexicon.df.get(stem(w)) and is_ordinary(w) and stem(w) not in u.group_stems
    }
    long_forms = {k.lower(): v for k, v in u.vocab.abbreviations.items()}  # "blin", "soc"
    long_forms |= {k: a.long for k, a in u.lexicon.abbreviations.items()}
    measures = measures_of(asking, exclude | generic, long_forms, alternatives)
    used = [g for g in alternatives if any(all(u.lexicon.df.get(x) for x in p) for p in g)]
    said_otherwise = {t for g in used for p in g for t in p}  # "leukaemia": leukemia is used
    return Slots(
        studies=tuple(studies),
        reports=tuple(reports),
        time_points=() if claim else tuple(time_points(legacy.main_clause(asking))),
        statistics=statistics,
        figure_required="rate" in statistics and says(u.vocab.figure_words, asking),
        claim=claim,
        outcomes=tuple(outcomes),
        outcomes_by_study=outcomes_by_study(text, u.entities.studies_in, outcomes),
        terms=terms,
        alternatives=alternatives,
        unseen=tuple(t for t in terms if not u.lexicon.df.get(t) and t not in said_otherwise),
        statuses=asked,
        marker_names=tuple((k, v) for k, v in aliases.items() if v in markers),
        measures=() if claim else measures,
        sides=() if claim or len(studies) > 1 else sides_of(asking, u, outcomes),
    )


def sides_of(
    asking: str, u: Understanding, outcomes: Sequence[tuple[str, str]]
) -> tuple[NamedSide, ...]:
    """The arms or subgroups the question compares by name, or else the one subgroup it asks
    about by name (rag/arms.py); an outcome's or a study's words are not side words."""
    shown = shown_elsewhere(u, outcomes)
    compared = asked_sides(asking, u.vocab, shown)
    if compared:
        return tuple(compared)
    one = subgroup_side(asking, u.vocab, shown)
    return () if one is None else (one,)


def shown_elsewhere(u: Understanding, outcomes: Sequence[tuple[str, str]]) -> Callable[[str], bool]:
    """Whether a word is an asked outcome's or names a study: shown in its own slot, so no
    word of an arm or group."""
    names = {w for pair in outcomes for w in words(" ".join(pair))}
    return lambda w: w.lower() in names or bool(u.entities.studies_in(w))


def parse_query(raw: str, u: Understanding, history: Sequence[str] = (), _depth: int = 0) -> Query:
    """Parse ``raw`` (with the user's earlier messages ``history``, oldest first)."""
    q, asking = _parse_message(raw, u)
    return q if _depth else _read_in_chat(q, asking, u, history)


def _parse_message(raw: str, u: Understanding) -> tuple[Query, str]:
    """``raw`` on its own (no message context, no chat), and its question part."""
    cleaned, injected = legacy.strip_injection(raw)
    text = u.entities.with_study_numbers(u.entities.with_venue_years(match_text(cleaned or raw)))
    did_you_mean: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    spelt: Groups = []
    if u.speller is not None:
        fixed = u.speller.correct(text)
        text, did_you_mean, variants = fixed.text, fixed.did_you_mean, fixed.variants
        spelt = [([o], [v]) for o, v in zip(fixed.originals, variants, strict=False)]
    asking = question_part(text)
    groups = synonym_groups(asking, u) + spelt  # a variant is the same word: one topic term
    slots = parse_slots(text, asking, u, groups, variants)
    flags: set[str] = set()
    if injected:
        flags.add("injection")
    flags |= safety_flags(text, u.safety)
    if len(slots.studies) > 1 or (_COMPARE.search(text) and slots.studies):
        flags.add("comparison")
    syns = synonyms_of(groups)
    extra = expand_shorthand(asking, u) + syns + list(variants)
    spelled = with_long_forms(asking, u)  # what the cross-encoder reads
    unsaid = foreign_synonyms(groups, u)
    q = Query(
        raw=raw,
        text=text,
        retrieval=" ".join([asking, *extra]),
        focus=f"{spelled} ({', '.join(unsaid)})" if unsaid else spelled,
        slots=slots,
        flags=frozenset(flags),
        did_you_mean=did_you_mean,
        unknown=tuple(unknown_entities(text, u)),
        parts=tuple(with_long_forms(p, u) for p in asked_parts(asking)),
    )
    return q, asking


def _read_in_chat(q: Query, asking: str, u: Understanding, history: Sequence[str]) -> Query:
    """``q`` (its question part ``asking``) read after the sentences of its message it leans
    on, then after the chat's ``history``."""
    slots = q.slots
    context = message_context(q.text)
    leaned = leaned_on(context, asking) if context else ""
    if context and is_followup(asking, True, u.entities.studies_in(asking)):
        from rag.followup import with_message_context

        q = with_message_context(q, parse_query(context, u, (), 1), leaned)
    elif leaned:  # a question of its own is also read after its story (the better of the two)
        q = replace(q, context_focus=f"{leaned} {q.focus}")
    return _in_conversation(q, slots, u, history)


_CHAIN = 3  # earlier turns a follow-up's previous question is read after


def _in_conversation(q: Query, slots: Slots, u: Understanding, history: Sequence[str]) -> Query:
    """``q`` (whose message's own slots are ``slots``) read after the chat's ``history``: a
    follow-up, a question asking an attribute of the previous study, or one naming none."""
    text, studies = q.text, list(slots.studies)
    prev = next((h for h in reversed(history) if h.strip()), "")
    if not prev:
        return q
    from rag.followup import (  # (they use Query)
        asks_attribute_only,
        carry_over,
        carry_study,
        group_of,
        with_chat_study,
    )

    # the previous question as read after its own history (a study two turns back; the last
    # _CHAIN turns); the cross-encoder reads it as it was typed, not after the earlier ones
    own, own_asking = _parse_message(prev, u)
    earlier = history[:-1][-_CHAIN:]
    before = replace(_read_in_chat(own, own_asking, u, earlier), focus=own.focus)
    if is_followup(text, True, studies):
        groups_named = (group_of(text, u, slots), group_of(prev, u, before.slots))
        long_forms = {k.lower(): v for k, v in u.vocab.abbreviations.items()}
        return carry_over(q, before, long_forms, groups_named)
    if asks_attribute_only(q, before, u):
        return carry_study(q, before, u)
    if not studies and before.slots.studies:
        return with_chat_study(q, before, u)
    return q


def _with_journal_names(text: str, u: Understanding) -> str:
    out = text
    for alias, venue in u.vocab.journal_aliases.items():
        out = re.sub(rf"(?<!\w){re.escape(alias)}(?!\w)", venue, out, flags=re.I)
    return out
