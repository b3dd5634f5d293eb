"""Golden scenarios: a presentation, a patient's narrative, and what a safe answer must contain."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from ._base import Id, Model, Text
from .triage import FindingState, Presentation, Side
from .urgency import Urgency

__all__ = [
    "Covers",
    "Expectations",
    "ReviewStatus",
    "Scenario",
    "UrgencyRange",
]


class ReviewStatus(StrEnum):
    """A scenario file's own status. Approval lives in signed sign-off records, never here."""

    DRAFT = "draft"


class UrgencyRange(Model):
    """Acceptable urgencies, inclusive. Below ``min`` is under-triage; above ``max`` over-triage."""

    min: Urgency
    max: Urgency
    expected: Urgency | None = Field(
        default=None,
        description="The single best answer inside min..max, the gold standard that exact accuracy "
        "is scored against (as in the vignette studies). Must lie inside the range.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> UrgencyRange:
        if self.min > self.max:
            raise ValueError(f"impossible expectation: min urgency {self.min.value!r} is above max {self.max.value!r}")
        if self.expected is not None and not self.min <= self.expected <= self.max:
            raise ValueError(
                f"impossible expectation: expected urgency {self.expected.value!r} is outside "
                f"{self.min.value}..{self.max.value}"
            )
        return self

    def contains(self, urgency: Urgency) -> bool:
        """Whether ``urgency`` is inside the range."""
        return self.min <= urgency <= self.max


class Expectations(Model):
    """What a decision must (and must not) contain, and the claims that justify it."""

    urgency: UrgencyRange
    pathways_required: tuple[Id, ...] = ()
    pathways_forbidden: tuple[Id, ...] = ()
    advice_forbidden: tuple[Id, ...] = Field(default=(), description="Contraindicated advice that must not be given.")
    advice_required: tuple[Id, ...] = Field(
        default=(),
        description="Advice the answer should carry (e.g. the safety-net advice on a self-care or routine "
        "answer). A missing item is a quality failure: the patient is sent to the right place, told less.",
    )
    claims: tuple[Id, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Expectations:
        both = set(self.pathways_required) & set(self.pathways_forbidden)
        if both:
            raise ValueError(f"impossible expectation: pathways both required and forbidden: {sorted(both)}")
        advice = set(self.advice_required) & set(self.advice_forbidden)
        if advice:
            raise ValueError(f"impossible expectation: advice both required and forbidden: {sorted(advice)}")
        return self


class Covers(Model):
    """What the scenario exercises, for coverage and per-rule scoring."""

    red_flags: tuple[Id, ...] = Field(default=(), description="Rules this case triggers (positive case).")
    near_miss: tuple[Id, ...] = Field(
        default=(), description="Rules this case deliberately does not trigger (negative case)."
    )
    conditions: tuple[Id, ...] = ()


class Scenario(Model):
    """One golden case."""

    id: Id
    title: Text
    status: ReviewStatus = ReviewStatus.DRAFT
    tags: tuple[Id, ...] = ()
    presentation: Presentation
    narrative: Text
    reveal_on_ask: dict[Id, FindingState | Side] = Field(
        default_factory=dict,
        description="Facts left out of the first presentation, answered only when the system asks: "
        "finding ids and `pregnant` take present/absent/unknown, `side` takes left/right/both.",
    )
    expect: Expectations
    covers: Covers = Field(default_factory=Covers)
    notes: str | None = None

    @model_validator(mode="after")
    def _reveal_values(self) -> Scenario:
        for key, value in self.reveal_on_ask.items():
            if key == "side":
                if not isinstance(value, Side) or value is Side.UNKNOWN:
                    raise ValueError("reveal_on_ask.side must be left, right or both")
                if self.presentation.side is not Side.UNKNOWN:
                    raise ValueError("reveal_on_ask.side needs presentation.side to be unknown")
            elif not isinstance(value, FindingState):
                raise ValueError(f"reveal_on_ask.{key} must be present, absent or unknown")
            elif key == "pregnant" and self.presentation.pregnant is not FindingState.UNKNOWN:
                raise ValueError("reveal_on_ask.pregnant needs presentation.pregnant to be unknown")
        return self
