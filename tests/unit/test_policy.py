"""The combination policy (calfspec._internal.policy): urgency floors for open red flags, advice withheld
by construction, derived findings and deprecated aliases. Audit defects D04, D06, D09, D10, D18,
D24, D26, D30, D31."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calfspec._internal.expressions import expr_findings
from calfspec._internal.guideline import GuidelineIndex, data_dir, load_guideline
from calfspec._internal.models.guideline import AdviceKind
from calfspec._internal.models.triage import FindingState, Onset, Sex, Side, TriageDecision, TriageRequest
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.policy import (
    canonical_decision,
    canonical_presentation,
    rule_contraindications,
    urgency_floor,
    withheld_advice,
)
from calfspec._internal.reference import reference_triage

P, A = FindingState.PRESENT, FindingState.ABSENT


@pytest.fixture(scope="module")
def g() -> GuidelineIndex:
    return load_guideline()


def red_flag_findings(g: GuidelineIndex) -> set[str]:
    return {f for r in g.red_flags for f in expr_findings(r.when)}


def clear_except(g: GuidelineIndex, unknown: set[str], **extra: FindingState) -> TriageRequest:
    findings = {f: A for f in red_flag_findings(g) if f not in unknown}
    findings.update(extra)
    return TriageRequest(side=Side.LEFT, pregnant=A, findings=findings)


def emergency_findings(g: GuidelineIndex, rule_id: str) -> set[str]:
    return set(expr_findings(g.rules[rule_id].when))


def test_an_open_emergency_flag_is_same_day_while_its_questions_are_asked(g: GuidelineIndex) -> None:
    """Audit P8: lung symptoms unknown, everything else absent, was routine ("days or weeks")."""
    lung = emergency_findings(g, "pe-breathlessness-chest-pain-haemoptysis")
    d = reference_triage(clear_except(g, lung), g)
    assert d.urgency is Urgency.URGENT
    assert "urgent-same-day-assessment" in d.pathways
    assert lung <= set(d.questions)
    floor = urgency_floor(g, canonical_presentation(g, clear_except(g, lung)))
    assert floor.tiers == ("open-emergency-flag",)
    assert "open-emergency-flag-same-day" in floor.claims


def test_an_open_urgent_flag_with_nothing_pointing_to_it_stays_routine(g: GuidelineIndex) -> None:
    d = reference_triage(clear_except(g, {"calf_swelling"}, obvious_muscle_injury=P), g)
    assert d.urgency is Urgency.ROUTINE
    assert g.meta.policy.unresolved_pathway in d.pathways
    assert d.questions == ("calf_swelling",)


def test_an_open_flag_with_one_of_its_own_findings_present_is_same_day(g: GuidelineIndex) -> None:
    """Audit P34: sudden severe pain with the pop and walking not yet known was routine."""
    # pop_or_snap and difficulty_walking were split in protocol 1.1 (aliases.yaml).
    parts = {"heard_or_felt_pop", "felt_struck", "walking_difficulty", "push_off_difficulty"}
    req = clear_except(g, parts, sudden_severe_pain=P)
    d = reference_triage(req, g)
    assert d.urgency is Urgency.URGENT
    assert parts <= set(d.questions)


def test_an_open_flag_with_a_listed_risk_factor_present_is_same_day(g: GuidelineIndex) -> None:
    """Tenderness not yet known after surgery (a risk factor the tender-calf flag lists)."""
    req = clear_except(g, {"calf_tenderness"}, recent_surgery=P)
    assert reference_triage(req, g).urgency is Urgency.URGENT


def test_a_risk_factor_of_a_condition_that_the_rule_does_not_list_does_not_raise_the_floor(
    g: GuidelineIndex,
) -> None:
    """Running is a risk factor of an Achilles rupture, but not part of any red flag's condition."""
    req = clear_except(g, {"pain_low_calf_near_heel", "heard_or_felt_pop", "felt_struck"}, runner_or_sport=P)
    assert reference_triage(req, g).urgency is Urgency.ROUTINE


def test_a_flag_already_holding_is_not_lowered_or_duplicated_by_the_tiers(g: GuidelineIndex) -> None:
    """Numb (urgent) with cold and pale unknown: urgent via the numbness pathway, cold and pale asked."""
    req = clear_except(g, {"leg_cold", "leg_pale"}, leg_numb=P)
    d = reference_triage(req, g)
    assert d.urgency is Urgency.URGENT
    assert d.pathways[0] == g.rules["numb-lower-leg"].pathway
    assert {"leg_cold", "leg_pale"} <= set(d.questions)


def test_the_tiers_are_data_a_guideline_without_them_keeps_the_routine_floor(g: GuidelineIndex, tmp_path: Path) -> None:
    root = tmp_path / "guideline"
    shutil.copytree(data_dir("guideline"), root)
    meta = root / "guideline.yaml"
    text = meta.read_text(encoding="utf-8")
    start = text.index("    open_red_flag_tiers:")
    end = text.index("    # Advice kinds")
    meta.write_text(text[:start] + text[end:], encoding="utf-8")
    bare = load_guideline(root)
    lung = emergency_findings(bare, "pe-breathlessness-chest-pain-haemoptysis")
    assert reference_triage(clear_except(bare, lung), bare).urgency is Urgency.ROUTINE


# --- advice safe by construction -------------------------------------------------------------


def test_every_red_flag_withholds_every_self_care_training_prevention_and_treatment_item(
    g: GuidelineIndex,
) -> None:
    kinds = set(g.meta.policy.red_flags_withhold)
    assert {AdviceKind.SELF_CARE, AdviceKind.PREVENTION, AdviceKind.TREATMENT} <= kinds
    for rule in g.red_flags:
        allowed = {a.advice for a in rule.allows_advice}
        withheld = set(rule_contraindications(g, rule))
        for item in g.guideline.advice:
            if item.kind in kinds and item.id not in allowed:
                assert item.id in withheld, (rule.id, item.id)


def test_a_new_advice_item_is_withheld_by_every_red_flag_without_listing_it(tmp_path: Path) -> None:
    """D10's class of defect: an item no rule lists must still not reach a red-flag patient."""
    root = tmp_path / "guideline"
    shutil.copytree(data_dir("guideline"), root)
    (root / "extra.yaml").write_text(
        "advice:\n"
        "  - id: brisk-walk\n"
        "    title: A brisk walk\n"
        "    kind: prevention\n"
        "    statement: Walk briskly every day.\n"
        "    indicated_when: {finding: long_travel}\n"
        "    claims: [exclude-red-flags-first]\n",
        encoding="utf-8",
    )
    g2 = load_guideline(root)
    for rule in g2.red_flags:
        assert "brisk-walk" in rule_contraindications(g2, rule), rule.id
    req = clear_except(g2, set(), long_travel=P, leg_pale=P)
    assert "brisk-walk" in withheld_advice(g2, canonical_presentation(g2, req))
    assert "brisk-walk" not in reference_triage(req, g2).advice


def test_advice_is_withheld_while_a_red_flag_might_hold(g: GuidelineIndex) -> None:
    req = TriageRequest(findings={"cramp_episode": P})
    withheld = withheld_advice(g, canonical_presentation(g, req))
    assert "calf-stretching" in withheld
    assert "calf-stretching" not in reference_triage(req, g).advice


def test_advice_is_scoped_to_the_pathways_given(g: GuidelineIndex) -> None:
    """D30 (audit P14): a claudicant with a strain got compression, elevation and ice on a routine pathway."""
    req = clear_except(g, set(), pain_on_walking_distance=P, eases_with_rest=P, obvious_muscle_injury=P)
    d = reference_triage(req, g)
    assert d.urgency is Urgency.ROUTINE
    listed = {a for p in d.pathways for a in g.pathways[p].advice}
    for item in d.advice:
        assert item in listed or g.advice[item].kind is AdviceKind.SAFETY_NET, item
    assert "rest-ice-compression-elevation" not in d.advice


# --- derived findings --------------------------------------------------------------------------


def test_age_settles_older_age_even_against_a_stated_absent(g: GuidelineIndex) -> None:
    """Audit P4: a 78-year-old with a tender one-sided calf and older_age absent got self-care."""
    req = clear_except(g, set(), calf_tenderness=P).model_copy(update={"age": 78})
    facts = canonical_presentation(g, req)
    assert facts.state("older_age") is P
    assert reference_triage(req, g).urgency is Urgency.URGENT


def test_a_younger_age_only_fills_an_unknown_older_age(g: GuidelineIndex) -> None:
    young = TriageRequest(age=40, findings={})
    assert canonical_presentation(g, young).state("older_age") is A
    stated = TriageRequest(age=40, findings={"older_age": P})
    assert canonical_presentation(g, stated).state("older_age") is P


def test_a_man_is_not_asked_whether_he_is_pregnant(g: GuidelineIndex) -> None:
    """Audit P3: a 30-year-old man, tender one-sided calf, every risk denied, was asked about pregnancy."""
    req = clear_except(g, set(), calf_tenderness=P).model_copy(
        update={"sex": Sex.MALE, "age": 30, "pregnant": FindingState.UNKNOWN}
    )
    d = reference_triage(req, g)
    assert "pregnant" not in d.questions
    assert canonical_presentation(g, req).pregnant is A


def test_an_unknown_field_derives_nothing(g: GuidelineIndex) -> None:
    req = TriageRequest(findings={"chest_pain": A}, onset=Onset.UNKNOWN)
    assert canonical_presentation(g, req) is req


# --- aliases ------------------------------------------------------------------------------------


def _with_alias(tmp_path: Path, body: str) -> GuidelineIndex:
    root = tmp_path / "guideline"
    shutil.copytree(data_dir("guideline"), root)
    (root / "zz-test-aliases.yaml").write_text(body, encoding="utf-8")
    return load_guideline(root)


def test_a_deprecated_compound_finding_reads_as_all_its_parts(tmp_path: Path) -> None:
    g2 = _with_alias(
        tmp_path,
        "aliases:\n"
        "  - id: old_lung_symptoms\n"
        "    replaced_by: [sudden_breathlessness, chest_pain]\n"
        '    deprecated_in: "1.1"\n'
        "    note: test alias\n",
    )
    req = TriageRequest(findings={"old_lung_symptoms": P, "chest_pain": A})
    facts = canonical_presentation(g2, req)
    assert "old_lung_symptoms" not in facts.findings
    assert facts.state("sudden_breathlessness") is P
    assert facts.state("chest_pain") is A  # a replacement stated explicitly wins
    assert reference_triage(req, g2).urgency is Urgency.EMERGENCY
    decision = TriageDecision(urgency=Urgency.URGENT, questions=("old_lung_symptoms",))
    assert canonical_decision(g2, decision).questions == ("sudden_breathlessness", "chest_pain")


def test_an_alias_that_is_still_a_current_id_is_refused(tmp_path: Path) -> None:
    from calfspec._internal.guideline import GuidelineInvalid

    with pytest.raises(GuidelineInvalid, match="alias 'chest_pain' is also a current"):
        _with_alias(
            tmp_path,
            'aliases:\n  - id: chest_pain\n    replaced_by: [coughing_blood]\n    deprecated_in: "1.1"\n    note: x\n',
        )


def test_a_bundled_deprecated_finding_in_a_request_reads_as_its_parts(g: GuidelineIndex) -> None:
    """pop_or_snap (protocol 1.0) reads as heard_or_felt_pop and felt_struck, same state."""
    assert ("findings", "pop_or_snap") in g.aliases
    facts = canonical_presentation(g, TriageRequest(findings={"pop_or_snap": P}))
    assert {f: facts.state(f) for f in g.aliases[("findings", "pop_or_snap")]} == dict.fromkeys(
        g.aliases[("findings", "pop_or_snap")], P
    )


def test_a_decision_naming_a_deprecated_question_is_valid_and_judged_in_new_terms(g: GuidelineIndex) -> None:
    from calfspec._internal.judge import validate_decision

    decision = TriageDecision(urgency=Urgency.URGENT, questions=("difficulty_walking",))
    validate_decision(decision, g)  # no ImplementationError: a 1.0 implementation may still ask it
    assert canonical_decision(g, decision).questions == g.aliases[("findings", "difficulty_walking")]
