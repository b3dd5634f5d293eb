"""Judge a decision against a scenario's expectations: pass, fail (safety or quality) or error.

A *safety* failure means the patient was sent lower than safe or told something
harmful; over-caution is a *quality* failure. On the ordered urgency scale
(``self_care < routine < urgent < emergency``), with the expected range
``min..max``:

* urgency below ``min``: **under-triage**, safety; above ``max``:
  **over-triage**, quality.
* a required pathway is *met* by itself or by a given pathway that covers it
  (``covers:`` in guideline/pathways.yaml, transitively; see
  :func:`pathways_met`). An unmet one is a safety failure, except when the
  answer is above the range and the pathway is less urgent than the answer:
  then leaving it out is part of the over-triage, a quality failure (this is
  how an emergency answer that leaves out ``self-care-muscle`` is judged).
* a forbidden pathway given: safety when the pathway's own urgency is below
  ``min`` (it sends the patient lower than safe), quality otherwise.
* contraindicated advice given: safety. Required advice missing (e.g. the
  safety-net advice): quality, since the patient is still sent to the right
  place.

:func:`missing_pathway_severity` and :func:`forbidden_pathway_severity` are the
rule in one place; the runner, the invariants and docs/implementing.md use it.

A decision that names ids the guideline does not know is not judged at all:
:func:`validate_decision` raises :class:`~calfspec._internal.errors.ImplementationError`
and the case is an *error*, which is never a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ImplementationError
from .guideline import GuidelineIndex
from .models.results import Failure, FailureKind, Severity, Verdict
from .models.scenario import Expectations, UrgencyRange
from .models.triage import QUESTION_FIELDS, TriageDecision
from .models.urgency import Urgency
from .policy import canonical_decision

__all__ = [
    "QUESTION_FIELDS",
    "Judgement",
    "forbidden_pathway_severity",
    "judge",
    "missing_pathway_severity",
    "pathways_met",
    "validate_decision",
]


@dataclass(frozen=True)
class Judgement:
    """The verdict on one decision, with every unmet expectation."""

    verdict: Verdict
    severity: Severity | None
    failures: tuple[Failure, ...]


def validate_decision(decision: TriageDecision, guideline: GuidelineIndex) -> None:
    """Raise :class:`ImplementationError` if the decision names unknown guideline ids."""
    # A deprecated id (guideline/aliases.yaml) is still a known id: it is read as its
    # replacements (calfspec._internal.policy.canonical_decision) before the decision is judged.
    if _all_current(decision, guideline):
        return
    from ._suggest import nearest

    aliases = guideline.aliases

    def named(field: str, ref: str, known: Iterable[str]) -> str:
        close = nearest(ref, known, n=1)
        return f"{field}: {ref!r}" + (f" (did you mean {close[0]!r}?)" if close else "")

    unknown: list[str] = []
    for field, known in (
        ("pathways", guideline.pathways),
        ("advice", guideline.advice),
        ("conditions", guideline.conditions),
    ):
        unknown.extend(
            named(field, ref, known)
            for ref in getattr(decision, field)
            if ref not in known and (field, ref) not in aliases
        )
    unknown.extend(
        named("questions", q, [*guideline.findings, *QUESTION_FIELDS])
        for q in decision.questions
        if q not in guideline.findings and q not in QUESTION_FIELDS and ("findings", q) not in aliases
    )
    if unknown:
        raise ImplementationError(
            "decision names ids the guideline does not define: " + ", ".join(unknown),
            code="unknown-guideline-id",
            hint="use the pathway, advice, condition and finding ids from guideline/; `calfspec ids` lists them",
        )


def _all_current(decision: TriageDecision, guideline: GuidelineIndex) -> bool:
    """Whether every id of the decision is a current guideline id (the common case, checked first)."""
    findings = guideline.findings
    return (
        all(ref in guideline.pathways for ref in decision.pathways)
        and all(ref in guideline.advice for ref in decision.advice)
        and all(ref in guideline.conditions for ref in decision.conditions)
        and all(q in findings or q in QUESTION_FIELDS for q in decision.questions)
    )


def pathways_met(given: Iterable[str], guideline: GuidelineIndex) -> frozenset[str]:
    """Every pathway a decision giving ``given`` meets: the given ones and all they cover, transitively."""
    out: set[str] = set()
    covers = guideline.pathway_covers
    for pw in given:
        out.add(pw)
        out |= covers.get(pw, frozenset())
    return frozenset(out)


def _urgency_of(pathway: str, guideline: GuidelineIndex) -> Urgency | None:
    pw = guideline.pathways.get(pathway)
    return pw.urgency if pw is not None else None


def missing_pathway_severity(
    pathway: str, given_urgency: Urgency, expected: UrgencyRange, guideline: GuidelineIndex
) -> Severity:
    """How bad it is that a required ``pathway`` is neither given nor covered by a given one.

    Quality when the answer is above the range and the pathway is less urgent
    than the answer (the omission is part of the over-triage); safety otherwise.
    A pathway the guideline does not know is treated as the cautious case, safety.
    """
    urgency = _urgency_of(pathway, guideline)
    if given_urgency > expected.max and urgency is not None and urgency < given_urgency:
        return Severity.QUALITY
    return Severity.SAFETY


def forbidden_pathway_severity(pathway: str, expected: UrgencyRange, guideline: GuidelineIndex) -> Severity:
    """How bad it is that a forbidden ``pathway`` was given: safety when it sends the patient below ``min``.

    A pathway the guideline does not know is treated as the cautious case, safety.
    """
    urgency = _urgency_of(pathway, guideline)
    if urgency is not None and urgency >= expected.min:
        return Severity.QUALITY
    return Severity.SAFETY


def judge(expect: Expectations, decision: TriageDecision, guideline: GuidelineIndex) -> Judgement:
    """Compare one decision with the expectations (``guideline`` supplies pathway urgencies and covering).

    Deprecated ids in the decision are read as their replacements first, so an old advice id
    is judged as the advice it now names.
    """
    decision = canonical_decision(guideline, decision)
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
    met = pathways_met(decision.pathways, guideline)
    for pw in expect.pathways_required:
        if pw in met:
            continue
        severity = missing_pathway_severity(pw, decision.urgency, rng, guideline)
        why = " (part of the over-triage)" if severity is Severity.QUALITY else ""
        failures.append(
            Failure(
                kind=FailureKind.MISSING_PATHWAY,
                severity=severity,
                message=f"missing required pathway {pw}{why}",
                expected=pw,
                given=given_pathways,
            )
        )
    for pw in expect.pathways_forbidden:
        if pw in decision.pathways:
            severity = forbidden_pathway_severity(pw, rng, guideline)
            why = f" (sends the patient below {rng.min.value})" if severity is Severity.SAFETY else ""
            failures.append(
                Failure(
                    kind=FailureKind.FORBIDDEN_PATHWAY,
                    severity=severity,
                    message=f"gave forbidden pathway {pw}{why}",
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
    for adv in expect.advice_required:
        if adv not in decision.advice:
            failures.append(
                Failure(
                    kind=FailureKind.MISSING_ADVICE,
                    severity=Severity.QUALITY,
                    message=f"missing required advice {adv}",
                    expected=adv,
                    given=", ".join(decision.advice) or "(none)",
                )
            )
    if not failures:
        return Judgement(Verdict.PASS, None, ())
    severity = max((f.severity for f in failures), key=lambda s: s.rank)
    return Judgement(Verdict.FAIL, severity, tuple(failures))
