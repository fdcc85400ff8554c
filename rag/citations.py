"""Sentence splitting and ``[n]`` citation markers.

``split_sentences`` is shared with the chunker, so it is written for speed (one regex pass
per block) and for scientific prose: it does not split after abbreviations (e.g., i.e.,
et al., vs., Dr., Fig., approx., No. 5, U.S.), initials, or inside decimals (94.8,
P < .0001); it does split at blank lines and before list items on new lines. Citation markers
directly after a sentence's final period stay with that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ingest.sentences import MARKER_RE, split_sentences

_SPACE_RE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([.,;:!?)\]])(?![0-9])")
MAX_RANGE = 50  # "[1-1000]" is not a citation list worth expanding


def marker_keys(marker: str) -> tuple[int, ...]:
    """Keys of one marker: "[1, 3]" -> (1, 3); "[1-3]" -> (1, 2, 3)."""
    body = re.sub(r"[A-Za-z.]+", "", marker.strip("[] "))
    keys: list[int] = []
    for part in re.split(r"\s*[,;]\s*", body.strip()):
        if not part:
            continue
        rng = re.split(r"\s*[-–]\s*", part)
        if len(rng) == 2 and rng[0].isdigit() and rng[1].isdigit():
            lo, hi = int(rng[0]), int(rng[1])
            if lo <= hi and hi - lo < MAX_RANGE:
                keys.extend(range(lo, hi + 1))
            else:
                keys.extend((lo, hi))
        elif part.isdigit():
            keys.append(int(part))
    return tuple(keys)


def strip_markers(text: str) -> str:
    """``text`` without citation markers, with the spaces they leave tidied."""
    out = MARKER_RE.sub(" ", text)
    out = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", out)
    return _SPACE_RE.sub(" ", out).strip()


def _dedupe(keys: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(keys))


def parse_markers(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of ``text`` (markers removed) each with the keys cited in it, in order.

    A "sentence" that is nothing but markers (e.g. "[2]" on its own line) gives its keys to
    the sentence before it.
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    for a, b in split_sentences(text):
        raw = text[a:b]
        keys = _dedupe(k for m in MARKER_RE.finditer(raw) for k in marker_keys(m.group(0)))
        clean = strip_markers(raw)
        if not any(ch.isalnum() for ch in clean):
            if out and keys:
                prev_text, prev_keys = out[-1]
                out[-1] = (prev_text, _dedupe((*prev_keys, *keys)))
            continue
        out.append((clean, keys))
    return out


def format_markers(ns: Iterable[int]) -> str:
    """(1, 3) -> "[1][3]"."""
    return "".join(f"[{n}]" for n in ns)


def renumber(
    sentences: Sequence[tuple[str, tuple[int, ...]]], known: set[int]
) -> tuple[list[tuple[str, tuple[int, ...]]], dict[int, int]]:
    """Drop unknown keys, then number the rest 1..m by first appearance.

    Returns the renumbered sentences and the mapping {model key: new number}.
    """
    mapping: dict[int, int] = {}
    result: list[tuple[str, tuple[int, ...]]] = []
    for text, keys in sentences:
        new: list[int] = []
        for k in keys:
            if k not in known:
                continue
            if k not in mapping:
                mapping[k] = len(mapping) + 1
            new.append(mapping[k])
        result.append((text, _dedupe(new)))
    return result, mapping
