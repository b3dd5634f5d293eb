"""Three-valued evaluation of rule conditions (calfspec._internal.rules)."""

from __future__ import annotations

import pytest

from calfspec._internal.models.guideline import AllOf, AnyOf, FindingIs, NotOf, PregnantIs, SideIs, SideTest
from calfspec._internal.models.triage import FindingState, Presentation, Side
from calfspec._internal.rules import Truth, evaluate, undetermined_findings

P, A, U = FindingState.PRESENT, FindingState.ABSENT, FindingState.UNKNOWN
T, F, N = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def pres(side: Side = Side.UNKNOWN, pregnant: FindingState = U, **findings: FindingState) -> Presentation:
    return Presentation(side=side, pregnant=pregnant, findings=findings)


@pytest.mark.parametrize(("state", "truth"), [(P, T), (A, F), (U, N)])
def test_a_finding_is_true_false_or_undetermined_and_missing_means_unknown(state: FindingState, truth: Truth) -> None:
    assert evaluate(FindingIs(finding="x"), pres(x=state)) is truth
    assert evaluate(FindingIs(finding="x"), pres()) is N


@pytest.mark.parametrize(
    ("a", "b", "conj", "disj"),
    [
        (P, P, T, T),
        (P, A, F, T),
        (P, U, N, T),
        (A, A, F, F),
        (A, U, F, N),
        (U, U, N, N),
    ],
)
def test_all_and_any_follow_kleene_truth_tables(a: FindingState, b: FindingState, conj: Truth, disj: Truth) -> None:
    parts = (FindingIs(finding="a"), FindingIs(finding="b"))
    assert evaluate(AllOf(all=parts), pres(a=a, b=b)) is conj
    assert evaluate(AnyOf(any=parts), pres(a=a, b=b)) is disj


def test_not_of_unknown_stays_unknown_so_unknown_is_never_read_as_absent() -> None:
    expr = NotOf.model_validate({"not": {"finding": "x"}})
    assert evaluate(expr, pres(x=U)) is N
    assert evaluate(expr, pres(x=A)) is T
    assert evaluate(expr, pres(x=P)) is F


@pytest.mark.parametrize(
    ("test", "side", "truth"),
    [
        (SideTest.ONE_SIDED, Side.LEFT, T),
        (SideTest.ONE_SIDED, Side.RIGHT, T),
        (SideTest.ONE_SIDED, Side.BOTH, F),
        (SideTest.ONE_SIDED, Side.UNKNOWN, N),
        (SideTest.BILATERAL, Side.BOTH, T),
        (SideTest.BILATERAL, Side.LEFT, F),
        (SideTest.LEFT, Side.LEFT, T),
        (SideTest.LEFT, Side.BOTH, T),
        (SideTest.LEFT, Side.RIGHT, F),
        (SideTest.RIGHT, Side.UNKNOWN, N),
    ],
)
def test_side_tests(test: SideTest, side: Side, truth: Truth) -> None:
    assert evaluate(SideIs(side=test), pres(side=side)) is truth


def test_pregnancy_test_is_three_valued() -> None:
    assert evaluate(PregnantIs(pregnant=True), pres(pregnant=P)) is T
    assert evaluate(PregnantIs(pregnant=True), pres(pregnant=U)) is N
    assert evaluate(PregnantIs(pregnant=False), pres(pregnant=A)) is T


def test_undetermined_findings_lists_only_unknowns_that_could_settle_the_condition() -> None:
    expr = AnyOf(
        any=(
            AllOf(all=(FindingIs(finding="a"), FindingIs(finding="b"))),  # false already: a absent
            FindingIs(finding="c"),
            FindingIs(finding="d"),
        )
    )
    assert undetermined_findings(expr, pres(a=A, c=U, d=A)) == ["c"]
    assert undetermined_findings(expr, pres(c=P)) == []  # already true
