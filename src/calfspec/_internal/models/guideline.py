"""Typed guideline data: sources, claims with provenance, vocabulary, rules, pathways, advice.

The guideline lives in ``guideline/*.yaml``. Each file is a :class:`GuidelineFile`
holding any of the sections below; the loader merges them into one
:class:`Guideline`. Clinical logic is *data* here: rule conditions are typed
expressions (:data:`Expr`) that :mod:`calfspec._internal.rules` evaluates in three-valued
logic and that :mod:`calfspec.strategies` can satisfy or falsify.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from ._base import MAX_EXCERPT_WORDS, Excerpt, Id, Model, Text
from .triage import FindingState
from .urgency import Urgency

__all__ = [
    "MAX_EXCERPT_WORDS",
    "Advice",
    "AdviceKind",
    "Alias",
    "AliasSection",
    "AllOf",
    "AllowedAdvice",
    "AnyOf",
    "Basis",
    "Citation",
    "Claim",
    "Condition",
    "Conflict",
    "ConflictKind",
    "ConflictPosition",
    "Derivation",
    "DerivedField",
    "Exclusion",
    "ExclusionKind",
    "ExclusionScope",
    "Expr",
    "Finding",
    "FindingIs",
    "FindingKind",
    "Guideline",
    "GuidelineFile",
    "GuidelineMeta",
    "Hazard",
    "HazardControl",
    "NotOf",
    "OpenFlagEvidence",
    "OpenFlagTier",
    "Pathway",
    "Policy",
    "PregnantIs",
    "Rule",
    "RuleKind",
    "SideIs",
    "SideTest",
    "Source",
]


class Source(Model):
    """A public document the guideline is built from."""

    id: Id
    file: str = Field(description="File name of the source text, e.g. 000_532ee7350ed668e0.txt")
    title: Text
    publisher: Text
    url: str | None = None
    last_reviewed: dt.date | None = None
    retrieved: dt.date | None = Field(default=None, description="When the text in the sources folder was saved.")
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the source text file as retrieved; `calfspec check --sources` reports a change.",
    )
    author: str | None = None
    reviewer: str | None = None
    note: str | None = None


class Citation(Model):
    """Where a claim comes from: a source, its section heading, and a locating excerpt."""

    source: Id
    section: Text
    excerpt: Excerpt = Field(
        description="Short verbatim text (at most 30 words) that locates the passage; "
        "whitespace and typographic quotes are normalised when matching."
    )

    @field_validator("excerpt", mode="before")
    @classmethod
    def _short(cls, value: object) -> object:
        words = len(value.split()) if isinstance(value, str) else 0
        if words > MAX_EXCERPT_WORDS:
            raise ValueError(
                f"excerpt has {words} words; at most {MAX_EXCERPT_WORDS} are allowed "
                "(an excerpt locates a passage, it does not copy it)"
            )
        return value


class Basis(StrEnum):
    """Whether a source states a claim, or the project interpreted it."""

    STATED = "stated"
    INTERPRETATION = "interpretation"


class Claim(Model):
    """One thing the guideline asserts, in the project's own words, with provenance.

    ``basis: interpretation`` marks our reading (a resolution of a conflict or
    gap, or an operational choice); those need clinical sign-off.
    """

    id: Id
    statement: Text
    basis: Basis
    citations: tuple[Citation, ...] = Field(min_length=1)
    topic: Id | None = None
    note: str | None = None


class FindingKind(StrEnum):
    """What sort of fact a finding is."""

    SYMPTOM = "symptom"
    SIGN = "sign"
    HISTORY = "history"
    RISK_FACTOR = "risk_factor"


class Finding(Model):
    """A controlled-vocabulary fact about the patient: present, absent or unknown."""

    id: Id
    label: Text
    kind: FindingKind
    synonyms: tuple[str, ...] = ()
    question: str | None = Field(default=None, description="How the harness asks a patient about it, in plain words.")
    claims: tuple[Id, ...] = ()


class FindingIs(Model):
    """True when the finding is present, false when absent, undetermined when unknown."""

    finding: Id


class SideTest(StrEnum):
    """A test on the side of the symptoms."""

    ONE_SIDED = "one_sided"
    BILATERAL = "bilateral"
    LEFT = "left"
    RIGHT = "right"


class SideIs(Model):
    """A test on the request's ``side``; an unknown side is undetermined."""

    side: SideTest


class PregnantIs(Model):
    """True when the request's ``pregnant`` matches; unknown is undetermined."""

    pregnant: bool


class AllOf(Model):
    """Conjunction (Kleene): false if any part is false, else undetermined if any is."""

    all: tuple[Expr, ...] = Field(min_length=1)


class AnyOf(Model):
    """Disjunction (Kleene): true if any part is true, else undetermined if any is."""

    any: tuple[Expr, ...] = Field(min_length=1)


class NotOf(Model):
    """Negation; undetermined stays undetermined."""

    not_: Expr = Field(alias="not")


Expr = Annotated[Union[FindingIs, SideIs, PregnantIs, AllOf, AnyOf, NotOf], "Expr"]  # noqa: UP007
"""A condition over a presentation: ``finding``, ``side``, ``pregnant``, ``all``, ``any``, ``not``."""

# No model_rebuild() here: models build their validators on first use (``defer_build`` in
# _base.Model), by when ``Expr`` is defined; rebuilding now would build three validators of
# the whole recursive union that nothing ever calls.


class Condition(Model):
    """A cause of calf pain named by a source."""

    id: Id
    name: Text
    aliases: tuple[str, ...] = ()
    serious: bool = Field(description="Whether the sources treat it as a serious cause.")
    features: tuple[Id, ...] = Field(default=(), description="Finding ids typical of it.")
    risk_factors: tuple[Id, ...] = Field(default=(), description="Finding ids raising its likelihood.")
    course: Text = Field(description="How it usually goes, in our own words.")
    suggested_by: Expr | None = Field(default=None, description="When the reference triage lists it as suspected.")
    claims: tuple[Id, ...] = Field(min_length=1)


class RuleKind(StrEnum):
    """Red flags need urgent or emergency care; routine-review rules need a doctor in time."""

    RED_FLAG = "red_flag"
    ROUTINE_REVIEW = "routine_review"


class AllowedAdvice(Model):
    """Advice a red flag explicitly lets through (e.g. first aid while awaiting assessment), and why."""

    advice: Id
    reason: Text
    claims: tuple[Id, ...] = Field(min_length=1)


class Rule(Model):
    """When ``when`` holds: at least ``urgency``, the ``pathway``, and no ``contraindicates`` advice.

    A red flag that holds or might hold also withholds every advice item of the kinds the
    policy's ``red_flags_withhold`` names, except those in ``allows_advice``.
    """

    id: Id
    title: Text
    kind: RuleKind
    when: Expr
    urgency: Urgency
    pathway: Id
    contraindicates: tuple[Id, ...] = ()
    allows_advice: tuple[AllowedAdvice, ...] = Field(
        default=(),
        description="Advice of a withheld kind this red flag still lets through, each with its reason and claims.",
    )
    conditions: tuple[Id, ...] = Field(default=(), description="Conditions this rule points to.")
    claims: tuple[Id, ...] = Field(min_length=1)
    note: str | None = None


class Pathway(Model):
    """A care pathway: how urgently, which investigations, which treatments."""

    id: Id
    title: Text
    urgency: Urgency
    investigations: tuple[Text, ...] = ()
    treatments: tuple[Text, ...] = ()
    advice: tuple[Id, ...] = Field(
        default=(),
        description="Advice ids given on this pathway. `calfspec check` reports a rule that can "
        "hold together with a rule sending here and contraindicates one of them.",
    )
    covers: tuple[Id, ...] = Field(
        default=(),
        description="Lower-urgency pathway ids this pathway stands in for: a decision that gives this "
        "pathway meets an expectation that requires any of them (e.g. an emergency pathway covers the "
        "same-day pathway for the same concern). Each must be of lower urgency than this one.",
    )
    claims: tuple[Id, ...] = Field(min_length=1)


class AdviceKind(StrEnum):
    """What kind of advice an item is."""

    SELF_CARE = "self_care"
    TREATMENT = "treatment"
    PREVENTION = "prevention"
    TRAINING = "training"
    SAFETY_NET = "safety_net"
    """When to seek help again; given with the pathway that lists it and never withheld by a red flag."""


class Advice(Model):
    """An advice item, when it is appropriate, and when it must not be given."""

    id: Id
    title: Text
    kind: AdviceKind
    statement: Text
    indicated_when: Expr | None = Field(
        default=None, description="The reference triage gives it when this holds (and nothing forbids it)."
    )
    contraindicated_when: Expr | None = Field(
        default=None, description="Never give it when this holds (besides rules that contraindicate it)."
    )
    claims: tuple[Id, ...] = Field(min_length=1)


class ConflictKind(StrEnum):
    """A disagreement between sources, or a question only one (or neither) answers."""

    CONFLICT = "conflict"
    GAP = "gap"


class ConflictPosition(Model):
    """What one source says on the disputed point (or that it is silent)."""

    source: Id
    says: Text
    claims: tuple[Id, ...] = ()


class Conflict(Model):
    """An explicit record of a conflict or gap and how the project resolved it."""

    id: Id
    kind: ConflictKind
    topic: Text
    positions: tuple[ConflictPosition, ...] = Field(min_length=1)
    resolution: Text
    resolution_claims: tuple[Id, ...] = Field(
        min_length=1, description="Claims (basis: interpretation) that carry the resolution."
    )


class ExclusionKind(StrEnum):
    """Why a passage is not clinical content."""

    HEADING = "heading"
    MARKETING = "marketing"
    NAVIGATION = "navigation"
    IMAGE_CAPTION = "image_caption"
    MARKUP = "markup"
    REFERENCE_LIST = "reference_list"
    EDITORIAL = "editorial"


class ExclusionScope(StrEnum):
    """How much text an exclusion covers around its excerpt."""

    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"


class Exclusion(Model):
    """A non-clinical passage deliberately left out, with the reason."""

    id: Id
    source: Id
    kind: ExclusionKind
    excerpt: Excerpt
    scope: ExclusionScope = ExclusionScope.SENTENCE
    reason: Text

    @field_validator("excerpt", mode="before")
    @classmethod
    def _short(cls, value: object) -> object:
        if isinstance(value, str) and len(value.split()) > MAX_EXCERPT_WORDS:
            raise ValueError(f"excerpt has more than {MAX_EXCERPT_WORDS} words")
        return value


class OpenFlagEvidence(StrEnum):
    """What, besides being open, points to an undetermined red flag."""

    DEFINING_FINDING = "defining_finding"
    """A symptom, sign or history finding the rule's condition tests for (not under ``not``) is present."""
    RISK_FACTOR = "risk_factor"
    """A risk factor the rule's condition lists (a ``risk_factor`` finding, or ``pregnant: true``) is present.

    Only the rule's own list counts, not every risk factor of the conditions it points to:
    those include common background (running, sport) that would make every runner with an
    unanswered question same-day care."""


class OpenFlagTier(Model):
    """A floor for an open (undetermined) red flag, scaled to what is known about it.

    It applies to an open red flag whose own urgency is at least ``flag_urgency`` (any red
    flag when null) and, when ``evidence`` is not empty, for which any of that evidence holds.
    The decision is then at least ``urgency`` (never above the flag's own) via ``pathway``.
    """

    id: Id
    flag_urgency: Urgency | None = None
    evidence: tuple[OpenFlagEvidence, ...] = ()
    urgency: Urgency
    pathway: Id
    claims: tuple[Id, ...] = Field(min_length=1)
    note: str | None = None


class Policy(Model):
    """How the reference triage combines rules; each choice cites its claims."""

    unresolved_red_flag_urgency: Urgency = Field(
        description="Urgency when no red flag holds but one cannot be excluded and nothing known points to it."
    )
    unresolved_pathway: Id
    self_care_pathway: Id
    open_red_flag_tiers: tuple[OpenFlagTier, ...] = Field(
        default=(), description="Higher floors for open red flags, by their urgency and what is known."
    )
    red_flags_withhold: tuple[AdviceKind, ...] = Field(
        default=(),
        description="Advice kinds every red flag that holds or might hold withholds (unless it allows the item).",
    )
    claims: tuple[Id, ...] = Field(min_length=1)


class DerivedField(StrEnum):
    """A structured field of the presentation a finding can follow from."""

    AGE = "age"
    SEX = "sex"
    ONSET = "onset"
    DURATION_DAYS = "duration_days"


class Derivation(Model):
    """A finding (or ``pregnant``) whose state follows from a structured field.

    ``equals`` tests ``sex`` or ``onset``; ``at_least`` / ``below`` test ``age`` or
    ``duration_days``. A derived ``present`` overrides a stated ``absent`` (a 78-year-old
    is of advanced age whatever a form said); a derived ``absent`` only fills an unknown.
    """

    id: Id
    target: Id = Field(description="A finding id, or `pregnant`.")
    from_: DerivedField = Field(alias="from")
    equals: str | None = None
    at_least: float | None = None
    below: float | None = None
    state: Literal[FindingState.PRESENT, FindingState.ABSENT]
    claims: tuple[Id, ...] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Derivation:
        numeric = self.from_ in (DerivedField.AGE, DerivedField.DURATION_DAYS)
        if numeric and (self.equals is not None or (self.at_least is None) == (self.below is None)):
            raise ValueError(f"a derivation from {self.from_.value} takes exactly one of at_least or below")
        if not numeric and (self.equals is None or self.at_least is not None or self.below is not None):
            raise ValueError(f"a derivation from {self.from_.value} takes `equals` only")
        return self


class AliasSection(StrEnum):
    """Which id space a deprecated alias belongs to."""

    FINDINGS = "findings"
    ADVICE = "advice"
    PATHWAYS = "pathways"
    CONDITIONS = "conditions"


class Alias(Model):
    """A deprecated id that stays accepted: it reads as all of ``replaced_by`` (same state)."""

    id: Id
    section: AliasSection = AliasSection.FINDINGS
    replaced_by: tuple[Id, ...] = Field(min_length=1)
    deprecated_in: str = Field(pattern=r"^\d+\.\d+$", description="Protocol version that deprecated it.")
    note: Text


class HazardControl(Model):
    """One control of a system-level hazard and what verifies it (checked to exist)."""

    control: Text
    scenarios: tuple[Id, ...] = Field(default=(), description="Bundled scenario ids that exercise the control.")
    invariants: tuple[str, ...] = Field(default=(), description="Invariant ids (`calfspec fuzz --list`) that check it.")
    checks: tuple[str, ...] = Field(default=(), description="`calfspec check` problem codes that enforce it.")
    claims: tuple[Id, ...] = ()


class Hazard(Model):
    """A system-level hazard for the DCB0129 hazard log (severity and likelihood are the CSO's to assign)."""

    id: Id
    title: Text
    effect: Text = Field(description="What could happen to the patient.")
    causes: tuple[Text, ...] = Field(min_length=1)
    controls: tuple[HazardControl, ...] = Field(min_length=1)
    audit: tuple[str, ...] = Field(default=(), description="Audit defect ids this hazard answers (e.g. D04).")


class GuidelineMeta(Model):
    """Identity of the guideline as a whole."""

    id: Id
    title: Text
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    policy: Policy


class GuidelineFile(Model):
    """One YAML file in guideline/: any subset of the sections."""

    guideline: GuidelineMeta | None = None
    sources: tuple[Source, ...] = ()
    findings: tuple[Finding, ...] = ()
    claims: tuple[Claim, ...] = ()
    conditions: tuple[Condition, ...] = ()
    rules: tuple[Rule, ...] = ()
    pathways: tuple[Pathway, ...] = ()
    advice: tuple[Advice, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    derivations: tuple[Derivation, ...] = ()
    aliases: tuple[Alias, ...] = ()
    hazards: tuple[Hazard, ...] = ()


class Guideline(Model):
    """The whole guideline, merged from every file in guideline/."""

    meta: GuidelineMeta
    sources: tuple[Source, ...]
    findings: tuple[Finding, ...]
    claims: tuple[Claim, ...]
    conditions: tuple[Condition, ...]
    rules: tuple[Rule, ...]
    pathways: tuple[Pathway, ...]
    advice: tuple[Advice, ...]
    conflicts: tuple[Conflict, ...]
    exclusions: tuple[Exclusion, ...]
    derivations: tuple[Derivation, ...] = ()
    aliases: tuple[Alias, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    kind: Literal["calfspec-guideline"] = "calfspec-guideline"
