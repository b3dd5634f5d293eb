"""calfspec.invariants: derivation from guideline data, each relation's meaning, broken implementations caught."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from calfspec._internal.adapters import Implementation, load_implementation
from calfspec._internal.adapters.reference import ReferenceImplementation
from calfspec._internal.errors import InputError
from calfspec._internal.expressions import expr_findings
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.judge import judge
from calfspec._internal.models.triage import FindingState, Presentation, Sex, Side, TriageRequest
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.rules import Truth, evaluate
from calfspec.invariants import (
    Case,
    Conversation,
    Fuzzer,
    FuzzOptions,
    InvariantReport,
    Session,
    Violation,
    ViolationKind,
    check_invariant,
    counterexample_scenarios,
    derive_invariants,
    describe_presentation,
    select_invariants,
)
from calfspec.invariants._definitions import ExclusionBeforeSelfCare
from calfspec.strategies import witnesses
from tests.conftest import FIXTURES_DIR

GUIDELINE = load_guideline()
BROKEN = FIXTURES_DIR / "broken"
PatientAnswers = Callable[[str, Presentation], FindingState | Side]
RELATIONS = [
    "monotonicity",
    "laterality-symmetry",
    "irrelevant-details",
    "determinism",
    "exclusion-before-self-care",
    "routine-review-before-self-care",
    "open-red-flag-floor",
]


def broken(name: str) -> Implementation:
    return load_implementation(f"python:{BROKEN / name}.py:triage", GUIDELINE)


def run(impl: Implementation, names: list[str], *, examples: int = 200, seed: int = 0) -> dict[str, InvariantReport]:
    invariants = select_invariants(derive_invariants(GUIDELINE), names)
    with Fuzzer(impl, GUIDELINE, FuzzOptions(examples=examples, seed=seed, timeout=5)) as fuzzer:
        return {inv.name: fuzzer.check(inv) for inv in invariants}


# --- derivation ---------------------------------------------------------------------------


def test_one_invariant_per_red_flag_and_per_contraindication_then_the_relations() -> None:
    names = [inv.name for inv in derive_invariants(GUIDELINE)]
    red = [f"red-flag-{r.id}" for r in GUIDELINE.red_flags]
    contra = [f"contraindicated-{a.id}" for a in GUIDELINE.guideline.advice if a.contraindicated_when is not None]
    from calfspec._internal.perturb import load_battery

    perturbations = [f"perturb-{f.id}" for f in load_battery(GUIDELINE)[0].families]
    assert names == red + contra + RELATIONS + perturbations
    assert len(set(names)) == len(names)


def test_every_invariant_has_a_description_and_cites_known_claims() -> None:
    for inv in derive_invariants(GUIDELINE):
        assert inv.description
        assert set(inv.claims) <= set(GUIDELINE.claims), inv.name
        if inv.name.startswith("red-flag-"):
            assert inv.claims


NEW_RULE = """
  - id: test-only-fever-with-sudden-pain
    title: Fever with sudden severe calf pain (added by a test)
    kind: red_flag
    when:
      all:
        - finding: fever
        - finding: sudden_severe_pain
    urgency: emergency
    pathway: emergency-call-now
    contraindicates: [calf-stretching]
    claims: [infection-red-flag]
"""


def _with_extra_rule(guideline_copy: Path) -> GuidelineIndex:
    rules = guideline_copy / "rules.yaml"
    rules.write_text(rules.read_text() + NEW_RULE)
    return load_guideline(guideline_copy)


def test_a_red_flag_added_to_the_data_adds_its_invariant_without_code(guideline_copy: Path) -> None:
    extended = _with_extra_rule(guideline_copy)
    names = [inv.name for inv in derive_invariants(extended)]
    assert "red-flag-test-only-fever-with-sudden-pain" in names
    assert "red-flag-test-only-fever-with-sudden-pain" not in [inv.name for inv in derive_invariants(GUIDELINE)]


def test_the_added_invariant_catches_a_system_that_does_not_know_the_new_rule(guideline_copy: Path) -> None:
    extended = _with_extra_rule(guideline_copy)
    name = "red-flag-test-only-fever-with-sudden-pain"
    outdated = ReferenceImplementation(GUIDELINE)  # triages by the guideline without the new rule
    report = check_invariant(name, outdated, examples=100, guideline=extended)
    assert report.violation is not None
    assert report.violation.present_findings() == {"fever", "sudden_severe_pain"}
    assert check_invariant(name, ReferenceImplementation(extended), examples=100, guideline=extended).passed


def test_laterality_symmetry_is_not_derived_for_a_guideline_that_tests_left_or_right(guideline_copy: Path) -> None:
    rules = guideline_copy / "rules.yaml"
    rules.write_text(rules.read_text() + NEW_RULE.replace("- finding: sudden_severe_pain", "- side: left"))
    names = [inv.name for inv in derive_invariants(load_guideline(guideline_copy))]
    assert "laterality-symmetry" not in names
    assert "monotonicity" in names


def test_monotonicity_leaves_out_findings_a_rule_negates(guideline_copy: Path) -> None:
    rules = guideline_copy / "rules.yaml"
    negated = NEW_RULE.replace("- finding: sudden_severe_pain", "- not: {finding: leg_numb}")
    rules.write_text(rules.read_text() + negated)
    (mono,) = select_invariants(derive_invariants(load_guideline(guideline_copy)), ["monotonicity"])
    assert "leg_numb" not in mono.findings  # type: ignore[attr-defined]
    assert "fever" in mono.findings  # type: ignore[attr-defined]


def test_select_invariants_takes_names_and_globs_and_rejects_unknown_names() -> None:
    invariants = derive_invariants(GUIDELINE)
    assert [i.name for i in select_invariants(invariants, ["determinism"])] == ["determinism"]
    assert len(select_invariants(invariants, ["red-flag-*"])) == len(GUIDELINE.red_flags)
    assert select_invariants(invariants, ["nothing-*"]) == []
    with pytest.raises(InputError) as err:
        select_invariants(invariants, ["red-flags"])
    assert err.value.code == "unknown-invariant"
    assert "determinism" in (err.value.hint or "")


def test_check_invariant_rejects_an_unknown_name_listing_the_known_ones() -> None:
    with pytest.raises(InputError) as err:
        check_invariant("no-such-invariant", "reference", examples=1)
    assert "monotonicity" in (err.value.hint or "")


# --- broken implementations: caught, and shrunk to what the rule needs --------------------


def _is_a_witness(present: set[str], rule_id: str) -> bool:
    """The counterexample has exactly the findings present that one minimal witness of the rule needs."""
    return any(set(w.present) == present for w in witnesses(GUIDELINE.rules[rule_id]))


@pytest.mark.parametrize(
    ("module", "rule_id"),
    [
        ("ignores_side", "dvt-tender-one-sided-with-clot-risk"),
        ("forgets_lung_symptoms", "pe-breathlessness-chest-pain-haemoptysis"),
        ("stretches_for_clot", "dvt-swollen-warm-red-calf"),
    ],
)
def test_broken_implementation_is_caught_with_a_minimal_red_flag_counterexample(module: str, rule_id: str) -> None:
    report = run(broken(module), [f"red-flag-{rule_id}"])[f"red-flag-{rule_id}"]
    violation = report.violation
    assert violation is not None
    assert violation.kind is ViolationKind.VIOLATION
    (request,) = violation.case.requests
    assert evaluate(GUIDELINE.rules[rule_id].when, request) is Truth.TRUE
    assert _is_a_witness(violation.present_findings(), rule_id), violation.present_findings()


def test_stretching_for_a_clot_is_reported_as_contraindicated_advice() -> None:
    report = run(broken("stretches_for_clot"), ["red-flag-dvt-swollen-warm-red-calf"])
    violation = report["red-flag-dvt-swollen-warm-red-calf"].violation
    assert violation is not None
    assert violation.problems == ("gave contraindicated advice calf-stretching",)


def test_ignoring_laterality_is_shrunk_to_a_one_sided_tender_calf() -> None:
    name = "red-flag-dvt-tender-one-sided-with-clot-risk"
    violation = run(broken("ignores_side"), [name])[name].violation
    assert violation is not None
    (request,) = violation.case.requests
    assert request.side in (Side.LEFT, Side.RIGHT)
    # Blind to the side, it misses the clot flag: too low, or same-day care without the clot work-up.
    missed = {"under-triage: gave routine, needs at least urgent", "missing required pathway urgent-dvt-assessment"}
    assert missed & set(violation.problems), violation.problems


@pytest.mark.parametrize("module", ["unknown_as_absent", "always_self_care"])
def test_self_care_while_nothing_is_known_is_caught_with_no_finding_present(module: str) -> None:
    violation = run(broken(module), ["exclusion-before-self-care"])["exclusion-before-self-care"].violation
    assert violation is not None
    assert violation.present_findings() == set()
    assert any("was not asked about" in p for p in violation.problems)


def test_always_self_care_breaks_every_red_flag_within_200_examples() -> None:
    reports = run(broken("always_self_care"), ["red-flag-*"], examples=200)
    assert len(reports) == len(GUIDELINE.red_flags)
    for name, report in reports.items():
        assert report.violation is not None, name
        assert _is_a_witness(report.violation.present_findings(), name.removeprefix("red-flag-")), name


def test_random_answers_are_reported_as_nondeterministic_with_both_answers() -> None:
    reports = run(broken("random_answers"), ["determinism", "red-flag-pe-*"])
    det = reports["determinism"].violation
    assert det is not None
    assert det.kind is ViolationKind.NONDETERMINISTIC
    assert det.present_findings() == set()
    assert any(p.startswith("first answer: urgency") for p in det.problems)
    assert any(p.startswith("second answer: urgency") for p in det.problems)
    pe = reports["red-flag-pe-breathlessness-chest-pain-haemoptysis"].violation
    assert pe is not None
    assert _is_a_witness(pe.present_findings(), "pe-breathlessness-chest-pain-haemoptysis")


def test_an_exception_in_the_implementation_is_a_violation_of_kind_error_not_a_crash() -> None:
    violation = run(broken("crashes_on_fever"), ["determinism"])["determinism"].violation
    assert violation is not None
    assert violation.kind is ViolationKind.ERROR
    assert violation.present_findings() == {"fever"}
    assert "RuntimeError: temperature parser failed" in violation.problems[0]


def test_the_same_seed_gives_the_same_minimal_case_and_the_same_number_of_examples() -> None:
    first = run(broken("forgets_lung_symptoms"), ["exclusion-before-self-care"], seed=7)
    second = run(broken("forgets_lung_symptoms"), ["exclusion-before-self-care"], seed=7)
    a, b = first["exclusion-before-self-care"], second["exclusion-before-self-care"]
    assert a.examples == b.examples
    assert a.violation is not None and b.violation is not None
    assert a.violation.case == b.violation.case


# --- exclusion before self-care: precisely what is allowed --------------------------------


def asks_then_assumes_absent() -> Implementation:
    return broken("asks_then_assumes_absent")


def test_self_care_after_not_sure_is_a_violation_even_when_every_red_flag_finding_was_asked() -> None:
    # Audit D13: side and pregnancy known, the fixture asks about every open red-flag finding, the
    # patient is "not sure" about all of them, and the fixture reads that as "no".
    request = TriageRequest(side=Side.LEFT, sex=Sex.MALE, pregnant=FindingState.ABSENT)
    problems, conversation = _exclusion_conversation(
        asks_then_assumes_absent(), request, _patient({}, FindingState.UNKNOWN)
    )
    assert conversation.decision.urgency is Urgency.SELF_CARE
    red_flag_findings = {f for rule in GUIDELINE.red_flags for f in expr_findings(rule.when)}
    assert conversation.answers == dict.fromkeys(red_flag_findings, FindingState.UNKNOWN)
    assert len(problems) == len(GUIDELINE.red_flags)
    assert all("is not excluded and the patient was not sure about (" in p for p in problems), problems
    assert not any("not asked" in p for p in problems)


def test_the_fuzzer_finds_the_not_sure_read_as_no_fixture() -> None:
    reports = run(asks_then_assumes_absent(), ["exclusion-before-self-care", "open-red-flag-floor"])
    for name, report in reports.items():
        assert report.violation is not None, name
    exclusion = reports["exclusion-before-self-care"].violation
    assert exclusion is not None
    assert any("not sure about" in p for p in exclusion.problems), exclusion.problems


def test_self_care_while_a_routine_review_rule_holds_is_caught() -> None:
    report = run(broken("always_self_care"), ["routine-review-before-self-care"])["routine-review-before-self-care"]
    assert report.violation is not None
    (problem,) = report.violation.problems
    assert problem.startswith("self_care although routine-review rule ") and "needs at least routine" in problem
    (request,) = report.violation.case.requests
    routine = [r for r in GUIDELINE.guideline.rules if r.kind.value == "routine_review"]
    assert any(evaluate(r.when, request) is Truth.TRUE for r in routine)


def test_an_answer_below_the_open_red_flag_floor_is_caught_with_the_floor_reasons() -> None:
    report = run(broken("always_self_care"), ["open-red-flag-floor"])["open-red-flag-floor"]
    assert report.violation is not None
    (problem,) = report.violation.problems
    assert problem.startswith("urgency self_care is below the policy floor ")


def _patient(answers: Mapping[str, FindingState | Side], default: FindingState) -> PatientAnswers:
    return lambda question, _: answers.get(question, default)


def _exclusion_conversation(
    impl: Implementation, request: TriageRequest, patient: PatientAnswers
) -> tuple[list[str], Conversation]:
    (inv,) = select_invariants(derive_invariants(GUIDELINE), ["exclusion-before-self-care"])
    assert isinstance(inv, ExclusionBeforeSelfCare)

    async def go() -> tuple[list[str], Conversation]:
        await impl.start()
        try:
            session = Session(impl, GUIDELINE, timeout=5, max_rounds=3, draw_answer=patient)
            problems = await inv.check(Case((request,)), session)
            return problems, session.conversations[-1]
        finally:
            await impl.close()

    return asyncio.run(go())


def _exclusion_problems(impl: Implementation, request: TriageRequest, answer: FindingState) -> list[str]:
    return _exclusion_conversation(impl, request, _patient({}, answer))[0]


def _tender_calf(*, risk: str | None = None, **fields: str) -> TriageRequest:
    """A tender calf with every other finding excluded but ``risk``: the one-sided clot flag turns on the rest."""
    findings = dict.fromkeys(GUIDELINE.findings, FindingState.ABSENT)
    findings["calf_tenderness"] = FindingState.PRESENT
    if risk is not None:
        findings[risk] = FindingState.PRESENT
    return TriageRequest.model_validate({"findings": findings, **fields})


def test_self_care_without_asking_the_side_is_caught_when_only_the_side_is_open() -> None:
    # A long journey is not one of the strong risk factors for which the side does not matter.
    request = _tender_calf(risk="long_travel", side="unknown", pregnant="absent")
    problems = _exclusion_problems(broken("always_self_care"), request, FindingState.UNKNOWN)
    assert problems == [
        "self_care although red flag dvt-tender-one-sided-with-clot-risk is not excluded and was not asked about (side)"
    ]


def test_self_care_without_asking_about_pregnancy_is_caught_when_only_pregnancy_is_open() -> None:
    # An obvious muscle injury, so only a clot risk factor (here: pregnancy) can still make the flag true.
    request = _tender_calf(risk="obvious_muscle_injury", side="left", sex="female", pregnant="unknown")
    problems = _exclusion_problems(broken("always_self_care"), request, FindingState.UNKNOWN)
    assert problems == [
        "self_care although red flag dvt-tender-one-sided-with-clot-risk is not excluded and was not asked "
        "about (pregnant)"
    ]


PREGNANCY_OPEN = {"risk": "obvious_muscle_injury", "side": "left", "sex": "female", "pregnant": "unknown"}


@pytest.mark.parametrize(
    ("fields", "answers", "urgency"),
    [
        # A long journey counts only for a one-sided tender calf; with an obvious muscle injury,
        # only a clot risk factor such as pregnancy makes it the flag.
        ({"risk": "long_travel", "side": "unknown", "pregnant": "absent"}, {"side": Side.RIGHT}, "urgent"),
        ({"risk": "long_travel", "side": "unknown", "pregnant": "absent"}, {"side": Side.BOTH}, "self_care"),
        (PREGNANCY_OPEN, {"pregnant": FindingState.PRESENT}, "urgent"),
        (PREGNANCY_OPEN, {"pregnant": FindingState.ABSENT}, "self_care"),
        # "Not sure" leaves the clot flag open with its own finding (the tender calf) present: the
        # open-red-flag floor makes that same-day care.
        (PREGNANCY_OPEN, {"pregnant": FindingState.UNKNOWN}, "urgent"),
    ],
)
def test_the_simulated_patient_answers_questions_about_side_and_pregnancy(
    fields: dict[str, str], answers: dict[str, FindingState | Side], urgency: str
) -> None:
    # The reference asks about the side or pregnancy that keeps the one-sided clot flag open;
    # the answer is filled in, so the flag is settled (or, after "not sure", still undetermined).
    problems, conversation = _exclusion_conversation(
        ReferenceImplementation(GUIDELINE), _tender_calf(**fields), _patient(answers, FindingState.UNKNOWN)
    )
    assert problems == []
    assert conversation.answers == answers
    (question,) = answers
    assert conversation.exchanges[0].decision is not None
    assert question in conversation.exchanges[0].decision.questions
    final = conversation.final_request
    assert getattr(final, question) == answers[question]
    assert conversation.decision.urgency.value == urgency


def test_self_care_once_every_red_flag_is_answered_no_is_not_a_violation() -> None:
    assert _exclusion_problems(asks_then_assumes_absent(), TriageRequest(), FindingState.ABSENT) == []


# --- the reference, counterexamples as scenarios, clinical wording ------------------------


def test_the_reference_satisfies_the_relations() -> None:
    reports = run(ReferenceImplementation(GUIDELINE), RELATIONS, examples=100)
    assert {name: r.violation for name, r in reports.items()} == dict.fromkeys(RELATIONS)


def test_a_counterexample_becomes_a_draft_scenario_that_fails_the_implementation() -> None:
    name = "red-flag-dvt-swollen-warm-red-calf"
    (inv,) = select_invariants(derive_invariants(GUIDELINE), [name])
    violation = run(broken("always_self_care"), [name])[name].violation
    assert violation is not None
    (scenario,) = counterexample_scenarios(violation, inv, GUIDELINE, found_by="test")
    rule = GUIDELINE.rules["dvt-swollen-warm-red-calf"]
    assert scenario.id.startswith(f"fuzz-{name}-")
    assert scenario.status.value == "draft"
    assert scenario.tags == ("fuzz", name)
    assert scenario.expect.urgency.min is rule.urgency
    assert scenario.expect.pathways_required == (rule.pathway,)
    assert scenario.expect.advice_forbidden == rule.contraindicates
    assert scenario.expect.claims == rule.claims
    assert scenario.covers.red_flags == (rule.id,)
    assert name in (scenario.notes or "")
    decision = violation.conversations[0].decision
    assert judge(scenario.expect, decision, GUIDELINE).verdict.value == "fail"


def test_a_side_answer_becomes_reveal_on_ask_and_counts_in_the_scenario_expectations() -> None:
    # A long journey counts only for a one-sided tender calf, so the side decides.
    request = _tender_calf(risk="long_travel", side="unknown", pregnant="absent")
    _, conversation = _exclusion_conversation(
        ReferenceImplementation(GUIDELINE), request, _patient({"side": Side.RIGHT}, FindingState.UNKNOWN)
    )
    (inv,) = select_invariants(derive_invariants(GUIDELINE), ["exclusion-before-self-care"])
    violation = Violation(inv.name, ViolationKind.VIOLATION, ("stand-in problem",), Case((request,)), (conversation,))
    (scenario,) = counterexample_scenarios(violation, inv, GUIDELINE)
    assert scenario.presentation.side is Side.UNKNOWN
    assert scenario.reveal_on_ask == {"side": Side.RIGHT}
    # The whole truth has the right calf tender after a long journey: the one-sided clot flag holds.
    assert scenario.covers.red_flags == ("dvt-tender-one-sided-with-clot-risk",)
    assert scenario.expect.urgency.min is Urgency.URGENT


def test_counterexample_ids_fit_the_id_limit_for_long_rule_names() -> None:
    name = "red-flag-compartment-syndrome-pain-after-injury"
    (inv,) = select_invariants(derive_invariants(GUIDELINE), [name])
    violation = run(broken("always_self_care"), [name])[name].violation
    assert violation is not None
    for scenario in counterexample_scenarios(violation, inv, GUIDELINE):
        assert len(scenario.id) <= 80


def test_presentations_are_described_in_clinical_words() -> None:
    request = TriageRequest(
        side=Side.LEFT,
        findings={"calf_swelling": FindingState.PRESENT, "fever": FindingState.ABSENT},
    )
    lines = describe_presentation(request, GUIDELINE)
    assert lines[0] == "age: unknown; sex: unknown; pregnant: unknown"
    assert lines[1].startswith("side: left calf; onset: unknown")
    assert "present: Swollen calf" in lines
    assert "absent: Fever" in lines
    assert "unknown: every other finding" in lines
