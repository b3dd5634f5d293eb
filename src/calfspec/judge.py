"""Judge a decision against a scenario's expectations: pass, fail (safety or quality) or error.

* below the urgency range: **under-triage**, a safety failure;
* above it: **over-triage**, a quality failure;
* a required pathway missing, a forbidden pathway given, or contraindicated
  advice given: safety failures.

A decision that names ids the guideline does not know is not judged at all:
:func:`validate_decision` raises :class:`~calfspec.errors.ImplementationError`
and the case is an *error*, which is never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ImplementationError
from .guideline import GuidelineIndex
from .models.results import Failure, FailureKind, Severity, Verdict
from .models.scenario import Expectations
from .models.triage import TriageDecision

__all__ = ["QUESTION_FIELDS", "Judgement", "judge", "validate_decision"]

QUESTION_FIELDS = frozenset({"side", "pregnant", "age", "sex", "onset", "duration_days", "trigger"})
"""Non-finding fields a system may ask about in ``questions``."""


@dataclass(frozen=True)
class Judgement:
    """The verdict on one decision, with every unmet expectation."""

    verdict: Verdict
    severity: Severity | None
    failures: tuple[Failure, ...]


def validate_decision(decision: TriageDecision, guideline: GuidelineIndex) -> None:
    """Raise :class:`ImplementationError` if the decision names unknown guideline ids."""
    unknown: list[str] = []
    for field, known in (
        ("pathways", guideline.pathways),
        ("advice", guideline.advice),
        ("conditions", guideline.conditions),
    ):
        unknown.extend(f"{field}: {ref!r}" for ref in getattr(decision, field) if ref not in known)
    unknown.extend(
        f"questions: {q!r}" for q in decision.questions if q not in guideline.findings and q not in QUESTION_FIELDS
    )
    if unknown:
        raise ImplementationError(
            "decision names ids the guideline does not define: " + ", ".join(unknown),
            code="unknown-guideline-id",
            hint="use the pathway, advice, condition and finding ids from guideline/ (schemas list them)",
        )


def judge(expect: Expectations, decision: TriageDecision) -> Judgement:
    """Compare one decision with the expectations."""
    failures: list[Failure] = []
    rng = expect.urgency
    expected_range = rng.min.value if rng.min is rng.max else f"{rng.min.value}..{rng.max.value}"
    if decision.urgency < rng.min:
        failures.append(
            Failure(
                kind=FailureKind.UNDER_TRIAGE,
                severity=Severity.SAFETY,
                message=f"under-triage: gave {decision.urgency.value}, needs at least {rng.min.value}",
                expected=expected_range,
                given=decision.urgency.value,
            )
        )
    elif decision.urgency > rng.max:
        failures.append(
            Failure(
                kind=FailureKind.OVER_TRIAGE,
                severity=Severity.QUALITY,
                message=f"over-triage: gave {decision.urgency.value}, at most {rng.max.value} expected",
                expected=expected_range,
                given=decision.urgency.value,
            )
        )
    given_pathways = ", ".join(decision.pathways) or "(none)"
    for pw in expect.pathways_required:
        if pw not in decision.pathways:
            failures.append(
                Failure(
                    kind=FailureKind.MISSING_PATHWAY,
                    severity=Severity.SAFETY,
                    message=f"missing required pathway {pw}",
                    expected=pw,
                    given=given_pathways,
                )
            )
    for pw in expect.pathways_forbidden:
        if pw in decision.pathways:
            failures.append(
                Failure(
                    kind=FailureKind.FORBIDDEN_PATHWAY,
                    severity=Severity.SAFETY,
                    message=f"gave forbidden pathway {pw}",
                    expected=f"not {pw}",
                    given=given_pathways,
                )
            )
    for adv in expect.advice_forbidden:
        if adv in decision.advice:
            failures.append(
                Failure(
                    kind=FailureKind.CONTRAINDICATED_ADVICE,
                    severity=Severity.SAFETY,
                    message=f"gave contraindicated advice {adv}",
                    expected=f"not {adv}",
                    given=", ".join(decision.advice),
                )
            )
    if not failures:
        return Judgement(Verdict.PASS, None, ())
    severity = max((f.severity for f in failures), key=lambda s: s.rank)
    return Judgement(Verdict.FAIL, severity, tuple(failures))
