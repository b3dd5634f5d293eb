"""Properties of the judge on the ordered urgency scale (calfspec._internal.judge)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal.guideline import load_guideline
from calfspec._internal.judge import judge, pathways_met
from calfspec._internal.models.results import FailureKind, Severity
from calfspec._internal.models.scenario import Expectations, UrgencyRange
from calfspec._internal.models.triage import TriageDecision
from calfspec._internal.models.urgency import URGENCY_ORDER, Urgency

GUIDELINE = load_guideline()
PATHWAYS = tuple(GUIDELINE.pathways)
ADVICE = tuple(GUIDELINE.advice)
urgencies = st.sampled_from(URGENCY_ORDER)


@st.composite
def expectations(draw: st.DrawFn) -> Expectations:
    lo, hi = sorted((draw(urgencies), draw(urgencies)), key=lambda u: u.rank)
    # Required pathways are ones a correct answer could give: of an urgency inside the range.
    fitting = [p for p in PATHWAYS if lo <= GUIDELINE.pathways[p].urgency <= hi]
    required = draw(st.lists(st.sampled_from(fitting), unique=True, max_size=2)) if fitting else []
    forbidden = draw(st.lists(st.sampled_from([p for p in PATHWAYS if p not in required]), unique=True, max_size=2))
    advice_forbidden = draw(st.lists(st.sampled_from(ADVICE), unique=True, max_size=2))
    return Expectations(
        urgency=UrgencyRange(min=lo, max=hi),
        pathways_required=tuple(required),
        pathways_forbidden=tuple(forbidden),
        advice_forbidden=tuple(advice_forbidden),
        claims=("dvt-red-flag-signs",),
    )


def _safe_extras(e: Expectations, pathways: list[str], advice: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Nothing that is harmful in itself: no forbidden pathway below the minimum, no contraindicated advice.
    low = {p for p in e.pathways_forbidden if GUIDELINE.pathways[p].urgency < e.urgency.min}
    return tuple(p for p in pathways if p not in low), tuple(a for a in advice if a not in e.advice_forbidden)


def _covering(required: str, at_least: Urgency) -> list[str]:
    return [
        p for p in PATHWAYS if GUIDELINE.pathways[p].urgency >= at_least and required in pathways_met([p], GUIDELINE)
    ]


@settings(max_examples=120, deadline=None)
@given(
    e=expectations(),
    data=st.data(),
    pathways=st.lists(st.sampled_from(PATHWAYS), max_size=3),
    advice=st.lists(st.sampled_from(ADVICE), max_size=3),
)
def test_an_answer_at_or_above_max_that_covers_every_required_pathway_is_never_a_safety_failure(
    e: Expectations, data: st.DataObject, pathways: list[str], advice: list[str]
) -> None:
    urgency = data.draw(st.sampled_from([u for u in URGENCY_ORDER if u >= e.urgency.max]))
    cover = [data.draw(st.sampled_from(_covering(p, e.urgency.min))) for p in e.pathways_required]
    given_pathways, given_advice = _safe_extras(e, [*cover, *pathways], advice)
    j = judge(e, TriageDecision(urgency=urgency, pathways=given_pathways, advice=given_advice), GUIDELINE)
    assert j.severity is not Severity.SAFETY, j.failures


@settings(max_examples=120, deadline=None)
@given(
    e=expectations(),
    pathways=st.lists(st.sampled_from(PATHWAYS), max_size=3),
    advice=st.lists(st.sampled_from(ADVICE), max_size=3),
)
def test_an_answer_above_max_is_never_a_safety_failure_whatever_pathways_it_leaves_out(
    e: Expectations, pathways: list[str], advice: list[str]
) -> None:
    given_pathways, given_advice = _safe_extras(e, pathways, advice)
    for urgency in (u for u in URGENCY_ORDER if u > e.urgency.max):
        j = judge(e, TriageDecision(urgency=urgency, pathways=given_pathways, advice=given_advice), GUIDELINE)
        assert j.severity is not Severity.SAFETY, j.failures


@settings(max_examples=120, deadline=None)
@given(
    e=expectations(),
    pathways=st.lists(st.sampled_from(PATHWAYS), max_size=3),
    advice=st.lists(st.sampled_from(ADVICE), max_size=3),
    extra=st.sampled_from(PATHWAYS),
)
def test_more_urgency_or_one_more_pathway_never_adds_a_safety_failure(
    e: Expectations, pathways: list[str], advice: list[str], extra: str
) -> None:
    def safety(urgency: Urgency, given: list[str]) -> int:
        j = judge(e, TriageDecision(urgency=urgency, pathways=tuple(given), advice=tuple(advice)), GUIDELINE)
        return sum(
            1 for f in j.failures if f.severity is Severity.SAFETY and f.kind is not FailureKind.FORBIDDEN_PATHWAY
        )

    counts = [safety(u, pathways) for u in URGENCY_ORDER]
    assert counts == sorted(counts, reverse=True)
    for u in URGENCY_ORDER:
        assert safety(u, [*pathways, extra]) <= safety(u, pathways)


@settings(max_examples=60, deadline=None)
@given(pathway=st.sampled_from(PATHWAYS))
def test_a_pathway_covers_only_lower_urgency_pathways(pathway: str) -> None:
    for covered in GUIDELINE.pathway_covers[pathway]:
        assert GUIDELINE.pathways[covered].urgency < GUIDELINE.pathways[pathway].urgency
