"""Fuzz counterexamples drafted as scenarios, with the expectations the guideline's rules set."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._internal.guideline import GuidelineIndex
from .._internal.models.guideline import RuleKind
from .._internal.models.scenario import Covers, Expectations, Scenario, UrgencyRange
from .._internal.models.triage import Presentation
from .._internal.models.urgency import Urgency
from .._internal.policy import canonical_presentation, urgency_floor, withheld_advice
from .._internal.rules import Truth, evaluate_rules
from .._internal.scenarios import with_answers
from ..strategies import narrative_for
from ._words import describe_decision

if TYPE_CHECKING:
    from ._definitions import Invariant
    from ._fuzzer import Violation

__all__ = ["counterexample_scenarios", "expected_by_rules", "unique"]


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """``items`` in first-seen order, each once."""
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
        pathways_required=unique(r.pathway for r in floor.fired if r.urgency is top),
        pathways_forbidden=(policy.self_care_pathway,) if open_red or red_fired else (),
        advice_forbidden=tuple(withheld_advice(guideline, facts, outcomes)),
        claims=unique(floor.claims or policy.claims),
    )
    covers = Covers(
        red_flags=tuple(r.id for r in red_fired), conditions=unique(c for r in red_fired for c in r.conditions)
    )
    return expect, covers


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
