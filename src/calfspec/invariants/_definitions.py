"""The invariant base class and the invariants that check one decision against the guideline's policy.

* :class:`RedFlagInvariant` (``red-flag-<rule>``) and :class:`ContraindicationInvariant`
  (``contraindicated-<advice>``): fixed expectations, judged as a scenario would be;
* the policy checks on the final decision of a conversation:
  :class:`ExclusionBeforeSelfCare`, :class:`RoutineReviewBeforeSelfCare`, :class:`OpenRedFlagFloor`.

The relations between two answers are in :mod:`calfspec.invariants._relations`
and :mod:`calfspec.invariants._perturbation`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from hypothesis import strategies as st

from .._internal.guideline import GuidelineIndex
from .._internal.judge import judge
from .._internal.models.guideline import Advice, Rule
from .._internal.models.scenario import Covers, Expectations, UrgencyRange
from .._internal.models.triage import Presentation
from .._internal.models.urgency import Urgency
from .._internal.policy import canonical_presentation, urgency_floor
from .._internal.rules import Truth, evaluate, open_questions
from .._internal.session import Conversation
from ..strategies import requests, satisfying
from ._consultation import Case, Session
from ._drafts import expected_by_rules, unique

__all__ = [
    "ContraindicationInvariant",
    "ExclusionBeforeSelfCare",
    "Invariant",
    "InvariantFamily",
    "OpenRedFlagFloor",
    "RedFlagInvariant",
    "RoutineReviewBeforeSelfCare",
    "ViolationKind",
]


class InvariantFamily(StrEnum):
    """Where an invariant comes from."""

    RED_FLAG = "red_flag"
    CONTRAINDICATION = "contraindication"
    METAMORPHIC = "metamorphic"


class ViolationKind(StrEnum):
    """A broken invariant, an implementation that gave no valid answer, or one that answers at random."""

    VIOLATION = "violation"
    ERROR = "error"
    NONDETERMINISTIC = "nondeterministic"


class Invariant(ABC):
    """A property every decision of a safe implementation has.

    ``name`` is stable (it selects the invariant with ``--invariant`` and tags
    the scenarios fuzz writes); ``claims`` are the guideline claims behind it
    (empty for relations that follow from the triage contract rather than from
    clinical content).
    """

    family: InvariantFamily
    violation_kind: ViolationKind = ViolationKind.VIOLATION

    @property
    @abstractmethod
    def name(self) -> str:
        """Stable identifier, e.g. ``red-flag-numb-lower-leg`` or ``monotonicity``."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What must hold, in one or two sentences."""

    @property
    @abstractmethod
    def claims(self) -> tuple[str, ...]:
        """Guideline claim ids the invariant rests on."""

    @abstractmethod
    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        """The examples hypothesis draws."""

    @abstractmethod
    async def check(self, case: Case, session: Session) -> list[str]:
        """Run the case through ``session``; return what went wrong (empty: it holds)."""

    def expectations(self, facts: Presentation, guideline: GuidelineIndex) -> tuple[Expectations, Covers]:
        """Expectations for a scenario made from a counterexample whose whole truth is ``facts``."""
        return expected_by_rules(facts, guideline)


class _ExpectationInvariant(Invariant):
    """An invariant that is a fixed set of expectations, judged like a scenario by the judge."""

    @abstractmethod
    def expect(self) -> Expectations:
        """The expectations every case must meet."""

    async def check(self, case: Case, session: Session) -> list[str]:
        conversation = await session.converse(case.requests[0])
        return [f.message for f in judge(self.expect(), conversation.decision, session.guideline).failures]

    def expectations(self, facts: Presentation, guideline: GuidelineIndex) -> tuple[Expectations, Covers]:
        _, covers = expected_by_rules(facts, guideline)
        return self.expect(), covers


@dataclass(frozen=True)
class RedFlagInvariant(_ExpectationInvariant):
    """When a red-flag rule holds: at least its urgency, its pathway, none of the advice it contraindicates."""

    rule: Rule
    family = InvariantFamily.RED_FLAG

    @property
    def name(self) -> str:
        return f"red-flag-{self.rule.id}"

    @property
    def description(self) -> str:
        avoid = ", ".join(self.rule.contraindicates) or "nothing"
        return (
            f"Whenever '{self.rule.title}' holds, the decision is at least {self.rule.urgency.value}, "
            f"includes pathway {self.rule.pathway}, and gives none of: {avoid}."
        )

    @property
    def claims(self) -> tuple[str, ...]:
        return self.rule.claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return satisfying(self.rule, guideline).map(lambda r: Case((r,)))

    def expect(self) -> Expectations:
        return Expectations(
            urgency=UrgencyRange(min=self.rule.urgency, max=Urgency.EMERGENCY),
            pathways_required=(self.rule.pathway,),
            advice_forbidden=self.rule.contraindicates,
            claims=self.rule.claims,
        )


@dataclass(frozen=True)
class ContraindicationInvariant(_ExpectationInvariant):
    """An advice item is never given when its own ``contraindicated_when`` is TRUE."""

    advice: Advice
    family = InvariantFamily.CONTRAINDICATION

    @property
    def name(self) -> str:
        return f"contraindicated-{self.advice.id}"

    @property
    def description(self) -> str:
        return f"Advice {self.advice.id} ('{self.advice.title}') is never given when its contraindication holds."

    @property
    def claims(self) -> tuple[str, ...]:
        return self.advice.claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        assert self.advice.contraindicated_when is not None
        return satisfying(self.advice.contraindicated_when, guideline).map(lambda r: Case((r,)))

    def expect(self) -> Expectations:
        return Expectations(
            urgency=UrgencyRange(min=Urgency.SELF_CARE, max=Urgency.EMERGENCY),
            advice_forbidden=(self.advice.id,),
            claims=self.advice.claims,
        )


class _FinalAnswerInvariant(Invariant):
    """An invariant on the final answer of one conversation, read against the request it answered.

    The request is read canonically (deprecated aliases, derived findings), so a
    "not sure" answer leaves a fact unknown. With ``only_self_care`` set, only a
    final ``self_care`` can violate it.
    """

    only_self_care: ClassVar[bool] = False

    async def check(self, case: Case, session: Session) -> list[str]:
        conversation = await session.converse(case.requests[0])
        if self.only_self_care and conversation.decision.urgency is not Urgency.SELF_CARE:
            return []
        final = canonical_presentation(session.guideline, conversation.final_request)
        return self.problems(conversation, final, session.guideline)

    @abstractmethod
    def problems(self, conversation: Conversation, final: Presentation, guideline: GuidelineIndex) -> list[str]:
        """What is wrong with ``conversation``'s final answer to ``final`` (empty: it holds)."""


class _PolicyInvariant(_FinalAnswerInvariant):
    """A final-answer invariant that rests on the guideline's policy claims, drawn over any request."""

    policy_claims: tuple[str, ...]

    @property
    def claims(self) -> tuple[str, ...]:
        return self.policy_claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return requests(guideline).map(lambda r: Case((r,)))


@dataclass(frozen=True)
class ExclusionBeforeSelfCare(_PolicyInvariant):
    """Self-care only once every red flag is excluded: FALSE after the final round.

    Precisely: a *final* decision of ``self_care`` (the last round of a
    conversation, see :meth:`Session.converse`) violates this invariant when,
    on the request it answered (read as :func:`calfspec._internal.policy.canonical_presentation`
    reads it), some red-flag rule is TRUE or UNDETERMINED. "Not sure" never
    excludes a red flag: an unknown finding is not an absent one, asked about
    or not (the guideline's policy, claim ``unresolved-red-flags-see-doctor``).
    The problem names the facts still open, split into those the system never
    asked about and those the patient was not sure of.
    """

    red_flags: tuple[Rule, ...]
    policy_claims: tuple[str, ...]
    family = InvariantFamily.METAMORPHIC
    only_self_care = True

    @property
    def name(self) -> str:
        return "exclusion-before-self-care"

    @property
    def description(self) -> str:
        return (
            "self_care is given only when every red flag is excluded (false after the final round): "
            '"not sure" about a fact that could still make a red flag true never excludes it.'
        )

    def problems(self, conversation: Conversation, final: Presentation, guideline: GuidelineIndex) -> list[str]:
        asked = set(conversation.answers)
        problems = []
        for rule in self.red_flags:
            truth = evaluate(rule.when, final)
            if truth is Truth.TRUE:
                problems.append(f"self_care although red flag {rule.id} holds")
            elif truth is Truth.UNKNOWN:
                # Never empty: an undetermined condition has at least one unknown fact in it.
                still_open = open_questions(rule.when, final)
                missing = [q for q in still_open if q not in asked]
                unsure = [q for q in still_open if q in asked]
                parts = []
                if missing:
                    parts.append(f"was not asked about ({', '.join(missing)})")
                if unsure:
                    parts.append(f"the patient was not sure about ({', '.join(unsure)})")
                problems.append(f"self_care although red flag {rule.id} is not excluded and " + "; ".join(parts))
        return problems


@dataclass(frozen=True)
class RoutineReviewBeforeSelfCare(_FinalAnswerInvariant):
    """Never self-care while a routine-review rule holds (e.g. pain that keeps recurring needs a doctor).

    Cases are drawn so that one of the guideline's ``routine_review`` rules is
    TRUE; a *final* ``self_care`` while any of them is TRUE on the request it
    answered (read canonically) violates the invariant. Red flags have their own
    invariants; this one states the lower end of the scale.
    """

    rules: tuple[Rule, ...]
    family = InvariantFamily.METAMORPHIC
    only_self_care = True

    @property
    def name(self) -> str:
        return "routine-review-before-self-care"

    @property
    def description(self) -> str:
        return "self_care is never given while a routine-review rule holds: the patient needs to see a doctor."

    @property
    def claims(self) -> tuple[str, ...]:
        return unique(c for r in self.rules for c in r.claims)

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return st.one_of(*(satisfying(rule, guideline) for rule in self.rules)).map(lambda r: Case((r,)))

    def problems(self, conversation: Conversation, final: Presentation, guideline: GuidelineIndex) -> list[str]:
        return [
            f"self_care although routine-review rule {rule.id} holds (needs at least {rule.urgency.value})"
            for rule in self.rules
            if evaluate(rule.when, final) is Truth.TRUE
        ]


@dataclass(frozen=True)
class OpenRedFlagFloor(_PolicyInvariant):
    """The final urgency is at least the guideline's floor (:func:`calfspec._internal.policy.urgency_floor`).

    The floor is the policy for red flags still open after the conversation:
    the rules that hold, the ``unresolved_red_flag_urgency`` baseline, and the
    ``open_red_flag_tiers`` that raise it (an open emergency-level flag, or an
    open flag with one of its own findings or a listed risk factor present, is
    same-day care while its questions are asked). It is computed on the request
    the final decision answered, read canonically, so an answer of "not sure"
    leaves the flag open and the floor in force.
    """

    policy_claims: tuple[str, ...]
    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return "open-red-flag-floor"

    @property
    def description(self) -> str:
        return (
            "The final urgency is at least the policy floor for the red flags still open after the last "
            "round (and for the rules that hold)."
        )

    def problems(self, conversation: Conversation, final: Presentation, guideline: GuidelineIndex) -> list[str]:
        floor = urgency_floor(guideline, final)
        given = conversation.decision.urgency
        if given >= floor.urgency:
            return []
        return [
            f"urgency {given.value} is below the policy floor {floor.urgency.value} "
            f"({'; '.join(floor.reasons) or 'no reason recorded'})"
        ]
