"""Judging a decision against expectations (calfspec._internal.judge)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calfspec._internal.errors import ImplementationError
from calfspec._internal.guideline import GuidelineInvalid, data_dir, load_guideline
from calfspec._internal.judge import Judgement, judge, pathways_met, validate_decision
from calfspec._internal.models.results import FailureKind, Severity, Verdict
from calfspec._internal.models.scenario import Expectations
from calfspec._internal.models.triage import TriageDecision


def expect(lo: str, hi: str, **kw: object) -> Expectations:
    return Expectations.model_validate({"urgency": {"min": lo, "max": hi}, "claims": ["dvt-red-flag-signs"], **kw})


GUIDELINE = load_guideline()


def judged(e: Expectations, **decision: object) -> Judgement:
    return judge(e, TriageDecision.model_validate(decision), GUIDELINE)


def test_inside_the_range_with_everything_required_passes() -> None:
    e = expect("urgent", "emergency", pathways_required=["urgent-dvt-assessment"])
    j = judged(e, urgency="urgent", pathways=["urgent-dvt-assessment"])
    assert j.verdict is Verdict.PASS and j.severity is None and j.failures == ()


def test_below_the_range_is_under_triage_a_safety_failure() -> None:
    j = judged(expect("urgent", "urgent"), urgency="self_care")
    assert j.verdict is Verdict.FAIL and j.severity is Severity.SAFETY
    assert [f.kind for f in j.failures] == [FailureKind.UNDER_TRIAGE]


def test_above_the_range_is_over_triage_a_quality_failure() -> None:
    j = judged(expect("self_care", "routine"), urgency="emergency")
    assert j.severity is Severity.QUALITY
    assert [f.kind for f in j.failures] == [FailureKind.OVER_TRIAGE]


def test_a_missing_pathway_inside_the_range_is_a_safety_failure() -> None:
    j = judged(expect("urgent", "urgent", pathways_required=["urgent-tear-assessment"]), urgency="urgent")
    assert [(f.kind, f.severity) for f in j.failures] == [(FailureKind.MISSING_PATHWAY, Severity.SAFETY)]


def test_a_covering_pathway_meets_the_requirement() -> None:
    e = expect("urgent", "emergency", pathways_required=["urgent-dvt-assessment"])
    assert judged(e, urgency="emergency", pathways=["emergency-call-now"]).verdict is Verdict.PASS


def test_covering_is_transitive() -> None:
    # emergency-limb-threat covers urgent-same-day-assessment, which covers gp-review.
    e = expect("routine", "emergency", pathways_required=["gp-review", "red-flag-screen"])
    assert judged(e, urgency="emergency", pathways=["emergency-limb-threat"]).verdict is Verdict.PASS
    assert pathways_met(["emergency-limb-threat"], GUIDELINE) >= {"urgent-same-day-assessment", "gp-review"}


def test_a_pathway_for_another_concern_does_not_cover() -> None:
    # Same-day pathways for different concerns do not stand in for each other. (Every emergency
    # pathway covers every same-day one: an emergency decision lists only emergency pathways,
    # D31, claim emergency-covers-same-day.)
    e = expect("urgent", "emergency", pathways_required=["urgent-tear-assessment"])
    j = judged(e, urgency="urgent", pathways=["urgent-dvt-assessment"])
    assert [(f.kind, f.severity) for f in j.failures] == [(FailureKind.MISSING_PATHWAY, Severity.SAFETY)]


def test_covering_only_points_down_so_a_lower_pathway_never_meets_a_higher_one() -> None:
    e = expect("urgent", "emergency", pathways_required=["emergency-call-now"])
    j = judged(e, urgency="emergency", pathways=["urgent-dvt-assessment"])
    assert j.severity is Severity.SAFETY


def test_above_the_range_a_missing_lower_pathway_is_part_of_the_over_triage() -> None:
    # Everyone to emergency services: the benign strain's self-care pathway is left out.
    e = expect("self_care", "self_care", pathways_required=["self-care-muscle"])
    j = judged(e, urgency="emergency", pathways=["emergency-call-now", "emergency-limb-threat"])
    assert j.severity is Severity.QUALITY
    assert {(f.kind, f.severity) for f in j.failures} == {
        (FailureKind.OVER_TRIAGE, Severity.QUALITY),
        (FailureKind.MISSING_PATHWAY, Severity.QUALITY),
    }
    assert "over-triage" in j.failures[1].message


def test_a_cautious_routine_answer_to_a_benign_strain_is_only_a_quality_failure() -> None:
    e = expect("self_care", "self_care", pathways_required=["self-care-muscle"])
    j = judged(e, urgency="routine", pathways=["gp-review"])
    assert j.verdict is Verdict.FAIL and j.severity is Severity.QUALITY


def test_a_routine_answer_inside_the_range_must_still_carry_the_required_pathway() -> None:
    e = expect("self_care", "routine", pathways_required=["self-care-muscle"])
    assert judged(e, urgency="routine", pathways=["gp-review"]).severity is Severity.SAFETY


def test_a_forbidden_pathway_below_the_minimum_is_a_safety_failure() -> None:
    e = expect("urgent", "urgent", pathways_required=["urgent-dvt-assessment"], pathways_forbidden=["self-care-muscle"])
    j = judged(e, urgency="urgent", pathways=["urgent-dvt-assessment", "self-care-muscle"])
    assert [(f.kind, f.severity) for f in j.failures] == [(FailureKind.FORBIDDEN_PATHWAY, Severity.SAFETY)]
    assert "below urgent" in j.failures[0].message


def test_a_forbidden_pathway_at_or_above_the_minimum_is_a_quality_failure() -> None:
    e = expect("self_care", "routine", pathways_forbidden=["urgent-infection-assessment"])
    j = judged(e, urgency="routine", pathways=["urgent-infection-assessment"])
    assert [(f.kind, f.severity) for f in j.failures] == [(FailureKind.FORBIDDEN_PATHWAY, Severity.QUALITY)]


def test_contraindicated_advice_is_a_safety_failure_even_above_the_range() -> None:
    e = expect("routine", "routine", advice_forbidden=["calf-stretching"])
    j = judged(e, urgency="emergency", pathways=["emergency-call-now"], advice=["calf-stretching"])
    assert j.severity is Severity.SAFETY
    assert FailureKind.CONTRAINDICATED_ADVICE in {f.kind for f in j.failures}


def test_missing_required_advice_is_a_quality_failure() -> None:
    e = expect("self_care", "self_care", pathways_required=["self-care-muscle"], advice_required=["calf-stretching"])
    j = judged(e, urgency="self_care", pathways=["self-care-muscle"])
    assert [(f.kind, f.severity) for f in j.failures] == [(FailureKind.MISSING_ADVICE, Severity.QUALITY)]
    assert judged(e, urgency="self_care", pathways=["self-care-muscle"], advice=["calf-stretching"]).failures == ()


def test_advice_both_required_and_forbidden_is_an_impossible_expectation() -> None:
    with pytest.raises(ValueError, match="advice both required and forbidden"):
        expect("routine", "routine", advice_required=["calf-stretching"], advice_forbidden=["calf-stretching"])


def test_quality_and_safety_together_report_safety() -> None:
    e = expect("self_care", "routine", advice_forbidden=["calf-stretching"])
    j = judged(e, urgency="urgent", advice=["calf-stretching"])
    assert j.severity is Severity.SAFETY
    assert len(j.failures) == 2


def _guideline_copy(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "guideline"
    shutil.copytree(data_dir("guideline"), root)
    path = root / "pathways.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def test_covering_a_pathway_of_the_same_or_higher_urgency_is_refused_with_its_position(tmp_path: Path) -> None:
    root = _guideline_copy(tmp_path, "covers: [", "covers: [emergency-limb-threat, ")
    with pytest.raises(GuidelineInvalid) as info:
        load_guideline(root)
    (problem,) = info.value.problems
    assert problem.code == "pathway-covers-not-lower"
    assert problem.path is not None and problem.path.endswith("pathways.yaml") and problem.line is not None


def test_covering_an_unknown_pathway_is_refused(tmp_path: Path) -> None:
    root = _guideline_copy(tmp_path, "covers: [", "covers: [urgent-dvt-assesment, ")
    with pytest.raises(GuidelineInvalid, match="urgent-dvt-assesment"):
        load_guideline(root)


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
