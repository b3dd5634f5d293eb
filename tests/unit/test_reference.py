"""The reference triage executes the guideline; these pin its combination policy."""

from __future__ import annotations

from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.guideline import RuleKind
from calfspec._internal.models.triage import FindingState, Side, TriageRequest
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.reference import reference_triage
from calfspec._internal.rules import Truth, evaluate

P, A = FindingState.PRESENT, FindingState.ABSENT


def red_flag_findings(g: GuidelineIndex) -> set[str]:
    from calfspec._internal.expressions import expr_findings

    return {f for r in g.red_flags for f in expr_findings(r.when)}


def all_clear(g: GuidelineIndex, **extra: FindingState) -> TriageRequest:
    findings = dict.fromkeys(red_flag_findings(g), A)
    findings.update(extra)
    return TriageRequest(side=Side.LEFT, pregnant=A, findings=findings)


def test_self_care_only_when_every_red_flag_is_excluded() -> None:
    g = load_guideline()
    req = all_clear(g, obvious_muscle_injury=P)
    d = reference_triage(req, g)
    assert d.urgency is Urgency.SELF_CARE
    assert g.meta.policy.self_care_pathway in d.pathways
    assert not d.questions
    assert all(evaluate(r.when, req) is Truth.FALSE for r in g.red_flags)


def test_one_unknown_red_flag_finding_blocks_self_care_and_is_asked_about() -> None:
    g = load_guideline()
    findings = dict(all_clear(g, obvious_muscle_injury=P).findings)
    del findings["calf_swelling"]
    d = reference_triage(TriageRequest(side=Side.LEFT, pregnant=A, findings=findings), g)
    assert d.urgency is g.meta.policy.unresolved_red_flag_urgency
    assert d.urgency > Urgency.SELF_CARE
    assert "calf_swelling" in d.questions
    assert g.meta.policy.unresolved_pathway in d.pathways


def test_every_red_flag_rule_fires_with_its_urgency_and_pathway() -> None:
    g = load_guideline()
    from calfspec._internal.models.guideline import AllOf, AnyOf, FindingIs, NotOf, PregnantIs, SideIs

    def witness(expr: object, out: dict[str, FindingState]) -> None:
        if isinstance(expr, FindingIs):
            out[expr.finding] = P
        elif isinstance(expr, AllOf):
            for e in expr.all:
                witness(e, out)
        elif isinstance(expr, AnyOf):
            witness(expr.any[0], out)
        elif isinstance(expr, NotOf | SideIs | PregnantIs):
            pass

    for rule in g.red_flags:
        found: dict[str, FindingState] = {}
        witness(rule.when, found)
        req = TriageRequest(side=Side.LEFT, pregnant=P, findings=found)
        assert evaluate(rule.when, req) is Truth.TRUE, rule.id
        d = reference_triage(req, g)
        assert d.urgency >= rule.urgency, rule.id
        assert rule.pathway in d.pathways, rule.id
        assert not set(rule.contraindicates) & set(d.advice), rule.id
        assert rule.kind is RuleKind.RED_FLAG


def test_the_most_urgent_rule_wins_and_an_emergency_lists_only_emergency_pathways() -> None:
    g = load_guideline()
    req = all_clear(g, calf_swelling=P, chest_pain=P)
    d = reference_triage(req, g)
    assert d.urgency is Urgency.EMERGENCY
    assert "emergency-call-now" in d.pathways
    # D31: "same-day" beside "call now" reads as permission to wait.
    assert all(g.pathways[p].urgency is Urgency.EMERGENCY for p in d.pathways)


def test_advice_a_possible_red_flag_would_forbid_is_withheld_while_it_is_unknown() -> None:
    g = load_guideline()
    d = reference_triage(TriageRequest(findings={"cramp_episode": P}), g)
    assert "calf-stretching" not in d.advice  # stretching is contraindicated by the clot flags, still open
    clear = reference_triage(all_clear(g, cramp_episode=P), g)
    assert "calf-stretching" in clear.advice


def test_the_reference_function_itself_works_as_a_python_spec() -> None:
    import asyncio

    from calfspec._internal.adapters import load_implementation

    impl = load_implementation("python:calfspec._internal.reference:reference_triage", load_guideline())
    reply = asyncio.run(impl.triage(TriageRequest(findings={"chest_pain": P}), 5.0))
    assert reply.decision.urgency is Urgency.EMERGENCY
