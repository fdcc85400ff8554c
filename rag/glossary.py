"""The glossary of corpus terms, used by the family answer mode ("What these words mean")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    aliases: tuple[str, ...]
    definition: str
    doc_ids: tuple[str, ...] = ()

    def pattern(self) -> re.Pattern[str]:
        """Acronyms ("ALL", "MRD") match case-sensitively, so the word "all" is not ALL;
        words match in any case; both only as whole words."""
        names = sorted({self.term, *self.aliases}, key=len, reverse=True)
        alts = [re.escape(n) if _is_acronym(n) else f"(?i:{re.escape(n)})" for n in names if n]
        return re.compile(rf"(?<![\w-])(?:{'|'.join(alts)})(?![\w-])")


def _is_acronym(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def load_glossary(path: Path) -> tuple[Term, ...]:
    """The glossary at ``path`` (the domain profile names it); () when the file is missing."""
    import yaml

    if not path.exists():
        return ()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []
    items = raw.get("terms", []) if isinstance(raw, dict) else raw
    terms = []
    for item in items:
        if not isinstance(item, dict) or not item.get("term") or not item.get("definition"):
            continue
        terms.append(
            Term(
                term=str(item["term"]),
                aliases=tuple(str(a) for a in item.get("aliases") or ()),
                definition=str(item["definition"]).strip(),
                doc_ids=tuple(str(d) for d in item.get("doc_ids") or ()),
            )
        )
    return tuple(terms)


def terms_in(text: str, glossary: tuple[Term, ...]) -> list[dict[str, str]]:
    """Glossary entries whose term or alias occurs in ``text``, in order of first occurrence."""
    found: list[tuple[int, Term]] = []
    for t in glossary:
        m = t.pattern().search(text)
        if m:
            found.append((m.start(), t))
    found.sort(key=lambda x: x[0])
    return [{"term": t.term, "definition": t.definition} for _, t in found]
