"""calfspec._internal.expressions: the walks over rule conditions, and the one satisfiability engine."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal.expressions import (
    all_exprs,
    describe_expr,
    expr_atoms,
    expr_findings,
    polarities,
    satisfiable_together,
    side_tests,
    witnesses,
)
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf, PregnantIs, SideIs, SideTest
from calfspec._internal.models.triage import FindingState, Presentation, Side
from calfspec._internal.rules import Truth, evaluate

GUIDELINE = load_guideline()
TINY = ("a", "b", "c")

_LEAVES: st.SearchStrategy[Expr] = st.one_of(
    st.sampled_from(TINY).map(lambda f: FindingIs(finding=f)),
    st.sampled_from(list(SideTest)).map(lambda s: SideIs(side=s)),
    st.booleans().map(lambda p: PregnantIs(pregnant=p)),
)
EXPRS: st.SearchStrategy[Expr] = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(all=tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(any=tuple(xs))),
        inner.map(lambda x: NotOf(not_=x)),
    ),
    max_leaves=8,
)


def _complete_presentations() -> list[Presentation]:
    """Every presentation over TINY with nothing unknown: the oracle's search space."""
    known = (FindingState.PRESENT, FindingState.ABSENT)
    return [
        Presentation(findings=dict(zip(TINY, states, strict=True)), side=side, pregnant=pregnant)
        for states in itertools.product(known, repeat=len(TINY))
        for side in (Side.LEFT, Side.RIGHT, Side.BOTH)
        for pregnant in known
    ]


COMPLETE = _complete_presentations()


def _satisfiable_by_enumeration(exprs: tuple[Expr, ...]) -> bool:
    # Kleene logic is monotone in information: a partial presentation that makes every
    # expression TRUE extends to a complete one that does, so complete ones suffice.
    return any(all(evaluate(e, p) is Truth.TRUE for e in exprs) for p in COMPLETE)


@settings(max_examples=300, deadline=None)
@given(st.lists(EXPRS, min_size=1, max_size=3).map(tuple))
def test_satisfiable_together_answers_as_an_exhaustive_search_and_its_witness_holds(exprs: tuple[Expr, ...]) -> None:
    found = satisfiable_together(*exprs)
    assert (found is not None) == _satisfiable_by_enumeration(exprs)
    if found is not None:
        assert all(evaluate(e, found) is Truth.TRUE for e in exprs)


@settings(max_examples=200, deadline=None)
@given(EXPRS, st.booleans())
def test_every_witness_forces_the_wanted_value_with_everything_else_unknown(expr: Expr, want: bool) -> None:
    target = Truth.TRUE if want else Truth.FALSE
    for w in witnesses(expr, want):
        assert evaluate(expr, w.presentation()) is target


@settings(max_examples=200, deadline=None)
@given(EXPRS)
def test_atoms_findings_polarities_and_side_tests_agree(expr: Expr) -> None:
    atoms = list(expr_atoms(expr))
    assert list(expr_findings(expr)) == [a.finding for a in atoms if isinstance(a, FindingIs)]
    assert [f for f, _ in polarities(expr)] == list(expr_findings(expr))
    assert list(side_tests(expr)) == [a.side for a in atoms if isinstance(a, SideIs)]


def test_a_finding_under_one_not_is_negative_and_under_two_positive() -> None:
    a, b = FindingIs(finding="a"), FindingIs(finding="b")
    expr = AllOf(all=(NotOf(not_=a), NotOf(not_=NotOf(not_=b))))
    assert list(polarities(expr)) == [("a", False), ("b", True)]


def test_no_expression_is_needed_to_be_satisfied() -> None:
    assert satisfiable_together() == Presentation()


def test_all_exprs_holds_every_rule_advice_and_condition_expression() -> None:
    g = GUIDELINE.guideline
    exprs = list(all_exprs(GUIDELINE))
    expected = (
        len(g.rules)
        + sum((a.indicated_when is not None) + (a.contraindicated_when is not None) for a in g.advice)
        + sum(c.suggested_by is not None for c in g.conditions)
    )
    assert len(exprs) == expected
    assert exprs[: len(g.rules)] == [r.when for r in g.rules]


def test_describe_expr_uses_labels_and_drops_single_part_groups() -> None:
    fid = GUIDELINE.guideline.findings[0].id
    label = GUIDELINE.findings[fid].label
    expr = AllOf(
        all=(
            AnyOf(any=(FindingIs(finding=fid),)),
            SideIs(side=SideTest.ONE_SIDED),
            NotOf(not_=PregnantIs(pregnant=True)),
            FindingIs(finding="not_in_vocabulary"),
        )
    )
    assert describe_expr(expr, GUIDELINE) == (
        f"all of ({label}; symptoms in one leg only; not (pregnant); not_in_vocabulary)"
    )
