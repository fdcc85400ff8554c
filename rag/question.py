"""Pure analysis of a question: what it needs, whether it asks for a personal decision, whether it
tries to change the rules, and how a follow-up reads in the light of the chat history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.numbers import extract_numbers

# Measures a question can ask for; a sentence answering it must name the same measure.
MEASURES: dict[str, tuple[str, ...]] = {
    "disease-free survival": ("disease-free survival", "dfs"),
    "overall survival": ("overall survival", " os "),
    "event-free survival": ("event-free survival", "efs"),
    "relapse-free survival": ("relapse-free survival", "rfs"),
    "cumulative incidence": ("cumulative incidence", "cir"),
    "cytokine release syndrome": ("cytokine release syndrome", "crs"),
    "complete remission": ("complete remission",),
    "hazard ratio": ("hazard ratio", " hr "),
    "median": ("median",),
    "follow-up": ("follow-up", "followed up", "follow up"),
    "MRD": ("mrd", "residual disease"),
}
# Domain acronyms that are vocabulary, not names of particular studies.
COMMON_ACRONYMS = frozenset(
    [
        "ALL",
        "B-ALL",
        "MRD",
        "DFS",
        "CRS",
        "CNS",
        "EFS",
        "RFS",
        "CIR",
        "FDA",
        "ICANS",
        "NCI",
        "COG",
        "ASH",
        "WBC",
        "BCR",
        "ABL1",
        "CD19",
        "IV",
        "SE",
        "CI",
        "US",
        "HR",
        "OS",
        "CR",
        "PH",
        "PH+",
        "NEJM",
        "JAMA",
        "USA",
        "UK",
        "EU",
        "AML",
        "CAR-T",
        "CAR",
        "IQR",
        "PI",
        "HIV",
    ]
)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "and",
        "or",
        "but",
        "not",
        "no",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "than",
        "then",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "their",
        "there",
        "here",
        "as",
        "about",
        "into",
        "over",
        "under",
        "after",
        "before",
        "during",
        "between",
        "can",
        "could",
        "should",
        "would",
        "will",
        "may",
        "might",
        "must",
        "shall",
        "i",
        "we",
        "you",
        "he",
        "she",
        "my",
        "our",
        "your",
        "his",
        "her",
        "me",
        "us",
        "any",
        "all",
        "some",
        "such",
        "more",
        "most",
        "less",
        "least",
        "very",
        "also",
        "only",
        "just",
        "so",
        "if",
        "else",
        "per",
        "vs",
        "versus",
        "tell",
        "say",
        "said",
        "give",
    ]
)
# function words that a small corpus may simply never use: not topics of their own
STOPWORDS |= frozenset(
    [
        "without",
        "within",
        "against",
        "among",
        "across",
        "through",
        "throughout",
        "whether",
        "while",
        "although",
        "though",
        "unless",
        "toward",
        "towards",
        "despite",
        "onto",
        "beyond",
        "along",
        "upon",
        "around",
        "still",
        "yet",
        "either",
        "neither",
        "both",
        "each",
        "every",
        "anyone",
        "anything",
        "something",
        "nothing",
        "everyone",
    ]
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+\-']*")
_IDENT = re.compile(r"\b(?:[A-Z]{1,6}-?\d+[A-Z0-9]*|[A-Z][A-Z+\-]{3,})\b")
_FIGURE = re.compile(
    r"\b(how many|how much|how long|how often|rate|rates|percent|percentage|proportion|survival|"
    r"incidence|median|hazard|odds|figure|number|risk|what (?:was|were|is|are) the)\b|%",
    re.I,
)
_TIMEPOINT = re.compile(r"-?\s?(?:year|month|week|day|hour)s?\b", re.I)
_YEAR = re.compile(r"^(19[5-9]\d|20[0-4]\d)$")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.lower()))


def content_terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stopwords and one-letter tokens dropped)."""
    out = []
    for tok in _TOKEN.findall(text):
        low = tok.lower().strip("'")
        if len(low) > 1 and low not in STOPWORDS:
            out.append(stem(low))
    return out


def entities_in(text: str) -> list[str]:
    """Names of particular studies/drugs-like identifiers (AALL1731, E1910, TOWER, ZUMA-3)."""
    found = []
    for m in _IDENT.finditer(text):
        tok = m.group(0)
        if tok.upper() in COMMON_ACRONYMS or tok.upper().rstrip("S") in COMMON_ACRONYMS:
            continue
        if tok not in found:
            found.append(tok)
    return found


def normalised(text: str) -> str:
    """Lower-case text with punctuation turned into spaces, padded: " hr 0 70 " style."""
    return " " + re.sub(r"[^\w%+\- ]", " ", text.lower()) + " "


def measures_in(text: str) -> list[tuple[str, ...]]:
    low = normalised(text)
    return [aliases for aliases in MEASURES.values() if any(a in low for a in aliases)]


def has_measure(text: str, group: tuple[str, ...]) -> bool:
    low = normalised(text)
    return any(a in low for a in group)


def asked_numbers(text: str) -> list[float]:
    """Numbers a question names (years and numbers inside identifiers excluded)."""
    return [n.value for n in extract_numbers(text) if not _YEAR.match(n.raw.replace(",", ""))]


@dataclass
class QuestionNeeds:
    entities: list[str] = field(default_factory=list)
    measures: list[tuple[str, ...]] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    wants_figure: bool = False
    wants_count: bool = False  # "how many ...": plain counts are the figures asked for

    def is_empty(self) -> bool:
        return not (self.entities or self.measures or self.numbers)

    def has_number(self, text: str) -> bool:
        return bool(extract_numbers(text))

    def numbers_in(self, text: str) -> bool:
        values = {round(n.value, 6) for n in extract_numbers(text)}
        return all(round(v, 6) in values for v in self.numbers)

    def has_figure(self, text: str) -> bool:
        """A reported figure: a number that is not just a time point ("3-year", "28-day")."""
        for n in extract_numbers(text):
            after = text[n.start : n.end + 2]
            if _TIMEPOINT.match(text, n.end):
                continue
            if "%" in after or "." in n.raw or self.wants_count:
                return True
        return False

    def any_number_in(self, text: str) -> bool:
        values = {round(n.value, 6) for n in extract_numbers(text)}
        return any(round(v, 6) in values for v in self.numbers)

    def expansion(self) -> str:
        """The asked measures under all their names, for retrieval ("RFS" for "relapse-free")."""
        return " ".join(a.strip() for group in self.measures for a in group)

    def describe(self) -> str:
        parts = [*self.entities, *(m[0] for m in self.measures)]
        parts += [f"{v:g}" for v in self.numbers]
        return "the asked " + (", ".join(parts) if parts else "information")


_PREMISE = re.compile(r"^\s*(since|given that|because|as|now that|considering)\b[^,?]*,", re.I)


def main_clause(question: str) -> str:
    """The question without a leading premise ("Since X did Y, ..."): a premise's figures are
    claims to check, not figures the answer must contain."""
    return _PREMISE.sub("", question, count=1)


def analyse(question: str, extra_measures: Sequence[tuple[str, ...]] = ()) -> QuestionNeeds:
    measures = measures_in(question)
    for m in extra_measures:
        if m not in measures:
            measures.append(m)
    # a child's weight or age in a personal question is not a figure the literature states
    numbers = [] if asks_individual_decision(question) else asked_numbers(main_clause(question))
    return QuestionNeeds(
        entities=entities_in(question),
        measures=measures,
        numbers=numbers,
        wants_figure=bool(_FIGURE.search(question)),
        wants_count=bool(re.search(r"\b(how many|number of)\b", question, re.I)),
    )


# Words that carry no topic of their own: their absence from the index says nothing.
GENERIC_TERMS = frozenset(
    stem(w)
    for w in [
        "make",
        "made",
        "happen",
        "work",
        "mean",
        "means",
        "know",
        "tell",
        "explain",
        "show",
        "find",
        "found",
        "need",
        "needs",
        "take",
        "takes",
        "feel",
        "get",
        "gets",
        "use",
        "used",
        "help",
        "helps",
        "thing",
        "things",
        "kind",
        "type",
        "way",
        "much",
        "many",
        "long",
        "often",
        "good",
        "bad",
        "better",
        "worse",
        "best",
        "right",
        "wrong",
        "safe",
        "common",
        "usual",
        "usually",
        "normal",
        "able",
        "likely",
        "possible",
        "happen",
        "happens",
        "start",
        "stop",
        "keep",
        "go",
        "goes",
        "come",
        "comes",
        "look",
        "different",
        "same",
        "other",
        "another",
        "first",
        "last",
        "next",
        "question",
        "questions",
        "answer",
        "answers",
        "people",
        "person",
        "someone",
        "doctor",
        "doctors",
        "study",
        "studies",
        "trial",
        "trials",
        "result",
        "results",
        "data",
        "evidence",
        "information",
        "report",
        "reported",
        "say",
        "says",
    ]
)


@lru_cache(maxsize=1)
def _bm25_stopwords() -> frozenset[str]:
    """Our stopwords plus the BM25 tokenizer's: words the index vocabulary never holds."""
    from bm25s.stopwords import STOPWORDS_EN

    return STOPWORDS | frozenset(STOPWORDS_EN)


def unknown_terms(question: str, vocabulary: set[str]) -> list[str]:
    """Content words of ``question`` (stemmed) that occur nowhere in the index vocabulary."""
    out = []
    for tok in _TOKEN.findall(question):
        low = tok.lower().strip("'")
        if len(low) < 4 or low in _bm25_stopwords() or any(ch.isdigit() for ch in low):
            continue
        # the BM25 tokenizer splits "relapse-free" into its parts: check them the same way
        parts = [p for p in re.split(r"[-']", low) if len(p) >= 4 and p not in _bm25_stopwords()]
        missing = [p for p in parts if stem(p) not in GENERIC_TERMS and stem(p) not in vocabulary]
        if missing:
            out.append(low)
    return out


_PERSON = (
    r"(?:my|our|his|her)\s+(?:[\w.-]+\s+){0,3}?"
    r"(?:child|son|daughter|kid|baby|boy|girl|toddler|teen|patient)"
)
_DECISION = [
    re.compile(r"\bhow much\b.*\b(give|take|use|dose|infuse)\b", re.I),
    re.compile(r"\b(what|which) dose\b.*\b(should|do i|do we|for)\b", re.I),
    re.compile(
        r"\bshould (?:i|we|he|she|they)\b.*\b(give|stop|start|skip|change|switch|increase|"
        r"lower|reduce|double|take|get|have|choose|refuse|continue)\b",
        re.I,
    ),
    re.compile(
        rf"\b{_PERSON}\b.*\b(dose|dosing|mg|µg|ug|mcg|how much|stop|skip|switch|take)\b", re.I
    ),
    re.compile(r"\b(can|may) (?:i|we) (?:stop|skip|double|change|increase|lower)\b", re.I),
]
_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier)?\s*"
    r"(instructions|rules|prompts?|guidelines)|you are now|system prompt|developer mode|"
    r"pretend (to be|you are)|act as\b|jailbreak|without (citations|sources)",
    re.I,
)


def asks_individual_decision(question: str) -> bool:
    """A request for a personal dose or treatment decision (answered with general evidence only)."""
    return any(p.search(question) for p in _DECISION)


_PERSONAL = re.compile(rf"\b{_PERSON}\b", re.I)
_DOSE_WORDS = re.compile(r"\b(how much|dose|dosing|mg|µg|ug|mcg|give)\b", re.I)


def impersonal(question: str) -> str:
    """ "my child" -> "a child": the literature speaks of children, not of this child."""
    return _PERSONAL.sub("a child", question)


def general_form(question: str) -> str:
    """A personal question recast as the general one the literature can answer
    ("how much should I give my son?" -> about dosing in children)."""
    q = _PERSONAL.sub("children", question)
    if _DOSE_WORDS.search(q):
        q += " recommended dose by body weight"
    return q


def is_injection(text: str) -> bool:
    """Text that tries to change the rules ("ignore previous instructions ...")."""
    return bool(_INJECTION.search(text))


def strip_injection(question: str) -> tuple[str, bool]:
    """Remove attempts to change the rules; returns the cleaned question and whether any were found."""
    parts = re.split(r"(?<=[.!?;])\s+|\n+", question)
    kept = [p for p in parts if not _INJECTION.search(p)]
    cleaned = " ".join(kept).strip()
    return cleaned, len(kept) != len(parts)


_FOLLOW_LEAD = re.compile(
    r"^\s*(and|but|also|or|so|what about|how about|what if|same for|and what about|in|for|among)\b",
    re.I,
)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there)\b", re.I)


def is_followup(question: str) -> bool:
    words = _TOKEN.findall(question)
    if _FOLLOW_LEAD.match(question):
        return True
    if len(words) <= 4:
        return True
    return bool(_PRONOUN.search(question)) and not entities_in(question) and len(words) < 10


@dataclass(frozen=True)
class Resolved:
    text: str  # what is shown as the resolved question
    query: str  # what retrieval uses
    extra_measures: tuple[tuple[str, ...], ...] = ()


def resolve_followup(question: str, history: Sequence[str]) -> Resolved:
    """Read an elliptical follow-up ("and in relapsed patients?") against the last question."""
    prev = next((h for h in reversed(history) if h.strip()), "")
    if not prev or not is_followup(question):
        return Resolved(question, question)
    prev_entities = set(entities_in(prev))
    topic = [w for w in _TOKEN.findall(prev) if w not in prev_entities]
    topic = [w for w in topic if w.lower() not in STOPWORDS]
    query = f"{question} {' '.join(topic)}".strip()
    shown = f"{question.strip()} (follow-up to: {prev.strip()})"
    return Resolved(shown, query, tuple(measures_in(prev)))
