"""The reference triage: the guideline's rules, executed directly.

There is no clinical logic here, only the combination policy of
:mod:`calfspec._internal.policy`, applied to the canonical presentation (deprecated ids
mapped, findings the structured fields settle filled in):

* every rule that holds contributes its urgency and pathway; the decision takes
  the most urgent (:func:`~calfspec._internal.policy.urgency_floor`);
* self-care is given only when every red flag is *excluded* (false, not
  unknown): "the red-flag causes must be excluded first" (001);
* a red flag that is still open sets a floor scaled to what is known: the
  policy's ``unresolved_red_flag_urgency`` when nothing points to it, higher for
  the ``open_red_flag_tiers`` that apply; the findings that could settle it are asked;
* an emergency decision lists only emergency pathways;
* advice is given only when a given pathway lists it, it is indicated (a
  ``safety_net`` item on a given pathway always is), and nothing that holds, or
  might hold, withholds it (:func:`~calfspec._internal.policy.withheld_advice`).
"""

from __future__ import annotations

import functools

from .guideline import GuidelineIndex, load_guideline
from .models.guideline import AdviceKind
from .models.triage import Presentation, TriageDecision, TriageRequest
from .models.urgency import Urgency
from .policy import canonical_presentation, guideline_plan, urgency_floor, withheld_advice
from .rules import Truth, evaluate_rules, open_questions

__all__ = ["reference_triage"]


@functools.cache
def _bundled() -> GuidelineIndex:
    # Loaded once per process: callers that pass no guideline (e.g. `python:` specs pointing
    # at this function) must not pay for a file-system check on every case.
    return load_guideline()


def reference_triage(request: TriageRequest | Presentation, guideline: GuidelineIndex | None = None) -> TriageDecision:
    """Triage one presentation by the guideline (the bundled one by default)."""
    index = guideline or _bundled()
    facts = canonical_presentation(index, request)
    outcomes = evaluate_rules(index.guideline.rules, facts)
    floor = urgency_floor(index, facts, outcomes)
    policy = index.meta.policy
    urgency = floor.urgency
    pathways = list(floor.pathways)
    reasons = list(floor.reasons)
    questions: list[str] = []
    for rule in floor.open_flags:
        for finding in open_questions(rule.when, facts):
            if finding not in questions:
                questions.append(finding)
    if urgency is Urgency.SELF_CARE:
        pathways.append(policy.self_care_pathway)
        reasons.append("every red flag excluded")
    if urgency is Urgency.EMERGENCY:
        pathways = [p for p in pathways if p not in index.pathways or index.pathways[p].urgency is Urgency.EMERGENCY]

    withheld = withheld_advice(index, facts, outcomes)
    listed = {a for p in pathways if p in index.pathways for a in index.pathways[p].advice}
    plan = guideline_plan(index)
    findings, side, pregnant = facts.findings, facts.side, facts.pregnant
    indications = plan.indicated_when(findings, side, pregnant)
    advice = []
    for item, place in plan.indicated:
        if item.id in withheld:
            continue
        indicated = place is not None and indications[place] is Truth.TRUE
        if item.kind is AdviceKind.SAFETY_NET:
            if indicated or (item.id in listed and place is None):
                advice.append(item.id)
        elif item.id in listed and indicated:
            advice.append(item.id)

    conditions: list[str] = []
    for rule in floor.fired:
        conditions.extend(c for c in rule.conditions if c not in conditions)
    for cond_id, suggested in zip(plan.suggested, plan.suggested_by(findings, side, pregnant), strict=True):
        if suggested is Truth.TRUE and cond_id not in conditions:
            conditions.append(cond_id)

    return TriageDecision(
        urgency=urgency,
        pathways=tuple(pathways),
        advice=tuple(advice),
        conditions=tuple(conditions),
        questions=tuple(questions),
        rationale="; ".join(reasons),
    )
