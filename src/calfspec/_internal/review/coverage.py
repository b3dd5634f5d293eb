"""Traceability, the hazard log, and the coverage policy.

The traceability matrix follows each source passage to the claim it supports,
to the rules and pathways that cite the claim, to the scenarios that rest on
the claim (directly in ``expect.claims`` or through a rule they cover, the same
link the sign-off digest uses), to those scenarios' last result.

The hazard log turns each rule into a DCB0129-style row: the hazard (the
patient is under-triaged), its cause (the findings are missed), the control
(the rule) and the verification (positive and near-miss scenarios and their
results). Risk ratings are left to the clinical safety officer.

The CSV and Markdown documents are written by :mod:`~calfspec._internal.review.tables`,
and ``--changed-since`` reads history in :mod:`~calfspec._internal.review._git`;
both are re-exported here.

The coverage policy fails, by default, when a red-flag rule lacks a positive
scenario (``covers.red_flags``) or a negative one (``covers.near_miss``), when
an alternative of a red flag's condition (each disjunct of an ``any``, at any
depth) has no positive scenario in which that alternative alone makes the rule
true, or when a claim marked ``interpretation`` has no scenario resting on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from ..expressions import Alternative, describe_expr, rule_alternatives
from ..guideline import GuidelineIndex
from ..models.guideline import Basis, RuleKind
from ..models.results import RunResult, Severity, Verdict
from ..models.scenario import Scenario
from ..policy import canonical_presentation
from ..rules import Truth, evaluate, evaluate_without
from ..scenarios import full_facts
from ._git import GuidelineChange, changed_since
from .digest import cited_claim_ids
from .tables import HazardRow, MatrixRow, hazard_log_csv, hazard_log_markdown, matrix_csv, matrix_markdown

__all__ = [
    "DEFAULT_POLICY",
    "Alternative",
    "GuidelineChange",
    "HazardRow",
    "MatrixRow",
    "PolicyCheck",
    "alternative_scenarios",
    "changed_since",
    "check_policy",
    "claim_scenarios",
    "hazard_log",
    "hazard_log_csv",
    "hazard_log_markdown",
    "hazard_verification_gaps",
    "matrix_csv",
    "matrix_markdown",
    "result_summary",
    "rule_alternatives",
    "traceability",
]


class PolicyCheck(StrEnum):
    """One coverage requirement ``calfspec coverage --policy`` can enforce."""

    RED_FLAG_POSITIVE = "red-flag-positive"
    """Every red-flag rule has a scenario where it fires (``covers.red_flags``)."""
    RED_FLAG_NEGATIVE = "red-flag-negative"
    """Every red-flag rule has a near-miss scenario where it must not fire (``covers.near_miss``)."""
    RED_FLAG_ALTERNATIVES = "red-flag-alternatives"
    """Every alternative of a red flag's condition has a scenario where it alone makes the rule true."""
    HAZARD_VERIFICATION = "hazard-verification"
    """Every scenario, invariant and check a system-level hazard's control names exists."""
    INTERPRETATION_CLAIMS = "interpretation-claims"
    """Every ``basis: interpretation`` claim has a scenario resting on it."""
    ROUTINE_POSITIVE = "routine-positive"
    """Every routine-review rule has a scenario where it fires."""
    ALL_CLAIMS = "all-claims"
    """Every claim has a scenario resting on it."""
    RESULTS_PASS = "results-pass"
    """With results: every scenario was run, and passed."""


DEFAULT_POLICY: tuple[PolicyCheck, ...] = (
    PolicyCheck.RED_FLAG_POSITIVE,
    PolicyCheck.RED_FLAG_NEGATIVE,
    PolicyCheck.RED_FLAG_ALTERNATIVES,
    PolicyCheck.HAZARD_VERIFICATION,
    PolicyCheck.INTERPRETATION_CLAIMS,
)


def alternative_scenarios(
    guideline: GuidelineIndex, scenarios: Sequence[Scenario]
) -> list[tuple[Alternative, list[str]]]:
    """Each red flag's alternatives with the scenarios in which that alternative alone makes the rule true.

    "Alone": on the scenario's whole facts (every ``reveal_on_ask`` answered, the structured
    fields' derivations applied) the rule is true, and it would not be were that alternative false.
    """
    facts = [(s.id, canonical_presentation(guideline, full_facts(s))) for s in scenarios]
    out: list[tuple[Alternative, list[str]]] = []
    for rule in guideline.red_flags:
        alternatives = rule_alternatives(rule)
        if not alternatives:
            continue
        holding = [(sid, p) for sid, p in facts if evaluate(rule.when, p) is Truth.TRUE]
        for alt in alternatives:
            alone = [sid for sid, p in holding if evaluate_without(rule.when, p, alt.path) is not Truth.TRUE]
            out.append((alt, alone))
    return out


def result_summary(results: RunResult | None) -> dict[str, str]:
    """Each scenario's last result in a few words: ``pass``, ``fail (safety)``, ``error`` ...

    With repeats, the worst outcome is shown with how often it happened.
    """
    if results is None:
        return {}
    by_id: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for case in results.cases:
        if case.verdict is Verdict.ERROR:
            by_id[case.scenario_id].append((3, "error"))
        elif case.verdict is Verdict.FAIL:
            sev = case.severity or Severity.SAFETY
            by_id[case.scenario_id].append((1 + sev.rank, f"fail ({sev.value})"))
        else:
            by_id[case.scenario_id].append((0, "pass"))
    out = {}
    for sid, outcomes in by_id.items():
        worst = max(outcomes)
        n = sum(1 for o in outcomes if o == worst)
        out[sid] = worst[1] if len(outcomes) == 1 else f"{worst[1]} {n}/{len(outcomes)}"
    return out


def _result(sid: str, summary: Mapping[str, str], have_results: bool) -> str:
    if not have_results:
        return f"{sid}: no results given"
    return f"{sid}: {summary.get(sid, 'not run')}"


def claim_scenarios(scenarios: Sequence[Scenario], guideline: GuidelineIndex) -> dict[str, list[str]]:
    """Claim id -> ids of the scenarios resting on it (as the sign-off digest counts them)."""
    out: dict[str, list[str]] = defaultdict(list)
    for s in scenarios:
        for cid in cited_claim_ids(s, guideline):
            out[cid].append(s.id)
    return out


def traceability(
    guideline: GuidelineIndex, scenarios: Sequence[Scenario], results: RunResult | None = None
) -> list[MatrixRow]:
    """The matrix, one row per (claim, citation), in guideline order."""
    by_claim = claim_scenarios(scenarios, guideline)
    rules_of: dict[str, list[str]] = defaultdict(list)
    for rule in guideline.guideline.rules:
        for cid in rule.claims:
            rules_of[cid].append(rule.id)
    pathways_of: dict[str, list[str]] = defaultdict(list)
    for pw in guideline.guideline.pathways:
        for cid in pw.claims:
            pathways_of[cid].append(pw.id)
    summary = result_summary(results)
    rows = []
    for claim in guideline.guideline.claims:
        sids = tuple(by_claim.get(claim.id, ()))
        for cit in claim.citations:
            rows.append(
                MatrixRow(
                    source=cit.source,
                    section=cit.section,
                    excerpt=cit.excerpt,
                    claim=claim.id,
                    basis=claim.basis.value,
                    statement=claim.statement,
                    rules=tuple(rules_of.get(claim.id, ())),
                    pathways=tuple(pathways_of.get(claim.id, ())),
                    scenarios=sids,
                    results=tuple(_result(s, summary, results is not None) for s in sids) if results else (),
                )
            )
    return rows


def _status(
    positive: Sequence[str], negative: Sequence[str], red_flag: bool, summary: Mapping[str, str], ran: bool
) -> tuple[str, str]:
    linked = [*positive, *negative]
    if not positive:
        return "no positive scenario", "gap: no scenario shows the control firing"
    if red_flag and not negative:
        return "no near-miss scenario", "gap: no scenario shows where the control must not fire"
    if not ran:
        return "not run", "scenarios exist; no results given (--results)"
    outcomes = [summary.get(s, "not run") for s in linked]
    bad = [f"{s}: {o}" for s, o in zip(linked, outcomes, strict=True) if o != "pass"]
    if bad:
        return "; ".join(bad), "open: verification failing or incomplete"
    return f"all {len(linked)} pass", "verified"


def hazard_log(
    guideline: GuidelineIndex, scenarios: Sequence[Scenario], results: RunResult | None = None
) -> list[HazardRow]:
    """One hazard per rule, plus the hazard the combination policy controls."""
    summary = result_summary(results)
    ran = results is not None
    pathways = guideline.pathways
    advice = guideline.advice
    conditions = guideline.conditions
    rows = []
    for rule in guideline.guideline.rules:
        red = rule.kind is RuleKind.RED_FLAG
        positive = [s.id for s in scenarios if rule.id in s.covers.red_flags]
        negative = [s.id for s in scenarios if rule.id in s.covers.near_miss]
        names = ", ".join(conditions[c].name for c in rule.conditions if c in conditions) or "a serious cause"
        pathway = pathways[rule.pathway].title if rule.pathway in pathways else rule.pathway
        avoid = ", ".join(advice[a].title.lower() for a in rule.contraindicates if a in advice)
        control = f"rule {rule.id}: at least {rule.urgency.label} via {pathway}"
        if avoid:
            control += f"; never advise {avoid}"
        result, status = _status(positive, negative, red, summary, ran)
        rows.append(
            HazardRow(
                hazard_id=f"HAZ-{rule.id}",
                hazard=(
                    f"Under-triage: a patient with possible {names} is given less than "
                    f"{rule.urgency.label}" + (", or advice that could harm them" if avoid else "")
                ),
                cause=f"The system misses or discounts: {describe_expr(rule.when, guideline)}",
                control=control,
                verification=(
                    f"fires in: {', '.join(positive) or 'none'}"
                    + (f"; must not fire in: {', '.join(negative) or 'none'}" if red or negative else "")
                ),
                result=result,
                status=status,
            )
        )
    policy = guideline.meta.policy
    cites = set(policy.claims)
    linked = [s.id for s in scenarios if cites & set(cited_claim_ids(s, guideline))]
    if not linked:
        result, status = "no scenario", "gap: no scenario cites the policy's claims"
    elif not ran:
        result, status = "not run", "scenarios exist; no results given (--results)"
    else:
        bad = [f"{s}: {summary.get(s, 'not run')}" for s in linked if summary.get(s) != "pass"]
        result, status = (
            ("; ".join(bad), "open: verification failing or incomplete")
            if bad
            else (
                f"all {len(linked)} pass",
                "verified",
            )
        )
    unresolved = pathways[policy.unresolved_pathway].title if policy.unresolved_pathway in pathways else ""
    rows.append(
        HazardRow(
            hazard_id="HAZ-unexcluded-red-flags",
            hazard="Self-care is advised while a red flag has not been excluded (findings unknown)",
            cause="Unknown findings treated as absent",
            control=(
                f"policy: at least {policy.unresolved_red_flag_urgency.label} via {unresolved} "
                f"until every red flag is excluded; claims {', '.join(policy.claims)}"
            ),
            verification=f"scenarios citing the policy claims: {', '.join(linked) or 'none'}",
            result=result,
            status=status,
        )
    )
    rows.extend(_system_hazards(guideline, scenarios, summary, ran))
    return rows


def _system_hazards(
    guideline: GuidelineIndex, scenarios: Sequence[Scenario], summary: Mapping[str, str], ran: bool
) -> list[HazardRow]:
    """One row per system-level hazard in guideline/hazards.yaml, one verification line per control."""
    known = {s.id for s in scenarios}
    rows = []
    for hazard in guideline.guideline.hazards:
        linked = [sid for c in hazard.controls for sid in c.scenarios if sid in known]
        controls = []
        verification = []
        for i, c in enumerate(hazard.controls, start=1):
            controls.append(f"({i}) {c.control}")
            parts = [
                f"scenarios: {', '.join(c.scenarios)}" if c.scenarios else "",
                f"invariants: {', '.join(c.invariants)}" if c.invariants else "",
                f"checks: {', '.join(c.checks)}" if c.checks else "",
            ]
            verification.append(f"({i}) " + ("; ".join(p for p in parts if p) or "none: needs a verification"))
        unverified = [
            i for i, c in enumerate(hazard.controls, start=1) if not (c.scenarios or c.invariants or c.checks)
        ]
        if unverified:
            result = f"control(s) {', '.join(map(str, unverified))} have no verification"
            status = "open: a control is not verified"
        elif not linked:
            result, status = "verified by checks and invariants only", "scenarios exist; no results given (--results)"
            if ran:
                status = "verified (checks and invariants)"
        elif not ran:
            result, status = "not run", "scenarios exist; no results given (--results)"
        else:
            bad = [f"{sid}: {summary.get(sid, 'not run')}" for sid in linked if summary.get(sid) != "pass"]
            result, status = (
                ("; ".join(bad), "open: verification failing or incomplete")
                if bad
                else (f"all {len(linked)} scenario(s) pass", "verified")
            )
        rows.append(
            HazardRow(
                hazard_id=f"HAZ-{hazard.id}",
                hazard=f"{hazard.title}: {hazard.effect}"
                + (f" (audit {', '.join(hazard.audit)})" if hazard.audit else ""),
                cause=" ".join(f"- {c}" for c in hazard.causes),
                control=" ".join(controls),
                verification=" ".join(verification),
                result=result,
                status=status,
            )
        )
    return rows


def hazard_verification_gaps(guideline: GuidelineIndex, scenarios: Sequence[Scenario]) -> list[str]:
    """Each scenario, invariant or check code a system hazard's control names that does not exist."""
    from ...invariants import derive_invariants
    from ..check import LINT_CODES

    known = {s.id for s in scenarios}
    invariants = {inv.name for inv in derive_invariants(guideline)}
    out = []
    for hazard in guideline.guideline.hazards:
        where = guideline.where("hazards", hazard.id).render()
        for i, c in enumerate(hazard.controls, start=1):
            for sid in c.scenarios:
                if sid not in known:
                    out.append(
                        f"{where}: hazard {hazard.id!r} control {i} names scenario {sid!r}, which does not exist"
                    )
            for name in c.invariants:
                if name not in invariants:
                    out.append(
                        f"{where}: hazard {hazard.id!r} control {i} names invariant {name!r}, which does not exist"
                    )
            for code in c.checks:
                if code not in LINT_CODES:
                    out.append(f"{where}: hazard {hazard.id!r} control {i} names check {code!r}, which does not exist")
    return out


def check_policy(
    guideline: GuidelineIndex,
    scenarios: Sequence[Scenario],
    checks: Iterable[PolicyCheck] = DEFAULT_POLICY,
    results: RunResult | None = None,
) -> list[str]:
    """Why the coverage policy is not met, one line per gap; empty when it is."""
    checks = set(checks)
    failures: list[str] = []
    by_claim = claim_scenarios(scenarios, guideline)
    for rule in guideline.guideline.rules:
        where = guideline.where("rules", rule.id).render()
        positive = any(rule.id in s.covers.red_flags for s in scenarios)
        negative = any(rule.id in s.covers.near_miss for s in scenarios)
        if rule.kind is RuleKind.RED_FLAG:
            if PolicyCheck.RED_FLAG_POSITIVE in checks and not positive:
                failures.append(f"{where}: red-flag rule {rule.id!r} has no positive scenario (covers.red_flags)")
            if PolicyCheck.RED_FLAG_NEGATIVE in checks and not negative:
                failures.append(f"{where}: red-flag rule {rule.id!r} has no near-miss scenario (covers.near_miss)")
        elif PolicyCheck.ROUTINE_POSITIVE in checks and not positive:
            failures.append(f"{where}: routine-review rule {rule.id!r} has no positive scenario (covers.red_flags)")
    if PolicyCheck.RED_FLAG_ALTERNATIVES in checks:
        for alt, alone in alternative_scenarios(guideline, scenarios):
            if alone:
                continue
            where = guideline.where("rules", alt.rule.id).render()
            failures.append(
                f"{where}: red-flag rule {alt.rule.id!r}: no scenario where this alternative alone makes it true: "
                f"{describe_expr(alt.expr, guideline)} (when.{alt.where})"
            )
    if PolicyCheck.HAZARD_VERIFICATION in checks:
        failures.extend(hazard_verification_gaps(guideline, scenarios))
    for claim in guideline.guideline.claims:
        if by_claim.get(claim.id):
            continue
        where = guideline.where("claims", claim.id).render()
        if claim.basis is Basis.INTERPRETATION and (
            PolicyCheck.INTERPRETATION_CLAIMS in checks or PolicyCheck.ALL_CLAIMS in checks
        ):
            failures.append(
                f"{where}: interpretation claim {claim.id!r} has no scenario "
                "(cite it in expect.claims, or cover a rule that cites it)"
            )
        elif PolicyCheck.ALL_CLAIMS in checks:
            failures.append(f"{where}: claim {claim.id!r} has no scenario")
    if PolicyCheck.RESULTS_PASS in checks:
        if results is None:
            failures.append("policy results-pass needs --results RESULT.json")
        else:
            summary = result_summary(results)
            for s in scenarios:
                outcome = summary.get(s.id, "not run")
                if outcome != "pass":
                    failures.append(f"scenario {s.id!r}: last result {outcome}")
    return failures
