"""What every human-readable report shows, computed once: headline figures, failing cases, evidence.

The console, Markdown and HTML reports differ only in layout. The choices of
*what* to show (which figures, in which order, which cases count as failing and
how they are sorted, which source excerpts back an expectation) live here, so
the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..compare import case_state
from ..guideline import GuidelineIndex
from ..metrics import case_stats, compute_metrics, range_label
from ..models.results import Answer, CaseResult, CaseStats, Metrics, RuleScore, RunResult, Verdict

__all__ = [
    "CaseView",
    "ClaimEvidence",
    "Figure",
    "ReportView",
    "answer_text",
    "build_view",
    "case_name",
    "case_status",
    "pct",
]


def pct(value: float | None) -> str:
    """``42.9%``, or ``n/a`` when a rate has no denominator."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Figure:
    """One headline figure: label, formatted value, counts behind it, and what it means."""

    key: str
    label: str
    value: str
    detail: str
    meaning: str


@dataclass(frozen=True)
class Citation:
    """One located source excerpt."""

    source: str
    source_title: str
    section: str
    excerpt: str


@dataclass(frozen=True)
class ClaimEvidence:
    """A claim a scenario cites, with our statement and the source excerpts behind it."""

    claim_id: str
    statement: str | None
    basis: str | None
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class DiffLine:
    """Expected vs given for one unmet expectation (or the error of a case without an answer)."""

    kind: str
    severity: str
    message: str
    expected: str
    given: str


@dataclass(frozen=True)
class CaseView:
    """A non-passing trial, ready to render."""

    case: CaseResult
    name: str
    status: str
    lines: tuple[DiffLine, ...]
    evidence: tuple[ClaimEvidence, ...]


@dataclass(frozen=True)
class ReportView:
    """Everything a human-readable report shows about a run."""

    run: RunResult
    metrics: Metrics
    figures: tuple[Figure, ...]
    failing: tuple[CaseView, ...]
    flaky: tuple[CaseStats, ...]
    red_flags: tuple[RuleScore, ...]
    other_rules: tuple[RuleScore, ...]
    status: str
    guideline_note: str | None


def _figures(m: Metrics) -> tuple[Figure, ...]:
    n = m.trials
    return (
        Figure(
            "pass_rate", "Pass rate", pct(m.pass_rate), f"{m.passed}/{n}", "full verdict: urgency, pathways, advice"
        ),
        Figure(
            "agreement", "Exact-level agreement", pct(m.agreement), f"{m.agreed}/{n}", "urgency within expected range"
        ),
        Figure(
            "safe_rate",
            "Safe (not under-triaged)",
            pct(m.safe_rate),
            f"{m.agreed + m.over_triaged}/{n}",
            "urgency at or above the expected minimum",
        ),
        Figure(
            "under_triage_rate",
            "Under-triage",
            pct(m.under_triage_rate),
            f"{m.under_triaged}/{n}",
            "below the range: a safety failure",
        ),
        Figure(
            "over_triage_rate",
            "Over-triage",
            pct(m.over_triage_rate),
            f"{m.over_triaged}/{n}",
            "above the range: a quality failure",
        ),
        Figure("error_rate", "Errors", pct(m.error_rate), f"{m.errors}/{n}", "no valid answer; never a pass"),
        Figure(
            "emergency_sensitivity",
            "Emergency sensitivity",
            pct(m.emergency_sensitivity),
            f"of {m.emergency_trials}",
            "expected emergency, answered emergency",
        ),
    )


def _evidence(case: CaseResult, guideline: GuidelineIndex) -> tuple[ClaimEvidence, ...]:
    out: list[ClaimEvidence] = []
    for claim_id in case.claims:
        claim = guideline.claims.get(claim_id)
        if claim is None:
            # The result may come from another guideline version: say so rather than drop it.
            out.append(ClaimEvidence(claim_id, None, None, ()))
            continue
        out.append(
            ClaimEvidence(
                claim_id,
                claim.statement,
                claim.basis.value,
                tuple(
                    Citation(
                        c.source,
                        s.title if (s := guideline.sources.get(c.source)) is not None else c.source,
                        c.section,
                        c.excerpt,
                    )
                    for c in claim.citations
                ),
            )
        )
    return tuple(out)


def case_name(case: CaseResult, repeat: int) -> str:
    """The scenario id, with ``[repeat k/N]`` when the run repeated cases."""
    return f"{case.scenario_id} [repeat {case.repeat + 1}/{repeat}]" if repeat > 1 else case.scenario_id


def case_status(case: CaseResult) -> str:
    """``pass``, ``error``, ``safety failure`` or ``quality failure`` (the wording ``calfspec compare`` uses)."""
    return case_state(case).label


def _rank(case: CaseResult) -> int:
    # Most harmful first (safety failure, error, quality failure): what a reviewer must read first.
    return -case_state(case)


def _lines(case: CaseResult) -> tuple[DiffLine, ...]:
    if case.verdict is Verdict.ERROR:
        expected = range_label(case.expected_min, case.expected_max)
        return (DiffLine("error", "error", case.error or "no valid answer", expected, "(no answer)"),)
    return tuple(DiffLine(f.kind.value, f.severity.value, f.message, f.expected, f.given) for f in case.failures)


def build_view(run: RunResult, guideline: GuidelineIndex) -> ReportView:
    """Compute metrics (never trusting a stored copy) and everything the human reports show."""
    metrics = compute_metrics(run)
    failing = sorted((c for c in run.cases if c.verdict is not Verdict.PASS), key=_rank)
    views = tuple(
        CaseView(c, case_name(c, run.repeat), case_status(c), _lines(c), _evidence(c, guideline)) for c in failing
    )
    flaky = tuple(s for s in case_stats(run).values() if s.flaky)
    if not run.complete:
        status = "INCOMPLETE"
    elif metrics.failed_safety or metrics.errors:
        status = "FAILED"
    elif metrics.failed_quality:
        status = "PASSED with quality failures"
    else:
        status = "PASSED"
    note = None
    if (run.guideline_id, run.guideline_version) != (guideline.meta.id, guideline.meta.version):
        note = (
            f"result is for guideline {run.guideline_id} {run.guideline_version}; excerpts are from "
            f"{guideline.meta.id} {guideline.meta.version}"
        )
    red_ids = {r.id for r in guideline.red_flags}
    red_flags = tuple(s for s in metrics.rules if s.rule in red_ids)
    other_rules = tuple(s for s in metrics.rules if s.rule not in red_ids)
    return ReportView(run, metrics, _figures(metrics), views, flaky, red_flags, other_rules, status, note)


def answer_text(answer: Answer) -> str:
    """One distinct answer of a flaky case, e.g. ``urgent + urgent-dvt-assessment (repeats 1, 3)``."""
    reps = ", ".join(str(r + 1) for r in answer.repeats)
    if answer.error:
        head = "error"
    else:
        parts = [answer.urgency.value if answer.urgency is not None else "?"]
        if answer.pathways:
            parts.append("pathways " + ", ".join(answer.pathways))
        if answer.advice:
            parts.append("advice " + ", ".join(answer.advice))
        head = "; ".join(parts)
    return f"{head} (repeat{'s' if len(answer.repeats) > 1 else ''} {reps})"
