"""The reference triage: the guideline's rules, executed directly.

There is no clinical logic here, only the combination policy:

* every rule that holds contributes its urgency, pathway and contraindications;
  the decision takes the most urgent;
* self-care is given only when every red flag is *excluded* (false, not
  unknown): "the red-flag causes must be excluded first" (001);
* when no red flag holds but some cannot be excluded, the decision takes the
  guideline policy's ``unresolved_red_flag_urgency`` and asks about the unknown
  findings that could settle them;
* advice is given when its ``indicated_when`` holds and nothing that holds, or
  might hold, contraindicates it.
"""

from __future__ import annotations

import functools

from .guideline import GuidelineIndex, load_guideline
from .models.guideline import RuleKind
from .models.triage import Presentation, TriageDecision, TriageRequest
from .models.urgency import Urgency
from .rules import Truth, evaluate, evaluate_rules, open_questions

__all__ = ["reference_triage"]


@functools.cache
def _bundled() -> GuidelineIndex:
    # Loaded once per process: callers that pass no guideline (e.g. `python:` specs pointing
    # at this function) must not pay for a file-system check on every case.
    return load_guideline()


def reference_triage(request: TriageRequest | Presentation, guideline: GuidelineIndex | None = None) -> TriageDecision:
    """Triage one presentation by the guideline (the bundled one by default)."""
    index = guideline or _bundled()
    outcomes = evaluate_rules(index.guideline.rules, request)
    fired = [o.rule for o in outcomes if o.truth is Truth.TRUE]
    open_flags = [o.rule for o in outcomes if o.truth is Truth.UNKNOWN and o.rule.kind is RuleKind.RED_FLAG]
    red_fired = [r for r in fired if r.kind is RuleKind.RED_FLAG]
    policy = index.meta.policy

    urgency = Urgency.SELF_CARE
    pathways: list[str] = []
    questions: list[str] = []
    reasons: list[str] = []
    for rule in sorted(fired, key=lambda r: -r.urgency.rank):
        urgency = max(urgency, rule.urgency)
        if rule.pathway not in pathways:
            pathways.append(rule.pathway)
        reasons.append(f"{rule.id} ({rule.urgency.value})")
    # Only red flags that could still raise the urgency are worth asking about.
    open_higher = [r for r in open_flags if r.urgency > urgency]
    if open_higher:
        if not red_fired:
            urgency = max(urgency, policy.unresolved_red_flag_urgency)
            if policy.unresolved_pathway not in pathways:
                pathways.append(policy.unresolved_pathway)
        for rule in open_higher:
            for finding in open_questions(rule.when, request):
                if finding not in questions:
                    questions.append(finding)
        reasons.append("red flags not excluded: " + ", ".join(r.id for r in open_higher))
    if urgency is Urgency.SELF_CARE:
        pathways.append(policy.self_care_pathway)
        reasons.append("every red flag excluded")

    forbidden: set[str] = set()
    for o in outcomes:
        if o.truth is not Truth.FALSE:
            forbidden.update(o.rule.contraindicates)
    advice = []
    for item in index.guideline.advice:
        if item.id in forbidden or item.indicated_when is None:
            continue
        if item.contraindicated_when is not None and evaluate(item.contraindicated_when, request) is not Truth.FALSE:
            continue
        if evaluate(item.indicated_when, request) is Truth.TRUE:
            advice.append(item.id)

    conditions: list[str] = []
    for rule in fired:
        conditions.extend(c for c in rule.conditions if c not in conditions)
    for cond in index.guideline.conditions:
        suggested = cond.suggested_by is not None and evaluate(cond.suggested_by, request) is Truth.TRUE
        if suggested and cond.id not in conditions:
            conditions.append(cond.id)

    return TriageDecision(
        urgency=urgency,
        pathways=tuple(pathways),
        advice=tuple(advice),
        conditions=tuple(conditions),
        questions=tuple(questions),
        rationale="; ".join(reasons),
    )
