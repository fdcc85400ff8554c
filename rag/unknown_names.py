"""Names in a question that the index never mentions: trial-like identifiers, drug-like
names and the profile's other diseases. Each is a reason to decline, naming it (issue H: a
named entity the index never mentions is a reason to abstain; an ordinary word is not)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.entities import looks_like_identifier, norm
from rag.lexicon import stopwords, tokens
from rag.spelling import drug_like

if TYPE_CHECKING:
    from rag.query import Understanding


def unknown_entities(text: str, u: Understanding) -> list[str]:
    """Trial-like identifiers, drug-like names and other diseases the index never mentions."""
    out = u.entities.unknown_identifiers_in(text, u.lexicon.normalized)
    suffixes = tuple(u.vocab.drug_suffixes)
    for tok in tokens(text):
        low = tok.lower()
        if (
            drug_like(low, suffixes)
            and low not in stopwords()
            and not u.lexicon.knows(low)
            and not looks_like_identifier(tok)
        ):
            out.append(tok)
    out = [t for t in out if norm(t) not in u.entities.common]
    return list(dict.fromkeys(out + other_diseases(text, u)))


def other_diseases(text: str, u: Understanding) -> list[str]:
    """The profile's other diseases (``disease_names``) that ``text`` names and no indexed
    document mentions, as written in the profile."""
    out = []
    for name in u.vocab.disease_names:
        flags = 0 if name.isupper() or "-" in name else re.I
        if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags):
            continue
        if not all(u.lexicon.knows(w) for w in re.findall(r"[\w-]+", name.lower())):
            out.append(name)
    return out
