"""The domain profile: word lists, texts, prompts and examples, as validated data.

A profile is a YAML file in ``citeqa/profiles/`` (``CITEQA_PROFILE`` names it, or gives a path).
:func:`load_profile` reads and validates it (unknown keys are errors); the pipeline builder loads
it once and hands it to the parts that need it. Nothing here is cached.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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
    family_abstain: str = Field(description="The plain decline for families (grade 6 or lower).")
    family_looked_for: str = Field(description="Plain words naming what was looked for ({what}).")
    family_next: str = Field(description="What a family can do next after a decline.")
    family_did_you_mean: str = Field(
        description="The family decline for a name close to one the library uses ({names})."
    )
    family_unknown: str = Field(
        description="The family decline for a name the library never mentions ({names})."
    )
    family_too_hard: str = Field(
        default="",
        description="The family decline when the passages that answer are above the family "
        "reading grade (reason 'too-hard'); empty: family_abstain with what was looked for.",
    )
    care_team_note: str = Field(description="Shown with personal dosing/treatment questions.")
    family_note: str = Field(description="Shown with family answers.")
    adult_next: str = Field(
        default="",
        description="family_next for a message about the asker's own illness or another "
        "adult's (flag 'adult'); empty: family_next.",
    )
    adult_note: str = Field(
        default="", description="family_note for such a message (flag 'adult'); empty: family_note."
    )
    injection_note: str = Field(description="Shown when instructions in a question were ignored.")
    not_advice: str = Field(description="The chat's not-medical-advice line (Markdown).")
    family_offer: str = Field(
        description="The chat's offer of family mode under a caregiver's message answered "
        "for clinicians."
    )
    ui_title: str
    intro: PerAudience
    examples: Examples
    load_questions: tuple[str, ...] = Field(min_length=1)
    decline_language: dict[str, str] = Field(
        default_factory=dict,
        description="ISO 639-1 code -> the decline, in that language, of a question asked in "
        "a language the index has no documents in ('en': the fallback, in English).",
    )

    def for_asker(self, adult: bool) -> Texts:
        """The texts for an adult asking about their own or another adult's illness (the
        family texts speak of "your child")."""
        if not adult:
            return self
        return self.model_copy(
            update={
                "family_next": self.adult_next or self.family_next,
                "family_note": self.adult_note or self.family_note,
            }
        )

    def decline_for(self, code: str) -> str:
        """The decline text for language ``code`` (the English one when there is none)."""
        return self.decline_language.get(code) or self.decline_language.get("en", self.abstain)


class Prompt(Strict):
    system: str = Field(description="LLM system prompt with {abstain}, {style} and {n}.")
    model_abstain: str
    style: PerAudience


class Vocabulary(Strict):
    common_acronyms: tuple[str, ...] = Field(
        description="Acronyms that are words of the field, not names of studies or reports."
    )
    journal_aliases: dict[str, str] = Field(description="How people write a journal -> venue.")
    abbreviations: dict[str, str] = Field(description="General clinical shorthand -> long form.")
    synonyms: tuple[tuple[str, ...], ...] = Field(description="Groups of words of one meaning.")
    drug_suffixes: tuple[str, ...] = Field(description="Word endings of drug names.")
    arm_words: tuple[str, ...] = Field(
        default=(),
        description="Words that name a treatment arm ('chemo', 'control'): a group a question "
        "names by them ('the chemo-only group') is an arm, which sources name in many ways, "
        "not a subgroup a quoted unit must name (rag/arms.py subgroup_side). Drug names (by "
        "drug_suffixes) count too.",
    )
    disease_names: tuple[str, ...] = Field(
        default=(),
        description="Other diseases, by name or acronym (capitals: matched as written): a "
        "question naming one that no indexed document mentions is declined, naming it.",
    )
    outcome_words: tuple[str, ...] = Field(
        description="Last words of a measured outcome's name (overall *survival* (OS))."
    )
    statistics: dict[str, tuple[str, ...]] = Field(
        description="Statistic type (hr, ci, p, median, iqr, count, duration, rate, dose) -> the "
        "words of a question that ask for it."
    )
    figure_words: tuple[str, ...] = Field(
        (),
        description="Words that ask for a rate as a figure ('what %', 'percentage'): a unit "
        "that states none is not quoted (a rate asked otherwise, 'how often', may be 'rare').",
    )
    generic_words: tuple[str, ...] = Field(
        description="Words that carry no topic of their own in a question."
    )
    study_attributes: tuple[str, ...] = Field(
        description="Words that ask for an attribute any study has (patients, follow-up, "
        "ratio, arms): a question made only of them, naming no study, asks about the study "
        "of the chat's previous question ('how many pts, what ratio' after 'TOWER CR rate?')."
    )
    not_reported: str = Field(
        "",
        description="Regex: a sentence stating that its source does not report something "
        "('gives no adverse-event data', 'no time point is stated'). When the unit the "
        "cross-encoder reads as most relevant says so, the answer declines and quotes it "
        "(rag/reasons.py: unreported).",
    )
    marker_names: dict[str, str] = Field(
        default_factory=dict,
        description="Lower-case names of a marker whose status is written positive or negative "
        "-> its short form ('philadelphia chromosome' -> 'Ph'): 'Philadelphia positive' is "
        "read as 'Ph+' (rag/status.py).",
    )

    @field_validator("not_reported")
    @classmethod
    def _compiles(cls, v: str) -> str:
        re.compile(v)
        return v

    @model_validator(mode="after")
    def _no_figures_as_words(self) -> Vocabulary:
        """A synonym or shorthand with a digit ("911", "1L") would be read as a figure:
        measured, a group [emergency services, 911, 999, 112] matched the numbers of passages
        and cost 22 of 258 dev answers."""
        words = [w for g in self.synonyms for w in g] + list(self.abbreviations)
        bad = [w for w in words if any(c.isdigit() for c in w)]
        if bad:
            raise ValueError(f"synonyms and shorthand may not contain digits: {bad}")
        return self


class Safety(Strict):
    urgent_heading: str = Field(description="Regex of explainer headings of urgent guidance.")
    sign_lists: str = Field(
        description="Regex of the lead-ins of explainer lists of signs to watch for ('Signs of "
        "CRS can include:'): a sign told from such a list gets the urgent guidance, then the list."
    )
    fallback_guidance: str = Field(description="Regex of the 'if something seems off' guidance.")
    dose_guidance: str = Field(description="Regex of the guidance for personal dosing requests.")
    pump_guidance: str = Field(
        default="",
        description="Regex of the explainers' statement of how the infusion runs ('flows all "
        "day and all night'): quoted first for a request to pause or change it (empty: none).",
    )
    home_medicine_guidance: str = Field(
        default="",
        description="Regex of the explainers' guidance on which medicines are safe to give at "
        "home: quoted first for a dosing request for a home medicine (empty: none).",
    )
    home_medicine: str = Field(
        default="",
        description="Regex: a medicine families give at home (paracetamol, ibuprofen, by "
        "brand or generic name): a dosing request for one is not about the study drug.",
    )
    own_child: str = Field(description="Regex: the message is about one's own child or patient.")
    now: str = Field(description="Regex: the message describes something happening now.")
    sign_synonyms: tuple[tuple[str, ...], ...] = Field(
        description="Plain words for the listed warning signs (first: the explainers' word)."
    )
    dose_request: str = Field(description="Regex: a request for an amount of a medicine.")
    dose_groups: str = Field(
        default="",
        description="Regex: a dose that names a group or a regimen, not an amount ('high vs "
        "low dose', 'high-dose methotrexate'): no dose request and no dose figure asked.",
    )
    pump_change: str = Field(description="Regex: a request to change how an infusion runs.")
    first_person: str = Field(description="Regex: the asker speaks for themselves or their child.")
    decision: str = Field(
        description="Regex: a request for a personal treatment decision: the asker ('should "
        "we', 'can I') acting on a treatment ('stop the blina', 'skip my son's chemo', 'lower "
        "it'), or asking how much to give (flag 'personal')."
    )
    caregiver: str = Field(
        description="Regex: the message reads as a parent's or carer's (about 'my son', 'our "
        "daughter'): the chat offers family mode (flag 'caregiver')."
    )
    worry: str = Field(description="Regex: words of worry about one's own child.")
    seek_help: str = Field(
        default="",
        description="Regex: the message asks when or whom to call, or what to do if a sign "
        "appears ('when should we phone', 'what do I do if I see one'): the explainers' "
        "call list leads (empty: never).",
    )
    adult: str = Field(
        default="",
        description="Regex: the message is about the asker's own illness or another adult's "
        "('I was diagnosed', 'my wife starts blinatumomab'): family texts do not speak of 'your "
        "child' (flag 'adult', unless the message also reads as a caregiver's); empty: never.",
    )


Patterns = dict[str, tuple[str, ...]]  # label -> regexes (case-insensitive)


class Evidence(Strict):
    """Who was studied, which report, which design (issue N): labels and the words behind them.

    Every pattern is a case-insensitive regex; a label is given only when the cues of exactly
    one label are found (see rag/population.py), otherwise it is "unknown"."""

    age_cues: Patterns = Field(description="Age cue (infants, children, ...) -> regexes.")
    age_groups: dict[str, str] = Field(
        description="Age cues found, sorted and joined by '+', -> the age group they mean."
    )
    age_veto: str = Field(description="Regex: the document enrols any age ('regardless of age').")
    settings: Patterns = Field(description="Disease setting -> regexes.")
    setting_groups: dict[str, str] = Field(
        description="Several settings found, sorted and joined by '+', -> the setting they mean."
    )
    risk_groups: Patterns = Field(description="Risk group -> regexes.")
    risk_combined: dict[str, str] = Field(
        description="Several risk groups found, sorted and joined by '+', -> the risk group."
    )
    ph_status: Patterns = Field(description="Ph status -> regexes.")
    designs: Patterns = Field(description="Study design -> regexes (title and population text).")
    design_of_type: dict[str, str] = Field(description="Doc type -> design when no cue is found.")
    child_question: str = Field(description="Regex: a question about children (or a child).")
    adult_groups: tuple[str, ...] = Field(description="Age groups that enrolled no children.")
    question_settings: Patterns = Field(
        description="Setting asked in a question (newly diagnosed, relapsed) -> regexes."
    )
    setting_of: dict[str, str] = Field(
        description="Document setting -> the question setting it belongs to."
    )
    outcomes: Patterns = Field(description="Outcome (a table column) -> regexes of its names.")
    adult_notice: PerAudience = Field(description="Notice: {study} enrolled only adults.")
    setting_notice: PerAudience = Field(
        description="Notice: {study} enrolled {setting} patients, the question asks {asked}."
    )
    data_cut_both: str = Field(
        description="Notice: {trial}, latest report {latest} ({latest_name}) and earlier "
        "report {earlier} ({earlier_name}) with different {what}figures ({latest}: markers)."
    )
    data_cut_earlier: str = Field(
        description="Notice: {earlier} is an earlier data cut of {trial}; {latest_name} is later."
    )
    abstract_label: PerAudience = Field(description="Next to a conference abstract's figure.")
    not_reported: str = Field(description="A table cell no quoted unit fills.")
    population_column: str = Field(description="Header of the table's population column.")
    summary: str = Field(description="Evidence line: {designs}; {types}; as of {date}.")
    type_names: dict[str, str] = Field(description="Doc type -> its name in the evidence line.")

    @model_validator(mode="after")
    def _compiles(self) -> Evidence:
        groups = (self.age_cues, self.settings, self.risk_groups, self.ph_status, self.designs)
        more = (self.question_settings, self.outcomes)
        pats = [x for g in (*groups, *more) for v in g.values() for x in v]
        for p in (*pats, self.age_veto, self.child_question):
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"bad regex {p!r}: {exc}") from None
        return self


class DomainProfile(Strict):
    name: str
    description: str
    glossary: str = Field(description="Glossary YAML, relative to the repository root.")
    boilerplate: str = Field(
        description="Regex of the documents' own framing sentences, never quoted as answers."
    )
    texts: Texts
    prompt: Prompt
    vocabulary: Vocabulary
    safety: Safety
    evidence: Evidence

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
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        return DomainProfile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"invalid domain profile {path}: {exc}") from exc
