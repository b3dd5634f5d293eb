"""Safety invariants derived from the guideline, searched with hypothesis against any implementation.

Golden scenarios test the cases someone wrote down; invariants state what must
hold for *every* presentation, and hypothesis looks for the ones that break
them, then shrinks each to the smallest presentation that still does.

Invariants are derived from guideline data, never written one per rule:

* ``red-flag-<rule>`` for every red-flag rule: any presentation on which the
  rule's condition is TRUE gets at least the rule's urgency, the rule's
  pathway, and none of the advice the rule contraindicates. Adding a red flag
  to guideline/ adds its invariant.
* ``contraindicated-<advice>`` for every advice item with a
  ``contraindicated_when``: it is never given when that condition is TRUE.
* Metamorphic relations between two answers of the same implementation:
  ``monotonicity``, ``laterality-symmetry``, ``irrelevant-details``,
  ``determinism``, and the policy checks ``exclusion-before-self-care``,
  ``routine-review-before-self-care`` and ``open-red-flag-floor`` (see each
  class for its precise meaning, and docs/invariants.md).
* ``perturb-<family>``, one per narrative perturbation family: a retold
  narrative never lowers the urgency (:mod:`calfspec._internal.perturb_invariants`).

A :class:`Fuzzer` owns one event loop and one started implementation, and runs
each invariant as a hypothesis test (seeded, no example database, no deadline,
so a seed reproduces a run). A case on which the implementation raises
:class:`~calfspec._internal.errors.ImplementationError` is a violation of kind ``error``.
:func:`check_invariant` is the one-call entry point for the pytest plugin and
for users' own tests.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from types import TracebackType

from hypothesis import strategies as st

from ._internal.adapters import Implementation, load_implementation
from ._internal.errors import ImplementationError, InputError
from ._internal.guideline import GuidelineIndex, expr_atoms, load_guideline
from ._internal.judge import judge, validate_decision
from ._internal.models.guideline import Advice, AllOf, AnyOf, Expr, FindingIs, NotOf, Rule, RuleKind, SideIs, SideTest
from ._internal.models.results import Exchange
from ._internal.models.scenario import Covers, Expectations, Scenario, UrgencyRange
from ._internal.models.triage import FindingState, Presentation, Side, TriageDecision, TriageRequest
from ._internal.models.urgency import Urgency
from ._internal.policy import canonical_presentation, urgency_floor, withheld_advice
from ._internal.rules import Truth, evaluate, evaluate_rules, open_questions
from ._internal.scenarios import with_answers
from ._internal.session import Conversation, ImplementationLoop, ask, converse
from .strategies import DISTRACTORS, narrative_for, patient_answers, requests, satisfying, swap_laterality

__all__ = [
    "Case",
    "Conversation",
    "FuzzOptions",
    "Fuzzer",
    "Invariant",
    "InvariantFamily",
    "InvariantReport",
    "Session",
    "Violation",
    "ViolationKind",
    "check_invariant",
    "counterexample_scenarios",
    "derive_invariants",
    "describe_decision",
    "describe_presentation",
    "fuzz_throughput",
    "select_invariants",
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


# --- talking to the implementation ---------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """What one example sends: one request, or two whose answers an invariant relates."""

    requests: tuple[TriageRequest, ...]
    relation: str = ""
    """How the second request was made from the first, in words (empty for single requests)."""


class Session:
    """One example's dealings with the implementation: calls, follow-up rounds, the patient's answers.

    The simulated patient answers a question about a fact the request left
    unknown (a finding, ``side`` or ``pregnant``) with a value drawn by
    ``draw_answer(question, request)``; the fuzzer draws it from
    :func:`calfspec.strategies.patient_answers`. An answer is drawn once per
    example and reused, so both sides of a relation hear the same patient.
    """

    def __init__(
        self,
        impl: Implementation,
        guideline: GuidelineIndex,
        *,
        timeout: float,
        max_rounds: int,
        draw_answer: Callable[[str, Presentation], FindingState | Side],
    ) -> None:
        self.impl = impl
        self.guideline = guideline
        self.timeout = timeout
        self.max_rounds = max_rounds
        self._draw_answer = draw_answer
        self.answers: dict[str, FindingState | Side] = {}
        self.conversations: list[Conversation] = []

    def answer(self, question: str, request: Presentation) -> FindingState | Side:
        """The patient's answer to ``question`` (drawn on first asking, the same ever after)."""
        if question not in self.answers:
            self.answers[question] = self._draw_answer(question, request)
        return self.answers[question]

    async def _decide(self, request: TriageRequest) -> tuple[TriageDecision, str | None]:
        decision, raw = await ask(self.impl, request, self.timeout)
        validate_decision(decision, self.guideline)
        return decision, raw

    async def decide(self, request: TriageRequest) -> TriageDecision:
        """One call, no follow-up rounds."""
        decision, raw = await self._decide(request)
        self.conversations.append(Conversation((Exchange(request=request, decision=decision, raw_reply=raw),)))
        return decision

    async def converse(self, request: TriageRequest) -> Conversation:
        """Ask, answer the questions the system asks about unknown facts, ask again.

        The conversation loop is :func:`calfspec._internal.session.converse`, the one the
        runner uses; the patient's answers are drawn. A conversation that ends
        without a final decision (a failing round, or still asking after
        ``max_rounds`` follow-ups) raises its :class:`ImplementationError`.
        """
        conversation = await converse(
            self.impl,
            request,
            self.guideline,
            timeout=self.timeout,
            max_rounds=self.max_rounds,
            answer=lambda question: self.answer(question, request),
        )
        if conversation.error is not None:
            raise conversation.error
        self.conversations.append(conversation)
        return conversation


# --- invariants ---------------------------------------------------------------------------


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def expected_by_rules(facts: Presentation, guideline: GuidelineIndex) -> tuple[Expectations, Covers]:
    """What the guideline's policy demands of any decision on ``facts`` (for fuzz-written scenarios).

    ``facts`` are read as :func:`calfspec._internal.policy.canonical_presentation` reads them, then:

    * at least :func:`calfspec._internal.policy.urgency_floor`: the urgency of every rule
      that holds, and for red flags still open the policy's baseline and tiers;
    * the pathway of every rule that holds at the most urgent level that holds
      (a more urgent answer stands in for the lower rules' pathways, as the
      reference's emergency decisions do; not the floor's own pathway: any
      pathway that covers the concern may answer an open flag);
    * never the self-care pathway while a red flag holds or is open;
    * never advice :func:`calfspec._internal.policy.withheld_advice` withholds (a rule not
      yet excluded, or the advice's own ``contraindicated_when``: unknown is not absent);
    * at most ``emergency``: fuzz-written scenarios never assert over-triage.
    """
    facts = canonical_presentation(guideline, facts)
    outcomes = evaluate_rules(guideline.guideline.rules, facts)
    floor = urgency_floor(guideline, facts, outcomes)
    red_fired = [r for r in floor.fired if r.kind is RuleKind.RED_FLAG]
    open_red = [o.rule for o in outcomes if o.truth is Truth.UNKNOWN and o.rule.kind is RuleKind.RED_FLAG]
    policy = guideline.meta.policy
    top = max((r.urgency for r in floor.fired), default=None, key=lambda u: u.rank)
    expect = Expectations(
        urgency=UrgencyRange(min=floor.urgency, max=Urgency.EMERGENCY),
        pathways_required=_unique(r.pathway for r in floor.fired if r.urgency is top),
        pathways_forbidden=(policy.self_care_pathway,) if open_red or red_fired else (),
        advice_forbidden=tuple(withheld_advice(guideline, facts, outcomes)),
        claims=_unique(floor.claims or policy.claims),
    )
    covers = Covers(
        red_flags=tuple(r.id for r in red_fired), conditions=_unique(c for r in red_fired for c in r.conditions)
    )
    return expect, covers


def _differences(a: TriageDecision, b: TriageDecision) -> list[str]:
    out = []
    if a.urgency is not b.urgency:
        out.append(f"urgency {a.urgency.value} vs {b.urgency.value}")
    for name in ("pathways", "advice"):
        left, right = set(getattr(a, name)), set(getattr(b, name))
        if left != right:
            out.append(f"{name} {', '.join(sorted(left)) or '(none)'} vs {', '.join(sorted(right)) or '(none)'}")
    return out


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


def _polarities(expr: Expr, positive: bool = True) -> Iterator[tuple[str, bool]]:
    """Each finding an expression names, with False when it sits under an odd number of ``not``."""
    if isinstance(expr, FindingIs):
        yield expr.finding, positive
    elif isinstance(expr, AllOf | AnyOf):
        for part in expr.all if isinstance(expr, AllOf) else expr.any:
            yield from _polarities(part, positive)
    elif isinstance(expr, NotOf):
        yield from _polarities(expr.not_, not positive)


def _side_tests(expr: Expr) -> Iterator[SideTest]:
    return (atom.side for atom in expr_atoms(expr) if isinstance(atom, SideIs))


def _all_exprs(guideline: GuidelineIndex) -> Iterator[Expr]:
    g = guideline.guideline
    yield from (r.when for r in g.rules)
    for a in g.advice:
        yield from (e for e in (a.indicated_when, a.contraindicated_when) if e is not None)
    yield from (c.suggested_by for c in g.conditions if c.suggested_by is not None)


def _set_finding(request: TriageRequest, finding: str, state: FindingState | None) -> TriageRequest:
    findings = {k: v for k, v in request.findings.items() if k != finding}
    if state is not None:
        findings[finding] = state
    return request.model_copy(update={"findings": findings})


def _renarrate(request: TriageRequest, guideline: GuidelineIndex) -> TriageRequest:
    if request.narrative is None:
        return request
    return request.model_copy(update={"narrative": narrative_for(request, guideline)})


@dataclass(frozen=True)
class Monotonicity(Invariant):
    """Making a red-flag finding present never lowers the urgency.

    Only findings that occur *positively* in red-flag rules and never under a
    ``not`` in any rule are used: for those, three-valued logic guarantees that
    learning "present" can only move a rule toward TRUE.
    """

    findings: tuple[str, ...]
    rule_claims: tuple[str, ...]
    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return "monotonicity"

    @property
    def description(self) -> str:
        return (
            "Changing one red-flag finding from unknown or absent to present never lowers the urgency "
            "of the final decision."
        )

    @property
    def claims(self) -> tuple[str, ...]:
        return self.rule_claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        bases = requests(guideline)
        pick = st.sampled_from(self.findings)
        lower = st.sampled_from((FindingState.UNKNOWN, FindingState.ABSENT))

        @st.composite
        def pair(draw: st.DrawFn) -> Case:
            base = draw(bases)
            finding = draw(pick)
            before = base.state(finding)
            if before is FindingState.PRESENT:
                before = draw(lower)
            low = _set_finding(
                base, finding, before if finding in base.findings or before is not FindingState.UNKNOWN else None
            )
            high = _set_finding(base, finding, FindingState.PRESENT)
            label = guideline.findings[finding].label
            return Case(
                (_renarrate(low, guideline), _renarrate(high, guideline)),
                f"{label}: {before.value} in the first, present in the second",
            )

        return pair()

    async def check(self, case: Case, session: Session) -> list[str]:
        low = await session.converse(case.requests[0])
        high = await session.converse(case.requests[1])
        if high.decision.urgency < low.decision.urgency:
            return [
                f"urgency fell from {low.decision.urgency.value} to {high.decision.urgency.value} ({case.relation})"
            ]
        return []


@dataclass(frozen=True)
class LateralitySymmetry(Invariant):
    """Swapping left and right (the ``side`` field and the narrative's wording) changes nothing.

    Derived only while no guideline condition tests ``side: left`` or
    ``side: right`` specifically; such a guideline is not symmetric.
    """

    rule_claims: tuple[str, ...]
    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return "laterality-symmetry"

    @property
    def description(self) -> str:
        return "The mirror image of a one-sided presentation (left and right swapped) gets the same decision."

    @property
    def claims(self) -> tuple[str, ...]:
        return self.rule_claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return requests(guideline, side=(Side.LEFT, Side.RIGHT)).map(
            lambda r: Case((r, swap_laterality(r)), "left and right swapped")
        )

    async def check(self, case: Case, session: Session) -> list[str]:
        first = await session.converse(case.requests[0])
        mirror = await session.converse(case.requests[1])
        return [f"mirror image differs: {d}" for d in _differences(first.decision, mirror.decision)]


@dataclass(frozen=True)
class IrrelevantDetails(Invariant):
    """Finding order, omitted vs explicit ``unknown``, ``case_id`` and narrative distractors change nothing."""

    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return "irrelevant-details"

    @property
    def description(self) -> str:
        return (
            "Reordering the findings, writing unknown findings out or leaving them out, changing the case id "
            "and adding sentences with no clinical content to the narrative do not change the decision."
        )

    @property
    def claims(self) -> tuple[str, ...]:
        return ()

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        vocabulary = tuple(guideline.findings)
        bases = requests(guideline)
        distractors = st.lists(st.sampled_from(DISTRACTORS), min_size=1, max_size=3)

        @st.composite
        def pair(draw: st.DrawFn) -> Case:
            base = draw(bases)
            spell_out = draw(st.booleans())
            if spell_out:
                items = [(f, base.state(f)) for f in vocabulary]
            else:
                items = [(f, s) for f, s in base.findings.items() if s is not FindingState.UNKNOWN]
            items = draw(st.permutations(items))
            narrative = base.narrative
            extra = draw(distractors) if narrative else []
            if narrative:
                narrative = " ".join([narrative, *extra])
            variant = base.model_copy(
                update={"findings": dict(items), "case_id": "fuzz-variant-7f3a", "narrative": narrative}
            )
            what = ["findings reordered", "unknown findings written out" if spell_out else "unknown findings left out"]
            what.append("case id set")
            if extra:
                what.append(f"{len(extra)} distractor sentence(s) added")
            return Case((base, variant), ", ".join(what))

        return pair()

    async def check(self, case: Case, session: Session) -> list[str]:
        first = await session.converse(case.requests[0])
        second = await session.converse(case.requests[1])
        return [f"irrelevant change altered the decision: {d}" for d in _differences(first.decision, second.decision)]


@dataclass(frozen=True)
class Determinism(Invariant):
    """The same request twice gets the same decision (urgency, pathways, advice)."""

    family = InvariantFamily.METAMORPHIC
    violation_kind = ViolationKind.NONDETERMINISTIC

    @property
    def name(self) -> str:
        return "determinism"

    @property
    def description(self) -> str:
        return "Sending the same request twice gives the same urgency, pathways and advice."

    @property
    def claims(self) -> tuple[str, ...]:
        return ()

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return requests(guideline).map(lambda r: Case((r,), "sent twice"))

    async def check(self, case: Case, session: Session) -> list[str]:
        first = await session.decide(case.requests[0])
        second = await session.decide(case.requests[0])
        diffs = _differences(first, second)
        if not diffs:
            return []
        return [
            "two answers to the same request differ: " + "; ".join(diffs),
            f"first answer: {describe_decision(first)}",
            f"second answer: {describe_decision(second)}",
        ]


@dataclass(frozen=True)
class ExclusionBeforeSelfCare(Invariant):
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

    @property
    def name(self) -> str:
        return "exclusion-before-self-care"

    @property
    def description(self) -> str:
        return (
            "self_care is given only when every red flag is excluded (false after the final round): "
            '"not sure" about a fact that could still make a red flag true never excludes it.'
        )

    @property
    def claims(self) -> tuple[str, ...]:
        return self.policy_claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return requests(guideline).map(lambda r: Case((r,)))

    async def check(self, case: Case, session: Session) -> list[str]:
        conversation = await session.converse(case.requests[0])
        if conversation.decision.urgency is not Urgency.SELF_CARE:
            return []
        final = canonical_presentation(session.guideline, conversation.final_request)
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
class RoutineReviewBeforeSelfCare(Invariant):
    """Never self-care while a routine-review rule holds (e.g. pain that keeps recurring needs a doctor).

    Cases are drawn so that one of the guideline's ``routine_review`` rules is
    TRUE; a *final* ``self_care`` while any of them is TRUE on the request it
    answered (read canonically) violates the invariant. Red flags have their own
    invariants; this one states the lower end of the scale.
    """

    rules: tuple[Rule, ...]
    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return "routine-review-before-self-care"

    @property
    def description(self) -> str:
        return "self_care is never given while a routine-review rule holds: the patient needs to see a doctor."

    @property
    def claims(self) -> tuple[str, ...]:
        return _unique(c for r in self.rules for c in r.claims)

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return st.one_of(*(satisfying(rule, guideline) for rule in self.rules)).map(lambda r: Case((r,)))

    async def check(self, case: Case, session: Session) -> list[str]:
        conversation = await session.converse(case.requests[0])
        if conversation.decision.urgency is not Urgency.SELF_CARE:
            return []
        final = canonical_presentation(session.guideline, conversation.final_request)
        return [
            f"self_care although routine-review rule {rule.id} holds (needs at least {rule.urgency.value})"
            for rule in self.rules
            if evaluate(rule.when, final) is Truth.TRUE
        ]


@dataclass(frozen=True)
class OpenRedFlagFloor(Invariant):
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

    @property
    def claims(self) -> tuple[str, ...]:
        return self.policy_claims

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        return requests(guideline).map(lambda r: Case((r,)))

    async def check(self, case: Case, session: Session) -> list[str]:
        conversation = await session.converse(case.requests[0])
        final = canonical_presentation(session.guideline, conversation.final_request)
        floor = urgency_floor(session.guideline, final)
        given = conversation.decision.urgency
        if given >= floor.urgency:
            return []
        return [
            f"urgency {given.value} is below the policy floor {floor.urgency.value} "
            f"({'; '.join(floor.reasons) or 'no reason recorded'})"
        ]


def derive_invariants(guideline: GuidelineIndex | None = None) -> tuple[Invariant, ...]:
    """Every invariant the guideline implies, red flags first, in a stable order."""
    index = guideline if guideline is not None else load_guideline()
    g = index.guideline
    policy = index.meta.policy
    out: list[Invariant] = [RedFlagInvariant(rule) for rule in index.red_flags]
    out.extend(ContraindicationInvariant(a) for a in g.advice if a.contraindicated_when is not None)
    negated = {f for r in g.rules for f, positive in _polarities(r.when) if not positive}
    raising = _unique(
        f for r in index.red_flags for f, positive in _polarities(r.when) if positive and f not in negated
    )
    red_claims = _unique(c for r in index.red_flags for c in r.claims)
    if raising:
        out.append(Monotonicity(raising, red_claims))
    side_tests = {t for e in _all_exprs(index) for t in _side_tests(e)}
    if not side_tests & {SideTest.LEFT, SideTest.RIGHT}:
        sided = [r for r in g.rules if any(True for _ in _side_tests(r.when))]
        out.append(LateralitySymmetry(_unique(c for r in sided for c in r.claims) or policy.claims))
    out.append(IrrelevantDetails())
    out.append(Determinism())
    out.append(ExclusionBeforeSelfCare(index.red_flags, policy.claims))
    routine = tuple(r for r in g.rules if r.kind is RuleKind.ROUTINE_REVIEW)
    if routine:
        out.append(RoutineReviewBeforeSelfCare(routine))
    tier_claims = (c for t in policy.open_red_flag_tiers for c in t.claims)
    out.append(OpenRedFlagFloor(_unique((*policy.claims, *tier_claims))))
    # The narrative perturbation families (scenarios/perturbations.yaml) as relations.
    from ._internal.perturb_invariants import perturbation_invariants

    out.extend(perturbation_invariants(index))
    return tuple(out)


def select_invariants(invariants: Sequence[Invariant], patterns: Sequence[str]) -> list[Invariant]:
    """The invariants matching any of ``patterns`` (exact names or shell globs such as ``red-flag-*``).

    Raises :class:`~calfspec._internal.errors.InputError` (code ``unknown-invariant``,
    exit 4) for an exact name that is not an invariant, listing the names. A
    glob that matches nothing selects nothing (the caller exits 5).
    """
    if not patterns:
        return list(invariants)
    names = [inv.name for inv in invariants]
    for pattern in patterns:
        if not any(ch in pattern for ch in "*?[") and pattern not in names:
            raise InputError(
                f"unknown invariant {pattern!r}",
                code="unknown-invariant",
                hint="invariants: " + ", ".join(names),
            )
    return [inv for inv in invariants if any(fnmatchcase(inv.name, p) for p in patterns)]


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """The minimal case that breaks an invariant, and what the implementation did with it."""

    invariant: str
    kind: ViolationKind
    problems: tuple[str, ...]
    case: Case
    conversations: tuple[Conversation, ...]
    reproducible: bool = True
    """False when the shrunk case did not fail again on replay (a nondeterministic implementation)."""

    def present_findings(self) -> set[str]:
        """Finding ids present in any request of the case (the measure of how small it is)."""
        return {f for r in self.case.requests for f, s in r.findings.items() if s is FindingState.PRESENT}


@dataclass(frozen=True)
class InvariantReport:
    """The outcome of searching one invariant."""

    name: str
    description: str
    claims: tuple[str, ...]
    examples: int
    elapsed_s: float
    violation: Violation | None = None

    @property
    def passed(self) -> bool:
        """True when no example broke the invariant."""
        return self.violation is None


@dataclass(frozen=True)
class FuzzOptions:
    """How hard to search, and how to talk to the implementation."""

    examples: int = 100
    """Examples hypothesis generates per invariant (``max_examples``); shrinking adds more calls."""
    seed: int = 0
    timeout: float = 30.0
    max_rounds: int = 3


class _Found(Exception):
    """Raised inside the hypothesis test so hypothesis shrinks the case; carries the violation."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.invariant)
        self.violation = violation


def _derived_seed(seed: int, name: str) -> int:
    # One stream per invariant, stable across processes (hash() of a str is not).
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")


def _size(v: Violation) -> tuple[int, int, int]:
    return (
        len(v.present_findings()),
        sum(len(r.findings) for r in v.case.requests),
        sum(len(r.model_dump_json()) for r in v.case.requests),
    )


@dataclass
class Fuzzer:
    """Runs invariants against one implementation through an :class:`~calfspec._internal.session.ImplementationLoop`.

    Use as a context manager: the implementation is started once on entry and
    closed on exit, also on Ctrl-C; a ``start()`` that fails is an
    :class:`~calfspec._internal.errors.ImplementationError` (code
    ``implementation-start-failed``). Pass ``shared``, an already started
    loop, to search with an implementation someone else owns (the pytest
    plugin's, shared with its scenarios); the fuzzer then neither starts nor
    closes it. :meth:`check` is synchronous (hypothesis tests are).
    """

    impl: Implementation
    guideline: GuidelineIndex
    options: FuzzOptions = field(default_factory=FuzzOptions)
    shared: ImplementationLoop | None = None
    _loop: ImplementationLoop | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> Fuzzer:
        if self.shared is not None:
            self._loop = self.shared
        else:
            self._loop = ImplementationLoop(self.impl).__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and loop is not self.shared:
            loop.close()

    def check(self, invariant: Invariant) -> InvariantReport:
        """Search for a case breaking ``invariant``; shrink the first one found."""
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as seed_decorator
        from hypothesis.errors import Flaky

        loop = self._loop
        if loop is None:
            raise RuntimeError("use the Fuzzer as a context manager (`with Fuzzer(...) as fuzzer:`)")
        options = self.options
        found: list[Violation] = []
        calls = 0

        @seed_decorator(_derived_seed(options.seed, invariant.name))
        @settings(
            max_examples=options.examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )
        @given(case=invariant.cases(self.guideline), data=st.data())
        def search(case: Case, data: st.DataObject) -> None:
            nonlocal calls
            calls += 1
            session = Session(
                self.impl,
                self.guideline,
                timeout=options.timeout,
                max_rounds=options.max_rounds,
                draw_answer=lambda q, request: data.draw(patient_answers(q, request), label=f"answer to {q}"),
            )
            kind = invariant.violation_kind
            try:
                problems = loop.run(invariant.check(case, session))
            except ImplementationError as exc:
                kind, problems = ViolationKind.ERROR, [exc.message]
            if problems:
                violation = Violation(invariant.name, kind, tuple(problems), case, tuple(session.conversations))
                found.append(violation)
                raise _Found(violation)

        started = time.perf_counter()
        violation: Violation | None = None
        try:
            search()
        except _Found as exc:
            violation = exc.violation
        except Flaky:
            if not found:
                raise
            # The shrunk case passed on replay: the implementation is not deterministic.
            # Keep the smallest case that did fail, and say it may not reproduce.
            best = min(found, key=_size)
            violation = Violation(
                best.invariant, best.kind, best.problems, best.case, best.conversations, reproducible=False
            )
        return InvariantReport(
            name=invariant.name,
            description=invariant.description,
            claims=invariant.claims,
            examples=calls,
            elapsed_s=time.perf_counter() - started,
            violation=violation,
        )


def _resolve(impl: Implementation | str, guideline: GuidelineIndex) -> Implementation:
    return load_implementation(impl, guideline) if isinstance(impl, str) else impl


def check_invariant(
    name: str,
    impl: Implementation | str,
    *,
    examples: int = 100,
    seed: int = 0,
    guideline: GuidelineIndex | None = None,
    timeout: float = 30.0,
) -> InvariantReport:
    """Search one invariant (by name) against ``impl`` (an :class:`Implementation` or a spec string).

    Synchronous: call it from a plain (not ``async``) test. The implementation is
    started and closed around the search. Raises
    :class:`~calfspec._internal.errors.InputError` for an unknown invariant name.
    """
    index = guideline if guideline is not None else load_guideline()
    invariants = derive_invariants(index)
    invariant = next((inv for inv in invariants if inv.name == name), None)
    if invariant is None:
        raise InputError(
            f"unknown invariant {name!r}",
            code="unknown-invariant",
            hint="invariants: " + ", ".join(inv.name for inv in invariants),
        )
    options = FuzzOptions(examples=examples, seed=seed, timeout=timeout)
    with Fuzzer(_resolve(impl, index), index, options) as fuzzer:
        return fuzzer.check(invariant)


def fuzz_throughput(
    spec: str = "reference", examples: int = 100, seed: int = 0, guideline: GuidelineIndex | None = None
) -> float:
    """Examples per second over every invariant against ``spec`` (for the benchmark).

    Counts every call of the hypothesis test (generation and any shrinking),
    including the implementation's own time.
    """
    index = guideline if guideline is not None else load_guideline()
    invariants = derive_invariants(index)
    total = 0
    started = time.perf_counter()
    with Fuzzer(load_implementation(spec, index), index, FuzzOptions(examples=examples, seed=seed)) as fuzzer:
        for invariant in invariants:
            total += fuzzer.check(invariant).examples
    return total / (time.perf_counter() - started)


# --- counterexamples in clinical words, and as scenarios ----------------------------------

_SIDE_WORDS = {Side.LEFT: "left calf", Side.RIGHT: "right calf", Side.BOTH: "both calves", Side.UNKNOWN: "unknown"}
_STATE_WORDS = {FindingState.PRESENT: "yes", FindingState.ABSENT: "no", FindingState.UNKNOWN: "unknown"}


def describe_presentation(request: Presentation, guideline: GuidelineIndex) -> list[str]:
    """The presentation in clinical words, one line per topic (vocabulary labels, not ids)."""

    def label(fid: str) -> str:
        return guideline.findings[fid].label if fid in guideline.findings else fid

    duration = "unknown" if request.duration_days is None else f"{request.duration_days:g} day(s)"
    lines = [
        f"age: {request.age if request.age is not None else 'unknown'}; sex: {request.sex.value}; "
        f"pregnant: {_STATE_WORDS[request.pregnant]}",
        f"side: {_SIDE_WORDS[request.side]}; onset: {request.onset.value}; duration: {duration}; "
        f"trigger: {request.trigger or 'none given'}",
    ]
    present = [label(f) for f, s in request.findings.items() if s is FindingState.PRESENT]
    absent = [label(f) for f, s in request.findings.items() if s is FindingState.ABSENT]
    unknown = [label(f) for f in guideline.findings if request.state(f) is FindingState.UNKNOWN]
    lines.append("present: " + ("; ".join(present) if present else "none"))
    if len(absent) > len(unknown):
        if unknown:
            lines.append("unknown: " + "; ".join(unknown))
        lines.append("absent: every other finding")
    else:
        if absent:
            lines.append("absent: " + "; ".join(absent))
        lines.append("unknown: every other finding")
    if isinstance(request, TriageRequest) and request.narrative:
        text = request.narrative if len(request.narrative) <= 300 else request.narrative[:297] + "..."
        lines.append(f"narrative: {text!r}")
    return lines


def describe_decision(decision: TriageDecision) -> str:
    """A decision on one line: urgency, pathways, advice, questions."""
    parts = [
        f"urgency {decision.urgency.value} ({decision.urgency.label})",
        "pathways " + (", ".join(decision.pathways) or "(none)"),
        "advice " + (", ".join(decision.advice) or "(none)"),
    ]
    if decision.questions:
        parts.append("asked about " + ", ".join(decision.questions))
    return "; ".join(parts)


_MAX_NARRATIVE = 2000
"""A scenario's narrative is :data:`~calfspec._internal.models._base.Text`: at most 2000 characters."""


def _scenario_id(invariant: str, digest: str) -> str:
    room = 80 - len("fuzz--") - len(digest)
    return f"fuzz-{invariant[:room].rstrip('-_')}-{digest}"


def counterexample_scenarios(
    violation: Violation,
    invariant: Invariant,
    guideline: GuidelineIndex,
    *,
    found_by: str = "",
) -> list[Scenario]:
    """Draft scenarios, one per distinct presentation of the minimal case, ready for review.

    Each keeps the presentation as first sent, the patient's answers as
    ``reveal_on_ask``, and expectations from the rules (red-flag and
    contraindication invariants: the rule's own; relations: every rule that
    holds on the case's facts). ``status`` is always ``draft``: a fuzz finding
    is not a clinical sign-off. ``found_by`` (e.g. the command line) goes into
    the notes.
    """
    out: list[Scenario] = []
    seen: set[str] = set()
    for request in violation.case.requests:
        conversation = next((c for c in violation.conversations if c.request == request), None)
        answers = conversation.answers if conversation is not None else {}
        findings = {k: v for k, v in request.findings.items() if k not in answers}
        presentation = Presentation(
            **request.model_dump(exclude={"findings", "narrative", "case_id", "protocol_version"}), findings=findings
        )
        facts = with_answers(presentation, answers)
        canonical = presentation.model_dump_json() + repr(sorted((k, v.value) for k, v in answers.items()))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:10]
        if digest in seen:
            continue
        seen.add(digest)
        expect, covers = invariant.expectations(facts, guideline)
        answered = [describe_decision(conversation.decision)] if conversation is not None else ["no valid answer"]
        notes = [
            f"Found by calfspec fuzz{f' ({found_by})' if found_by else ''}.",
            f"Violated invariant {invariant.name} ({violation.kind.value}): {invariant.description}",
        ]
        if violation.case.relation:
            notes.append(f"Relation between the requests of the case: {violation.case.relation}.")
        notes.extend(f"Problem: {p}" for p in violation.problems)
        notes.append(f"The implementation answered: {answered[0]}.")
        if not violation.reproducible:
            notes.append("The failure did not reproduce on replay: the implementation is not deterministic.")
        notes.append("Expectations are derived from the guideline rules; review before relying on this case.")
        out.append(
            Scenario(
                id=_scenario_id(invariant.name, digest),
                title=f"Fuzz counterexample to {invariant.name}",
                tags=("fuzz", invariant.name),
                presentation=presentation,
                narrative=request.narrative
                if request.narrative and len(request.narrative) <= _MAX_NARRATIVE
                else narrative_for(presentation, guideline),
                reveal_on_ask=answers,
                expect=expect,
                covers=covers,
                notes="\n".join(notes),
            )
        )
    return out
