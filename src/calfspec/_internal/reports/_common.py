"""What every human-readable report shows, computed once: headline figures, failing cases, evidence.

The console, Markdown and HTML reports differ only in layout. The choices of
*what* to show (which figures, in which order, which cases count as failing and
how they are sorted, which source excerpts back an expectation) live here, so
the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..compare import case_state
from ..guideline import GuidelineIndex
from ..metrics import metrics_and_stats, range_label
from ..models.results import Answer, CaseResult, CaseStats, FailureKind, Metrics, RuleScore, RunResult, Verdict
from ..models.urgency import Urgency

__all__ = [
    "CaseView",
    "ClaimEvidence",
    "Figure",
    "ReportView",
    "answer_text",
    "build_view",
    "case_name",
    "case_status",
    "case_tag",
    "evidence_of",
    "harm_key",
    "implementation_notes",
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
    """A trial, ready to render (``lines`` is empty for a pass)."""

    case: CaseResult
    name: str
    status: str
    lines: tuple[DiffLine, ...]
    evidence: tuple[ClaimEvidence, ...]
    tag: str = "pass"
    """``safety``, ``quality``, ``error`` or ``pass``: the bracketed tag every report shows."""
    under_by: int = 0
    """How many urgency levels below the expected minimum the answer was (0: not under-triaged)."""

    @property
    def emergency_under(self) -> bool:
        """An expected emergency answered with anything less: the most harmful failure there is."""
        return self.under_by > 0 and self.case.expected_min is Urgency.EMERGENCY

    @property
    def anchor(self) -> str:
        """The HTML anchor: the scenario id, with ``--rK`` for the K-th repeat after the first."""
        return self.case.scenario_id if self.case.repeat == 0 else f"{self.case.scenario_id}--r{self.case.repeat + 1}"

    def one_line(self) -> str:
        """``[safety] id: expected emergency, given self_care (3 levels under)``; for the compact lists."""
        c = self.case
        expected = range_label(c.expected_min, c.expected_max)
        if c.verdict is Verdict.ERROR:
            return f"[error] {self.name}: expected {expected}, no answer: {first_line(c.error or 'error')}"
        given = c.given.value if c.given is not None else "?"
        text = f"[{self.tag}] {self.name}: expected {expected}, given {given}"
        if self.under_by:
            text += f" ({self.under_by} level{'s' if self.under_by > 1 else ''} under)"
        others = [
            line.kind.replace("_", " ") for line in self.lines if line.kind not in ("under_triage", "over_triage")
        ]
        if others:
            text += "; " + ", ".join(others)
        return text


@dataclass(frozen=True)
class ReportView:
    """Everything a human-readable report shows about a run."""

    run: RunResult
    metrics: Metrics
    figures: tuple[Figure, ...]
    failing: tuple[CaseView, ...]
    """Every non-passing trial, most harmful first (:func:`harm_key`)."""
    flaky: tuple[CaseStats, ...]
    red_flags: tuple[RuleScore, ...]
    other_rules: tuple[RuleScore, ...]
    status: str
    guideline_note: str | None
    evidence: Callable[[CaseResult], tuple[ClaimEvidence, ...]] = field(repr=False, compare=False)
    """The source excerpts behind a trial's claims (see :func:`evidence_of`)."""

    @cached_property
    def cases(self) -> tuple[CaseView, ...]:
        """Every trial: the failing ones in harm order, then the passes in run order.

        Built on first use: only the HTML report lists the passes, and a run of
        thousands of cases is mostly passes.
        """
        passes = tuple(_view(c, self.run.repeat, self.evidence) for c in self.run.cases if c.verdict is Verdict.PASS)
        return self.failing + passes

    @property
    def emergency_misses(self) -> tuple[CaseView, ...]:
        """The under-triaged emergencies, which every report lists in full before any size cap."""
        return tuple(cv for cv in self.failing if cv.emergency_under)


def _figures(m: Metrics) -> tuple[Figure, ...]:
    n = m.trials
    return (
        Figure(
            "pass_rate", "Pass rate", pct(m.pass_rate), f"{m.passed}/{n}", "full verdict: urgency, pathways, advice"
        ),
        Figure(
            "in_range_rate", "In-range rate", pct(m.in_range_rate), f"{m.in_range}/{n}", "urgency within expected range"
        ),
        Figure(
            "exact_accuracy",
            "Exact accuracy",
            pct(m.exact_accuracy),
            f"{m.exact}/{m.exact_trials}",
            "the single best urgency, where the scenario names one",
        ),
        Figure(
            "safe_rate",
            "Safe (not under-triaged)",
            pct(m.safe_rate),
            f"{m.in_range + m.over_triaged}/{n}",
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
        Figure(
            "safety_of_advice",
            "Safety of advice",
            pct(m.safety_of_advice),
            f"of {m.exact_trials}",
            "at or above the single best urgency (symptomcheckR)",
        ),
        Figure(
            "comprehensiveness",
            "Comprehensiveness",
            pct(m.comprehensiveness),
            f"{m.trials - m.errors}/{n}",
            "trials with a judged answer (symptomcheckR)",
        ),
        Figure(
            "inclination_to_overtriage",
            "Inclination to over-triage",
            pct(m.inclination_to_overtriage),
            "",
            "of inexact answers, the share above the best urgency (symptomcheckR)",
        ),
    )


def evidence_of(guideline: GuidelineIndex) -> Callable[[CaseResult], tuple[ClaimEvidence, ...]]:
    """A function giving a trial's claims with our statements and their source excerpts.

    Each claim's evidence is built once per report and shared by every trial that
    cites it: thousands of trials cite the same few dozen claims.
    """
    by_claim: dict[str, ClaimEvidence] = {}
    by_claims: dict[tuple[str, ...], tuple[ClaimEvidence, ...]] = {}

    def claim_evidence(claim_id: str) -> ClaimEvidence:
        found = by_claim.get(claim_id)
        if found is None:
            found = by_claim[claim_id] = _claim_evidence(claim_id, guideline)
        return found

    def evidence(case: CaseResult) -> tuple[ClaimEvidence, ...]:
        found = by_claims.get(case.claims)
        if found is None:
            found = by_claims[case.claims] = tuple(claim_evidence(claim_id) for claim_id in case.claims)
        return found

    return evidence


def _claim_evidence(claim_id: str, guideline: GuidelineIndex) -> ClaimEvidence:
    claim = guideline.claims.get(claim_id)
    if claim is None:
        # The result may come from another guideline version: say so rather than drop it.
        return ClaimEvidence(claim_id, None, None, ())
    return ClaimEvidence(
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


def case_name(case: CaseResult, repeat: int) -> str:
    """The scenario id, with ``[repeat k/N]`` when the run repeated cases."""
    return f"{case.scenario_id} [repeat {case.repeat + 1}/{repeat}]" if repeat > 1 else case.scenario_id


def case_status(case: CaseResult) -> str:
    """``pass``, ``error``, ``safety failure`` or ``quality failure`` (the wording ``calfspec compare`` uses)."""
    return case_state(case).label


def first_line(text: str) -> str:
    """The first non-empty line of ``text``, for one-line listings."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def case_tag(case: CaseResult) -> str:
    """``safety``, ``quality``, ``error`` or ``pass``."""
    if case.verdict is Verdict.PASS:
        return "pass"
    if case.verdict is Verdict.ERROR:
        return "error"
    return "quality" if case_status(case) == "quality failure" else "safety"


def under_by(case: CaseResult) -> int:
    """Urgency levels below the expected minimum (0 unless the answer was an under-triage)."""
    if case.given is None or case.given >= case.expected_min:
        return 0
    return case.expected_min.rank - case.given.rank


def harm_key(case: CaseResult) -> tuple[int, int, int, int]:
    """Sort key, most harmful first: what a reviewer must read first.

    1. Safety failures, and among them an under-triaged emergency first, then
       the rest by how far below the range the answer was (a missing pathway or
       contraindicated advice without under-triage comes after every
       under-triage); then errors (no answer at all), then quality failures.
    2. Within a group, a higher expected minimum first.
    Python's sort is stable, so ties keep run order.
    """
    state = case_state(case)
    depth = under_by(case)
    emergency = 1 if depth and case.expected_min is Urgency.EMERGENCY else 0
    return (-int(state), -emergency, -depth, -case.expected_min.rank)


def _lines(case: CaseResult) -> tuple[DiffLine, ...]:
    if case.verdict is Verdict.ERROR:
        expected = range_label(case.expected_min, case.expected_max)
        return (DiffLine("error", "error", case.error or "no valid answer", expected, "(no answer)"),)
    # Safety lines first, under-triage first among them: a case headed "safety failure" leads with why.
    failures = sorted(case.failures, key=lambda f: (-f.severity.rank, f.kind is not FailureKind.UNDER_TRIAGE))
    return tuple(DiffLine(f.kind.value, f.severity.value, f.message, f.expected, f.given) for f in failures)


def _view(case: CaseResult, repeat: int, evidence: Callable[[CaseResult], tuple[ClaimEvidence, ...]]) -> CaseView:
    lines = _lines(case) if case.verdict is not Verdict.PASS else ()
    return CaseView(
        case,
        case_name(case, repeat),
        case_status(case),
        lines,
        evidence(case),
        case_tag(case),
        under_by(case),
    )


def build_view(run: RunResult, guideline: GuidelineIndex) -> ReportView:
    """Compute metrics (never trusting a stored copy) and everything the human reports show."""
    metrics, stats = metrics_and_stats(run)
    evidence = evidence_of(guideline)
    failing = sorted((c for c in run.cases if c.verdict is not Verdict.PASS), key=harm_key)
    views = tuple(_view(c, run.repeat, evidence) for c in failing)
    flaky = tuple(s for s in stats.values() if s.flaky)
    if not run.complete:
        status = "INCOMPLETE"
    elif metrics.failed_safety or metrics.errors or run.not_run:
        status = "FAILED"  # a case never sent was judged by nobody: not a clean run
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
    return ReportView(run, metrics, _figures(metrics), views, flaky, red_flags, other_rules, status, note, evidence)


def implementation_notes(run: RunResult) -> tuple[str, ...]:
    """Lines about how the answers were obtained: cases never sent, the self-reported name and version, the
    cache, tokens and cost."""
    out: list[str] = []
    if run.not_run:
        reasons = sorted({m.reason for m in run.not_run})
        out.append(
            f"NOT RUN: {len(run.not_run)} case(s) never sent, so nothing judged them: "
            + "; ".join(reasons[:3])
            + (f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else "")
        )
    info = run.implementation_info
    if info is None:
        return tuple(out)
    if info.name or info.version:
        out.append(f"self-reported: {info.name or '?'}" + (f" {info.version}" if info.version else ""))
    if info.cache is not None:
        served = info.cache_hits + info.cache_misses
        if info.cache_hits:
            out.append(
                f"CACHED RUN: {info.cache_hits} of {served} replies read from the cache {info.cache} "
                "(not asked again; delete the folder for fresh answers)"
            )
        else:
            out.append(f"cache: {info.cache} (no reply came from it; {info.cache_misses} stored)")
    u = info.usage
    if u is not None and u.requests:
        text = (
            f"tokens: {u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion = {u.total_tokens:,} "
            f"over {u.requests} request(s)"
        )
        if u.without_usage:
            text += f" ({u.without_usage} without a usage field)"
        if u.estimated_cost is not None:
            text += (
                f"; estimated cost ${u.estimated_cost:,.4f} at ${u.price_prompt:g} / ${u.price_completion:g} "
                "per million prompt / completion tokens"
            )
        out.append(text)
    return tuple(out)


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
