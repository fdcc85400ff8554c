"""Rank and decide with two small models: logistic regressions over the same 6 named features.

- the *unit* model ranks the units of one question:
  ``p_unit = sigmoid(bias + sum(weight[f] * feature[f]))`` (does this unit state the answer?);
- the *answer* model decides from the features of the best eligible unit whether the sources
  answer at all: answer when ``p_answer`` reaches ``threshold``.
Further units are quoted when their ``p_unit`` reaches ``keep`` times the best unit's.
The coefficients and thresholds live in a versioned JSON file written by ``citeqa eval fit``
(fitted on the dev split with cross-validation grouped by document) and loaded through
``Settings.answer.ranker``. Features:

- ``ce``: cross-encoder logit of (question, unit with its context)
- ``topic``: share of the question's topic terms the unit uses (IDF-weighted, 0..1)
- ``study``: +1 the unit binds the named study, -1 its study is unknown, 0 none named
- ``statistic``: +1 it has a span of the asked type, -1 it lacks one, 0 none asked
- ``audience``: +1 a plain-language unit for a family (evidence for a clinician), -1 the reverse
  (0 for evidence read by a family); +1 for every unit when no candidate is of the asker's
  register (a family asking about a folder of journal papers)
- ``retrieval``: 1 / (1 + the passage's fused retrieval rank)

Two features were measured and deleted (grouped cross-validation, fit of 2026-11-29: each
changed 1 dev outcome when left out): ``ce_gap`` (``ce`` minus the best unit's) and ``time``
(the asked time point stated); a conflicting time point still makes a unit ineligible
(rag/binding.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from citeqa.answer import Audience
from citeqa.errors import ConfigError
from rag.binding import ABSENT, CONFLICT, MATCHED, Binding
from rag.candidates import Unit

FEATURES = ("ce", "topic", "study", "statistic", "audience", "retrieval")
PLAIN = "plain-language"


@dataclass(frozen=True)
class Logistic:
    weights: Mapping[str, float]
    bias: float

    def p(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) * features[f] for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {"weights": dict(self.weights), "bias": self.bias}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Logistic:
        w = raw["weights"]
        if not isinstance(w, Mapping):
            raise TypeError("weights must be an object")
        return cls({f: float(w.get(f, 0.0)) for f in FEATURES}, float(raw["bias"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class RankerModel:
    """The unit and answer models and their thresholds (see the module docstring)."""

    unit: Logistic
    answer: Logistic
    threshold: float  # answer when the best eligible unit's p_answer reaches it
    keep: float  # further units need p_unit >= keep * the best unit's p_unit
    version: str = "default"

    def p(self, features: Mapping[str, float]) -> float:
        return self.unit.p(features)

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "features": list(FEATURES),
            "unit": self.unit.to_json(),
            "answer": self.answer.to_json(),
            "threshold": self.threshold,
            "keep": self.keep,
        }


_HAND_SET = Logistic(
    weights={
        "ce": 0.3,
        "topic": 2.0,
        "study": 1.0,
        "statistic": 0.8,
        "audience": 0.6,
        "retrieval": 0.5,
    },
    bias=-3.5,
)
DEFAULT = RankerModel(unit=_HAND_SET, answer=_HAND_SET, threshold=0.5, keep=0.6)


def load_ranker(path: Path | None) -> RankerModel:
    """The model in ``path`` (the hand-set DEFAULT when ``path`` is None or missing)."""
    if path is None or not Path(path).exists():
        return DEFAULT
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return RankerModel(
            Logistic.from_json(raw["unit"]),
            Logistic.from_json(raw["answer"]),
            float(raw["threshold"]),
            float(raw["keep"]),
            str(raw.get("version", path)),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"invalid ranker file {path}: {exc}") from exc


def _signed(state: str) -> float:
    return {MATCHED: 1.0, ABSENT: -1.0, CONFLICT: -1.0}.get(state, 0.0)


def features(
    u: Unit, b: Binding, ce: float, audience: Audience, offered: bool = True
) -> dict[str, float]:
    """The unit's :data:`FEATURES` (see the module docstring). ``offered``: whether any
    candidate is of the asker's own register (see :func:`register_offered`); when none is,
    every unit is the best fit there is (+1)."""
    plain = u.chunk.meta.doc_type == PLAIN
    fit = (1.0 if plain else 0.0) if audience is Audience.FAMILY else (-1.0 if plain else 1.0)
    if not offered:
        fit = 1.0
    return {
        "ce": ce,
        "topic": b.topic,
        "study": _signed(b.study),
        "statistic": _signed(b.statistic),
        "audience": fit,
        "retrieval": 1.0 / (1.0 + u.rank),
    }


def register_offered(units: Sequence[Unit], audience: Audience) -> bool:
    """Whether any of ``units`` is of the asker's register: a plain-language unit for a
    family, an evidence unit for a clinician. A family asking about a folder of journal
    papers (no plain-language page) is then not held back for a register the index lacks."""
    want_plain = audience is Audience.FAMILY
    return any((u.chunk.meta.doc_type == PLAIN) == want_plain for u in units)
