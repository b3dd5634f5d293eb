"""Metamorphic relations: two requests whose decisions an invariant relates, or one request sent twice.

``monotonicity``, ``laterality-symmetry``, ``irrelevant-details`` and
``determinism``; the narrative perturbation families are the same kind of
relation, in :mod:`calfspec.invariants._perturbation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from .._internal.guideline import GuidelineIndex
from .._internal.models.triage import FindingState, Side, TriageDecision, TriageRequest
from ..strategies import DISTRACTORS, narrative_for, requests, swap_laterality
from ._consultation import Case, Session
from ._definitions import Invariant, InvariantFamily, ViolationKind
from ._words import describe_decision

__all__ = ["Determinism", "IrrelevantDetails", "LateralitySymmetry", "Monotonicity"]


def _differences(a: TriageDecision, b: TriageDecision) -> list[str]:
    out = []
    if a.urgency is not b.urgency:
        out.append(f"urgency {a.urgency.value} vs {b.urgency.value}")
    for name in ("pathways", "advice"):
        left, right = set(getattr(a, name)), set(getattr(b, name))
        if left != right:
            out.append(f"{name} {', '.join(sorted(left)) or '(none)'} vs {', '.join(sorted(right)) or '(none)'}")
    return out


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
            label = guideline.label(finding)
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
