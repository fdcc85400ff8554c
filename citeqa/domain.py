"""The domain profile: word lists, texts, prompts and examples, as validated data.

A profile is a YAML file in ``citeqa/profiles/`` (``CITEQA_PROFILE`` names it, or gives a path).
:func:`load_profile` reads and validates it (unknown keys are errors); the pipeline builder loads
it once and hands it to the parts that need it. Nothing here is cached.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citeqa.errors import ConfigError

PROFILES = Path(__file__).resolve().parent / "profiles"
REPO = Path(__file__).resolve().parents[1]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerAudience(Strict):
    clinician: str
    family: str


class Examples(Strict):
    clinician: tuple[str, ...] = Field(min_length=1)
    family: tuple[str, ...] = Field(min_length=1)


class Texts(Strict):
    abstain: str = Field(description="The answer text when the literature does not answer.")
    care_team_note: str = Field(description="Shown with personal dosing/treatment questions.")
    family_note: str = Field(description="Shown with family answers.")
    injection_note: str = Field(description="Shown when instructions in a question were ignored.")
    not_advice: str = Field(description="The chat's not-medical-advice line (Markdown).")
    ui_title: str
    intro: PerAudience
    examples: Examples
    load_questions: tuple[str, ...] = Field(min_length=1)
    warm_up_question: str = Field(description="Asked once at start to load the models.")
    decline_language: dict[str, str] = Field(
        default_factory=dict,
        description="ISO 639-1 code -> the decline, in that language, of a question asked in "
        "a language the index has no documents in ('en': the fallback, in English).",
    )

    def decline_for(self, code: str) -> str:
        """The decline text for language ``code`` (the English one when there is none)."""
        return self.decline_language.get(code) or self.decline_language.get("en", self.abstain)


class Prompt(Strict):
    system: str = Field(description="LLM system prompt with {abstain}, {style} and {n}.")
    model_abstain: str
    style: PerAudience


class DomainProfile(Strict):
    name: str
    description: str
    glossary: str = Field(description="Glossary YAML, relative to the repository root.")
    texts: Texts
    prompt: Prompt

    def glossary_path(self) -> Path:
        p = Path(self.glossary)
        return p if p.is_absolute() else REPO / p


def profile_path(name: str) -> Path:
    """The file of profile ``name`` (a name in citeqa/profiles/, or a path to a YAML file)."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml"):
        return p
    return PROFILES / f"{name}.yaml"


def load_profile(name: str) -> DomainProfile:
    """Read and validate a profile; ConfigError names the file and the problem."""
    import yaml

    path = profile_path(name)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES.glob("*.yaml")))
        raise ConfigError(f"no domain profile {name!r} (known: {known})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DomainProfile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"invalid domain profile {path}: {exc}") from exc
