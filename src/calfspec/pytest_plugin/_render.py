"""What a calfspec test item shows when it fails or errors, in clinical words, not a traceback.

Three texts, each with a first line short enough for pytest's ``-rf`` / ``-rE``
summary: a judged failure (expected vs given, the failures, the claims behind
the expectation), an error (no valid answer), and a broken invariant (the shrunk
counterexample with the answers it got).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._internal.models.results import CaseResult
    from .._internal.scenarios import LoadedScenario
    from ..invariants import InvariantReport
    from ._session import PluginSession

__all__ = ["render_error", "render_failure", "render_violation"]

_CITATIONS_SHOWN = 2
"""Citations shown per claim in a failure; the rest are counted (the guideline has them all)."""

_WIDTH = 200
"""Longest excerpt of an implementation's free text (rationale, raw reply) shown in a failure."""


def render_failure(result: CaseResult, loaded: LoadedScenario, run: PluginSession) -> str:
    """Expected vs given, each failure with its severity, and the claims behind the expectation."""
    from .._internal.metrics import range_label
    from .._internal.words import clip

    scenario = loaded.scenario
    guideline = run.guideline
    decision = result.decision
    assert decision is not None
    expected = range_label(result.expected_min, result.expected_max)
    severity = result.severity.value if result.severity else "unknown"
    lines = [
        # The first line is what pytest's short summary (-rf) shows: the failures themselves.
        f"{severity} failure: " + "; ".join(f.message for f in result.failures),
        f"  scenario {scenario.id} against {run.implementation_name}: {scenario.title}",
        f"  urgency: expected {expected}, given {decision.urgency.value}",
        "  failures:",
        *(f"    [{f.severity.value}] {f.message}" for f in result.failures),
        "  decision: "
        + ", ".join(
            f"{name}=[{', '.join(values)}]"
            for name, values in (
                ("pathways", decision.pathways),
                ("advice", decision.advice),
                ("conditions", decision.conditions),
            )
        ),
    ]
    if decision.rationale:
        lines.append(f"  rationale: {clip(decision.rationale, _WIDTH, marker='...')}")
    answered = [f"{k}={v}" for exchange in result.transcript for k, v in exchange.answered.items()]
    if answered:
        lines.append(f"  follow-up: {len(result.transcript)} round(s); the harness answered " + ", ".join(answered))
    lines.append("  why this is expected (cited claims):")
    for claim_id in scenario.expect.claims:
        claim = guideline.claims.get(claim_id)
        if claim is None:  # load_scenarios rejects unknown claims; kept for a guideline edited mid-run
            lines.append(f"    {claim_id}: (not in the guideline)")
            continue
        lines.append(f"    {claim.id} [{claim.basis.value}]: {claim.statement}")
        for citation in claim.citations[:_CITATIONS_SHOWN]:
            source = guideline.sources.get(citation.source)
            title = source.title if source is not None else citation.source
            lines.append(f'      {title}, "{citation.section}": "{citation.excerpt}"')
        if len(claim.citations) > _CITATIONS_SHOWN:
            lines.append(f"      (+{len(claim.citations) - _CITATIONS_SHOWN} more citation(s) in the guideline)")
    line, col = loaded.doc.locate(("expect",))
    lines.append(f"  expectation: {loaded.path}:{line}:{col}")
    return "\n".join(lines)


def render_error(result: CaseResult, run: PluginSession) -> str:
    """Why the case has no judged answer: the runner's cause, and what came back if anything."""
    from .._internal.words import clip

    cause = result.error or "unknown cause"
    prefix = f"case {result.scenario_id}: "
    lines = [
        # First line for the short summary: the cause, without the case id pytest already shows.
        "no valid answer: " + (cause[len(prefix) :] if cause.startswith(prefix) else cause),
        f"  scenario {result.scenario_id} against {run.implementation_name}; an error is never a pass",
    ]
    if result.raw_reply is not None:
        lines.append(f"  raw reply: {clip(result.raw_reply, _WIDTH, marker='...')!r}")
    return "\n".join(lines)


def render_violation(report: InvariantReport, run: PluginSession) -> str:
    """The broken invariant, what went wrong, and the shrunk case with the answers it got."""
    from ..invariants import describe_decision, describe_presentation

    violation = report.violation
    assert violation is not None
    lines = [
        f"{violation.kind.value}: " + "; ".join(violation.problems),
        f"  invariant {report.name} against {run.implementation_name}: {report.description}",
        f"  found after {report.examples} example(s) (seed {run.config.getoption('calfspec_seed')})"
        + ("" if violation.reproducible else "; the shrunk case did not fail again on replay (nondeterministic?)"),
    ]
    if violation.case.relation:
        lines.append(f"  relation: {violation.case.relation}")
    for number, conversation in enumerate(violation.conversations, start=1):
        lines.append(f"  request {number}:")
        lines.extend(f"    {line}" for line in describe_presentation(conversation.request, run.guideline))
        if conversation.answers:
            answered = ", ".join(f"{k}={v.value}" for k, v in conversation.answers.items())
            lines.append(f"    the harness answered: {answered}")
        lines.append(f"    answer: {describe_decision(conversation.decision)}")
    if report.claims:
        lines.append("  claims: " + ", ".join(report.claims))
    return "\n".join(lines)
