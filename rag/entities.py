"""Named studies and reports: which documents a name in a question points at.

Built from document metadata once per store version: each document's trial identifiers (trial,
NCT id, identifiers and capitalised acronyms in its title), its first author's surname, its
venue and year, its abstract number. A question names a *study* (a trial id or name) and may
narrow it to a *report* (venue, year, first author, abstract number). Identifiers are compared
whole after normalisation (case, hyphens and spaces folded), never as substrings, so AALL1331
never matches AALL1731.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from citeqa.models import Chunk, Metadata
from rag.lexicon import norm, tokens

_IDENT = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9-]{3,}$")


def trial_like(tok: str) -> bool:
    """An identifier that names a study: three digits or more ("AALL1371", "E1910",
    "NCT02003222") or a name and a number ("ZUMA-3"); short letter-and-digit shorthand of the
    field ("T1D", "EC50", "ph1", "CR1") is not a study's name."""
    return looks_like_identifier(tok) and (sum(c.isdigit() for c in tok) >= 3 or "-" in tok)


def looks_like_identifier(tok: str) -> bool:
    """A code of letters and digits that starts with a letter ("AALL1731", "NCT03914625",
    "ZUMA-3", "E1910"); "5-year", "4y" and "28mcg" are numbers with units, not codes."""
    return bool(_IDENT.match(tok)) and tok[0].isalpha()


@dataclass(frozen=True)
class DocEntities:
    doc_id: str
    studies: frozenset[str]  # normalised trial ids / names this document reports
    reports: frozenset[str]  # normalised venue, first author, year, abstract number


@dataclass
class EntityIndex:
    """``name -> documents`` for studies and reports (see the module docstring)."""

    docs: dict[str, DocEntities] = field(default_factory=dict)
    studies: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    reports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    shown: dict[str, str] = field(default_factory=dict)  # key -> name as documents write it
    common: frozenset[str] = frozenset()  # acronyms that name no particular study
    phrases: dict[str, str] = field(default_factory=dict)  # multi-word report names
    # the number of a study identified by letters then digits -> its keys ("1731": aall1731)
    numbers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def build(cls, chunks: Iterable[Chunk], common: Iterable[str] = ()) -> EntityIndex:
        metas: dict[str, Metadata] = {}
        for c in chunks:
            metas.setdefault(c.doc_id, c.meta)
        return cls.of_documents(metas, common)

    @classmethod
    def of_documents(cls, metas: Mapping[str, Metadata], common: Iterable[str] = ()) -> EntityIndex:
        """The index of documents given by their metadata (as :meth:`build` of their chunks,
        ``metas`` in the order of the documents' first chunks)."""
        idx = cls(common=frozenset(norm(c) for c in common))
        for doc_id, m in metas.items():
            studies = idx._study_names(m)
            reports = idx._report_names(m)
            idx.docs[doc_id] = DocEntities(doc_id, frozenset(studies), frozenset(reports))
            for s in studies:
                idx.studies[s].add(doc_id)
                if number := _LETTERS_NUMBER.match(s):
                    idx.numbers[number.group(1)].add(s)
            for r in reports:
                idx.reports[r].add(doc_id)
        return idx

    def _study_names(self, m: Metadata) -> set[str]:
        names = [m.trial, m.nct, *getattr(m, "trials", ())]
        for tok in tokens(m.title):
            if looks_like_identifier(tok) or (_ACRONYM.match(tok) and norm(tok) not in self.common):
                names.append(tok)
        out = set()
        for n in names:
            if n and norm(n) not in self.common:
                out.add(norm(n))
                self.shown.setdefault(norm(n), n)
        return out

    def _report_names(self, m: Metadata) -> set[str]:
        names: list[str] = []
        if m.authors:
            surname = m.authors[0].split()[0]
            if len(surname) > 2:
                names.append(surname)
        venue = tokens(m.venue)
        names += [t for t in venue if len(t) >= 3 and t.isupper()]  # ASH, JAMA
        if len(venue) > 1:  # "N Engl J Med", as written or through a journal alias
            names.append(m.venue)
            self.phrases[norm(m.venue)] = m.venue
        if m.year:
            names.append(str(m.year))
        if m.abstract_number:
            names.append(f"abstract {m.abstract_number}")
        for n in names:
            self.shown.setdefault(norm(n), n)
        return {norm(n) for n in names}

    # -- reading a question -------------------------------------------------------------------
    def studies_in(self, text: str) -> list[str]:
        """Normalised study names the text uses, in order (also two-word names: "Study 2")."""
        return [k for k in _keys(text) if k in self.studies and k not in self.common]

    def reports_in(self, text: str) -> list[str]:
        keys = _keys(text)
        found = [k for k in keys if k in self.reports]
        for key, phrase in self.phrases.items():
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.I):
                found.append(key)
        m = re.search(r"\babstract\s*(?:no\.?|number|#)?\s*(\d+)", text, re.I)
        if m and norm(f"abstract {m.group(1)}") in self.reports:
            found.append(norm(f"abstract {m.group(1)}"))
        return list(dict.fromkeys(found))

    def with_venue_years(self, text: str) -> str:
        """``text`` with a report venue's shorthand year spelt out ("ash25", "ASH'25",
        "ash2025" -> "ASH 2025") when the venue names an indexed report: a qualifier, not an
        unknown trial."""

        def spelt(m: re.Match[str]) -> str:
            venue, year = m.group(1), m.group(2)
            if norm(venue) not in self.reports:
                return m.group(0)
            full = int(year) + 2000 if len(year) == 2 else int(year)
            return f"{self.name(norm(venue))} {full}" if 1990 <= full <= 2039 else m.group(0)

        return _VENUE_YEAR.sub(spelt, text)

    def with_study_numbers(self, text: str) -> str:
        """``text`` with a bare number that is the number of exactly one indexed study's
        identifier written as that identifier ("the 1731 update" -> "the AALL1731 update"), as
        clinicians shorten trial names. Not a year (1900 to 2099), a figure (decimal, %, a
        thousands separator) or a count of something ("1331 patients")."""

        def spelt(m: re.Match[str]) -> str:
            keys = self.numbers.get(m.group(1), set())
            if len(keys) != 1 or 1900 <= int(m.group(1)) <= 2099:
                return m.group(0)
            return self.name(next(iter(keys)))

        return _BARE_NUMBER.sub(spelt, text)

    def docs_of_study(self, key: str) -> set[str]:
        return set(self.studies.get(key, set()))

    def docs_of_reports(self, keys: Sequence[str]) -> set[str] | None:
        """Documents matching every report qualifier (None: no qualifier given)."""
        if not keys:
            return None
        sets = [self.reports.get(k, set()) for k in keys]
        return set.intersection(*sets) if sets else None

    def unknown_identifiers(self, text: str, known: Iterable[str]) -> list[str]:
        """Identifier-like tokens of ``text`` that no document uses (e.g. an unindexed trial)."""
        return self.unknown_identifiers_in(text, {norm(k) for k in known})

    def unknown_identifiers_in(self, text: str, known_keys: AbstractSet[str]) -> list[str]:
        """:meth:`unknown_identifiers` with the known words given as :func:`norm` keys."""
        out = []
        for tok in tokens(text):
            key = norm(tok)
            if (
                trial_like(tok)
                and key not in self.studies
                and key not in known_keys
                and key not in self.common
            ):
                out.append(tok)
        return out

    def name(self, key: str) -> str:
        return self.shown.get(key, key.upper())


_VENUE_YEAR = re.compile(r"\b([A-Za-z]{3,6})[-']?((?:19|20)\d{2}|\d{2})\b")
# an identifier of letters then digits ("aall1731", "e1910"), and a bare number in a question
_LETTERS_NUMBER = re.compile(r"^[a-z]+(\d{3,})$")
_BARE_NUMBER = re.compile(
    r"(?<![\w.,%$£€/=-])(\d{3,})(?![\w%]|[.,]\d|\s?%|\s+(?:[a-z]+\s+)?(?:patients|pts|"
    r"children|kids|adults|people|participants|subjects|cases|centers|centres|sites|"
    r"institutions|days|weeks|months|years|mg|mcg|ml|kg)\b)",
    re.I,
)
_POSSESSIVE = re.compile(r"['’]s$", re.I)


def _keys(text: str) -> list[str]:
    toks = [_POSSESSIVE.sub("", t) for t in tokens(text)]  # "TOWER's" names TOWER
    keys = [norm(t) for t in toks]
    keys += [norm(a + b) for a, b in itertools.pairwise(toks)]
    return list(dict.fromkeys(k for k in keys if k))
