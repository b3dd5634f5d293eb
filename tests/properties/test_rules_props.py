"""Properties of three-valued evaluation that no list of examples can pin down."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from calfspec._internal.models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf
from calfspec._internal.models.triage import FindingState, Presentation
from calfspec._internal.rules import Truth, evaluate, undetermined_findings

IDS = ["a", "b", "c", "d"]


def exprs() -> st.SearchStrategy[Expr]:
    leaves = st.sampled_from(IDS).map(lambda f: FindingIs(finding=f))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(all=tuple(xs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(any=tuple(xs))),
            inner.map(lambda x: NotOf.model_validate({"not": x})),
        ),
        max_leaves=8,
    )


states = st.dictionaries(st.sampled_from(IDS), st.sampled_from(list(FindingState)))


@given(exprs(), states, st.data())
def test_learning_more_never_overturns_a_settled_verdict(
    expr: Expr, known: dict[str, FindingState], data: st.DataObject
) -> None:
    """Kleene monotonicity: a TRUE or FALSE verdict survives any answer to the unknowns."""
    before = evaluate(expr, Presentation(findings=known))
    filled = dict(known)
    for fid in IDS:
        if filled.get(fid, FindingState.UNKNOWN) is FindingState.UNKNOWN:
            filled[fid] = data.draw(st.sampled_from([FindingState.PRESENT, FindingState.ABSENT]))
    after = evaluate(expr, Presentation(findings=filled))
    assert after is not Truth.UNKNOWN
    if before is not Truth.UNKNOWN:
        assert after is before


@given(exprs(), states)
def test_double_negation_is_identity(expr: Expr, known: dict[str, FindingState]) -> None:
    p = Presentation(findings=known)
    twice = NotOf.model_validate({"not": NotOf.model_validate({"not": expr})})
    assert evaluate(twice, p) is evaluate(expr, p)


@given(exprs(), states)
def test_an_undetermined_condition_always_has_a_finding_worth_asking_about(
    expr: Expr, known: dict[str, FindingState]
) -> None:
    p = Presentation(findings=known)
    asked = undetermined_findings(expr, p)
    if evaluate(expr, p) is Truth.UNKNOWN:
        assert asked
        assert all(p.state(f) is FindingState.UNKNOWN for f in asked)
    else:
        assert asked == []
