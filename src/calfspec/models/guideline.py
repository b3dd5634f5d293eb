"""Typed guideline data: sources, claims with provenance, vocabulary, rules, pathways, advice.

The guideline lives in ``guideline/*.yaml``. Each file is a :class:`GuidelineFile`
holding any of the sections below; the loader merges them into one
:class:`Guideline`. Clinical logic is *data* here: rule conditions are typed
expressions (:data:`Expr`) that :mod:`calfspec.rules` evaluates in three-valued
logic and that :mod:`calfspec.strategies` can satisfy or falsify.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator

from ._base import MAX_EXCERPT_WORDS, Excerpt, Id, Model, Text
from .urgency import Urgency

__all__ = [
    "MAX_EXCERPT_WORDS",
    "Advice",
    "AdviceKind",
    "AllOf",
    "AnyOf",
    "Basis",
    "Citation",
    "Claim",
    "Condition",
    "Conflict",
    "ConflictKind",
    "ConflictPosition",
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
    "NotOf",
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

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


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


class Rule(Model):
    """When ``when`` holds: at least ``urgency``, the ``pathway``, and no ``contraindicates`` advice."""

    id: Id
    title: Text
    kind: RuleKind
    when: Expr
    urgency: Urgency
    pathway: Id
    contraindicates: tuple[Id, ...] = ()
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


class Policy(Model):
    """How the reference triage combines rules; each choice cites its claims."""

    unresolved_red_flag_urgency: Urgency = Field(
        description="Urgency when no red flag holds but one cannot be excluded (unknown findings)."
    )
    unresolved_pathway: Id
    self_care_pathway: Id
    claims: tuple[Id, ...] = Field(min_length=1)


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
    kind: Literal["calfspec-guideline"] = "calfspec-guideline"
