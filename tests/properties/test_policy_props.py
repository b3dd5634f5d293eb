"""Properties of the reference's combination policy over arbitrary presentations.

The open-red-flag floor and advice withholding are re-derived here from the guideline data
directly (not through calfspec._internal.policy), so a change in the policy module that lets a patient
through below the floor fails here.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.guideline import AdviceKind, AllOf, AnyOf, Expr, FindingIs, PregnantIs, RuleKind
from calfspec._internal.models.triage import TriageRequest
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.policy import canonical_presentation, urgency_floor, withheld_advice
from calfspec._internal.reference import reference_triage
from calfspec._internal.rules import Truth, evaluate
from calfspec.strategies import requests

GUIDELINE = load_guideline()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _positive_leaves(expr: Expr) -> list[FindingIs | PregnantIs]:
    if isinstance(expr, FindingIs):
        return [expr]
    if isinstance(expr, PregnantIs):
        return [expr] if expr.pregnant else []
    if isinstance(expr, AllOf):
        return [leaf for part in expr.all for leaf in _positive_leaves(part)]
    if isinstance(expr, AnyOf):
        return [leaf for part in expr.any for leaf in _positive_leaves(part)]
    return []  # under a `not`: not evidence for the rule


@SETTINGS
@given(requests(GUIDELINE))
def test_the_reference_is_never_below_the_policy_floor(request: TriageRequest) -> None:
    decision = reference_triage(request, GUIDELINE)
    facts = canonical_presentation(GUIDELINE, request)
    assert decision.urgency >= urgency_floor(GUIDELINE, facts).urgency
    truths = {r.id: evaluate(r.when, facts) for r in GUIDELINE.guideline.rules}
    for rule in GUIDELINE.guideline.rules:
        if truths[rule.id] is Truth.TRUE:
            assert decision.urgency >= rule.urgency, rule.id
    fired = max((r.urgency for r in GUIDELINE.guideline.rules if truths[r.id] is Truth.TRUE), default=Urgency.SELF_CARE)
    for rule in GUIDELINE.red_flags:
        if truths[rule.id] is not Truth.UNKNOWN or rule.urgency <= fired:
            continue
        # An open emergency-level flag is at least same-day care while it is asked about.
        if rule.urgency is Urgency.EMERGENCY:
            assert decision.urgency >= Urgency.URGENT, rule.id
        # So is an open flag with one of its own findings (or pregnancy) already present.
        if any(evaluate(leaf, facts) is Truth.TRUE for leaf in _positive_leaves(rule.when)):
            assert decision.urgency >= min(Urgency.URGENT, rule.urgency), rule.id
        # And an open flag is never self-care.
        assert decision.urgency > Urgency.SELF_CARE, rule.id


@SETTINGS
@given(requests(GUIDELINE))
def test_advice_is_never_what_a_possible_red_flag_withholds(request: TriageRequest) -> None:
    decision = reference_triage(request, GUIDELINE)
    facts = canonical_presentation(GUIDELINE, request)
    withheld = withheld_advice(GUIDELINE, facts)
    kinds = set(GUIDELINE.meta.policy.red_flags_withhold)
    open_or_true = [r for r in GUIDELINE.red_flags if evaluate(r.when, facts) is not Truth.FALSE]
    listed = {a for p in decision.pathways for a in GUIDELINE.pathways[p].advice}
    for item_id in decision.advice:
        item = GUIDELINE.advice[item_id]
        assert item_id not in withheld, item_id
        assert item_id in listed or item.kind is AdviceKind.SAFETY_NET, item_id
        for rule in open_or_true:
            if item.kind in kinds:
                assert item_id in {a.advice for a in rule.allows_advice}, (rule.id, item_id)
    if decision.urgency is Urgency.EMERGENCY:
        assert all(GUIDELINE.pathways[p].urgency is Urgency.EMERGENCY for p in decision.pathways)


@SETTINGS
@given(requests(GUIDELINE))
def test_self_care_only_when_every_red_flag_is_excluded(request: TriageRequest) -> None:
    decision = reference_triage(request, GUIDELINE)
    if decision.urgency is Urgency.SELF_CARE:
        facts = canonical_presentation(GUIDELINE, request)
        assert all(
            evaluate(r.when, facts) is Truth.FALSE for r in GUIDELINE.guideline.rules if r.kind is RuleKind.RED_FLAG
        )
