"""Properties of calfspec.strategies: valid requests, and witnesses that really force a truth value."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf, PregnantIs, SideIs, SideTest
from calfspec._internal.models.triage import FindingState, Presentation, Sex, Side, TriageRequest
from calfspec._internal.rules import Truth, evaluate
from calfspec.strategies import (
    falsifying,
    narrative_for,
    patient_answers,
    requests,
    satisfying,
    swap_laterality,
    witnesses,
)
from tests.conftest import SCHEMAS_DIR

GUIDELINE = load_guideline()
REQUEST_SCHEMA = Draft202012Validator(json.loads((SCHEMAS_DIR / "triage-request.schema.json").read_text()))
RULES = list(GUIDELINE.guideline.rules)
CONTRAINDICATIONS = [a for a in GUIDELINE.guideline.advice if a.contraindicated_when is not None]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid(request: TriageRequest, guideline: GuidelineIndex = GUIDELINE) -> None:
    REQUEST_SCHEMA.validate(request.model_dump(mode="json"))
    assert TriageRequest.model_validate_json(request.model_dump_json()) == request
    assert set(request.findings) <= set(guideline.findings)
    if request.pregnant is FindingState.PRESENT:
        assert request.sex is not Sex.MALE


@FAST
@given(requests(GUIDELINE))
def test_requests_are_schema_valid_and_use_only_the_vocabulary(request: TriageRequest) -> None:
    _valid(request)


def test_requests_mix_present_absent_unknown_and_left_out_findings() -> None:
    seen: set[object] = set()

    @settings(max_examples=200, deadline=None)
    @given(requests(GUIDELINE))
    def collect(request: TriageRequest) -> None:
        seen.update(request.findings.values())
        if len(request.findings) < len(GUIDELINE.findings):
            seen.add("left out")

    collect()
    assert seen == {FindingState.PRESENT, FindingState.ABSENT, FindingState.UNKNOWN, "left out"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
@pytest.mark.parametrize("want", [True, False], ids=["satisfying", "falsifying"])
def test_drawn_requests_always_give_the_rule_the_wanted_value(rule: object, want: bool) -> None:
    strategy = satisfying(rule, GUIDELINE) if want else falsifying(rule, GUIDELINE)  # type: ignore[arg-type]

    @FAST
    @given(strategy)
    def check(request: TriageRequest) -> None:
        _valid(request)
        assert evaluate(rule.when, request) is (Truth.TRUE if want else Truth.FALSE)  # type: ignore[attr-defined]

    check()


@pytest.mark.parametrize("advice", CONTRAINDICATIONS, ids=lambda a: a.id)
def test_satisfying_works_on_any_condition_not_only_rules(advice: object) -> None:
    expr = advice.contraindicated_when  # type: ignore[attr-defined]

    @FAST
    @given(satisfying(expr, GUIDELINE), falsifying(expr, GUIDELINE))
    def check(yes: TriageRequest, no: TriageRequest) -> None:
        assert evaluate(expr, yes) is Truth.TRUE
        assert evaluate(expr, no) is Truth.FALSE

    check()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
@pytest.mark.parametrize("want", [True, False])
def test_every_witness_is_minimal(rule: object, want: bool) -> None:
    """Each witness alone forces the value; dropping any one of its facts no longer does."""
    target = Truth.TRUE if want else Truth.FALSE
    for w in witnesses(rule, want):  # type: ignore[arg-type]
        sides = sorted(w.sides) if w.sides is not None else [Side.UNKNOWN]
        base = Presentation(findings=w.finding_map, side=sides[0], pregnant=w.pregnant or FindingState.UNKNOWN)
        assert evaluate(rule.when, base) is target  # type: ignore[attr-defined]
        for fid in w.finding_map:
            weaker = base.model_copy(update={"findings": {k: v for k, v in w.finding_map.items() if k != fid}})
            assert evaluate(rule.when, weaker) is not target, (w, fid)  # type: ignore[attr-defined]
        if w.sides is not None:
            assert evaluate(rule.when, base.model_copy(update={"side": Side.UNKNOWN})) is not target  # type: ignore[attr-defined]
        if w.pregnant is not None:
            unknown = base.model_copy(update={"pregnant": FindingState.UNKNOWN})
            assert evaluate(rule.when, unknown) is not target  # type: ignore[attr-defined]


# --- arbitrary conditions over a tiny vocabulary, checked against brute force -------------

TINY = ["calf_swelling", "fever", "leg_numb"]


def exprs() -> st.SearchStrategy[Expr]:
    leaves = st.one_of(
        st.sampled_from(TINY).map(lambda f: FindingIs(finding=f)),
        st.sampled_from(list(SideTest)).map(lambda s: SideIs(side=s)),
        st.booleans().map(lambda p: PregnantIs(pregnant=p)),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(all=tuple(xs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(any=tuple(xs))),
            inner.map(lambda x: NotOf.model_validate({"not": x})),
        ),
        max_leaves=7,
    )


def _every_presentation() -> list[Presentation]:
    out = []
    for states in itertools.product(list(FindingState), repeat=len(TINY)):
        for side in Side:
            for pregnant in FindingState:
                out.append(Presentation(findings=dict(zip(TINY, states, strict=True)), side=side, pregnant=pregnant))
    return out


ALL = _every_presentation()


@settings(max_examples=150, deadline=None)
@given(exprs(), st.booleans())
def test_witnesses_exist_exactly_when_some_presentation_reaches_the_value(expr: Expr, want: bool) -> None:
    target = Truth.TRUE if want else Truth.FALSE
    reachable = any(evaluate(expr, p) is target for p in ALL)
    assert bool(witnesses(expr, want)) == reachable


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs(), st.booleans(), st.data())
def test_drawn_presentations_reach_the_value_for_arbitrary_conditions(
    expr: Expr, want: bool, data: st.DataObject
) -> None:
    if not witnesses(expr, want):
        return  # unreachable: covered by the test above
    strategy = satisfying(expr, GUIDELINE) if want else falsifying(expr, GUIDELINE)
    request = data.draw(strategy)
    _valid(request)
    assert evaluate(expr, request) is (Truth.TRUE if want else Truth.FALSE)


# --- narratives and laterality ------------------------------------------------------------


@FAST
@given(requests(GUIDELINE, side=(Side.LEFT, Side.RIGHT), narrative=True))
def test_swapping_laterality_twice_is_the_identity(request: TriageRequest) -> None:
    mirror = swap_laterality(request)
    assert mirror.side is not request.side
    assert swap_laterality(mirror) == request
    assert mirror.narrative is not None
    assert mirror.narrative == narrative_for(mirror.model_copy(update={"narrative": None}), GUIDELINE)


@FAST
@given(requests(GUIDELINE, narrative=True))
def test_narratives_name_every_present_finding_by_its_label(request: TriageRequest) -> None:
    assert request.narrative is not None
    text = request.narrative.lower()
    for fid, state in request.findings.items():
        if state is FindingState.PRESENT:
            assert GUIDELINE.findings[fid].label.lower() in text


@FAST
@given(data=st.data(), request=requests(GUIDELINE))
def test_patient_answers_fit_the_question_and_the_presentation(data: st.DataObject, request: TriageRequest) -> None:
    question = data.draw(st.sampled_from(("side", "pregnant", *GUIDELINE.findings)))
    answer = data.draw(patient_answers(question, request))
    if question == "side":
        assert answer in (Side.LEFT, Side.RIGHT, Side.BOTH)
        return
    assert isinstance(answer, FindingState)
    if question == "pregnant" and answer is FindingState.PRESENT:
        assert request.sex is not Sex.MALE
        assert request.age is None or 16 <= request.age <= 50
        # The answered presentation is one `requests` itself could have drawn.
        _valid(request.model_copy(update={"pregnant": answer}))


def test_patient_answers_reach_every_answer_a_patient_could_give() -> None:
    woman = TriageRequest(sex=Sex.FEMALE, age=30)
    man = TriageRequest(sex=Sex.MALE, age=30)
    older = TriageRequest(sex=Sex.FEMALE, age=70)

    def reachable(question: str, request: TriageRequest) -> set[object]:
        found: set[object] = set()

        @settings(max_examples=50, deadline=None, database=None)
        @given(patient_answers(question, request))
        def collect(answer: object) -> None:
            found.add(answer)

        collect()
        return found

    assert reachable("side", woman) == {Side.LEFT, Side.RIGHT, Side.BOTH}
    assert reachable("pregnant", woman) == set(FindingState)
    assert reachable("pregnant", man) == {FindingState.UNKNOWN, FindingState.ABSENT}
    assert reachable("pregnant", older) == {FindingState.UNKNOWN, FindingState.ABSENT}
    assert reachable("fever", man) == set(FindingState)
