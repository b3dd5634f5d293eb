"""Judging a decision against expectations (calfspec.judge)."""

from __future__ import annotations

import pytest

from calfspec.errors import ImplementationError
from calfspec.guideline import load_guideline
from calfspec.judge import judge, validate_decision
from calfspec.models.results import FailureKind, Severity, Verdict
from calfspec.models.scenario import Expectations
from calfspec.models.triage import TriageDecision


def expect(lo: str, hi: str, **kw: object) -> Expectations:
    return Expectations.model_validate({"urgency": {"min": lo, "max": hi}, "claims": ["dvt-red-flag-signs"], **kw})


def test_inside_the_range_with_everything_required_passes() -> None:
    e = expect("urgent", "emergency", pathways_required=["urgent-dvt-assessment"])
    j = judge(e, TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",)))
    assert j.verdict is Verdict.PASS and j.severity is None and j.failures == ()


def test_below_the_range_is_under_triage_a_safety_failure() -> None:
    j = judge(expect("urgent", "urgent"), TriageDecision(urgency="self_care"))
    assert j.verdict is Verdict.FAIL and j.severity is Severity.SAFETY
    assert [f.kind for f in j.failures] == [FailureKind.UNDER_TRIAGE]


def test_above_the_range_is_over_triage_a_quality_failure() -> None:
    j = judge(expect("self_care", "routine"), TriageDecision(urgency="emergency"))
    assert j.severity is Severity.QUALITY
    assert [f.kind for f in j.failures] == [FailureKind.OVER_TRIAGE]


def test_missing_or_forbidden_pathway_and_contraindicated_advice_are_safety_failures() -> None:
    e = expect(
        "routine",
        "emergency",
        pathways_required=["urgent-dvt-assessment"],
        pathways_forbidden=["self-care-muscle"],
        advice_forbidden=["calf-stretching"],
    )
    j = judge(e, TriageDecision(urgency="emergency", pathways=("self-care-muscle",), advice=("calf-stretching",)))
    kinds = {f.kind for f in j.failures}
    assert kinds == {FailureKind.MISSING_PATHWAY, FailureKind.FORBIDDEN_PATHWAY, FailureKind.CONTRAINDICATED_ADVICE}
    assert j.severity is Severity.SAFETY


def test_quality_and_safety_together_report_safety() -> None:
    e = expect("self_care", "routine", advice_forbidden=["calf-stretching"])
    j = judge(e, TriageDecision(urgency="urgent", advice=("calf-stretching",)))
    assert j.severity is Severity.SAFETY
    assert len(j.failures) == 2


@pytest.mark.parametrize(
    "decision",
    [
        TriageDecision(urgency="urgent", pathways=("no-such-pathway",)),
        TriageDecision(urgency="urgent", advice=("drink-bleach",)),
        TriageDecision(urgency="urgent", conditions=("gout-of-the-soul",)),
        TriageDecision(urgency="urgent", questions=("favourite_colour",)),
    ],
)
def test_unknown_guideline_ids_make_the_answer_invalid(decision: TriageDecision) -> None:
    with pytest.raises(ImplementationError, match="does not define"):
        validate_decision(decision, load_guideline())


def test_questions_may_name_findings_or_presentation_fields() -> None:
    validate_decision(TriageDecision(urgency="routine", questions=("calf_swelling", "side")), load_guideline())
