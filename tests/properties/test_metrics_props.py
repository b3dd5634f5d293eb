"""Properties of the scores over arbitrary runs (calfspec._internal.metrics), including merged shards."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfspec._internal.metrics import capability_comparison_scores, case_stats, compute_metrics, wilson_lower
from calfspec._internal.models.results import CaseResult, RunResult
from calfspec._internal.models.urgency import URGENCY_ORDER
from calfspec._internal.reports.merge import merge_runs
from tests.fixtures.results import case, run

LEVELS = [u.value for u in URGENCY_ORDER]
RULES = ["dvt-swollen-warm-red-calf", "cold-or-pale-leg", "numb-lower-leg"]


@st.composite
def ranges(draw: st.DrawFn) -> tuple[str, str]:
    lo = draw(st.integers(0, 3))
    hi = draw(st.integers(lo, 3))
    return LEVELS[lo], LEVELS[hi]


@st.composite
def trials(draw: st.DrawFn, sid: str, repeat: int) -> CaseResult:
    lo, hi = draw(ranges())
    # A scenario's expected level is fixed, whatever the repeat: derive it from the id.
    inside = LEVELS[LEVELS.index(lo) : LEVELS.index(hi) + 1]
    expected = None if int(sid[1:]) % 3 == 2 else inside[int(sid[1:]) % len(inside)]
    return case(
        sid,
        draw(st.one_of(st.none(), st.sampled_from(LEVELS))),
        (lo, hi),
        expected=expected,
        repeat=repeat,
        red_flags=tuple(draw(st.lists(st.sampled_from(RULES), max_size=2, unique=True))),
        near_miss=tuple(draw(st.lists(st.sampled_from(RULES), max_size=1))),
        conditions=tuple(
            draw(st.lists(st.sampled_from(["muscle-cramp", "deep-vein-thrombosis"]), max_size=2, unique=True))
        ),
        pathways=tuple(draw(st.lists(st.sampled_from(["gp-review", "red-flag-screen"]), max_size=2, unique=True))),
    )


@st.composite
def runs(draw: st.DrawFn) -> RunResult:
    n_scenarios = draw(st.integers(0, 8))
    repeats = draw(st.integers(1, 4))
    cases = [draw(trials(f"s{i}", r)) for i in range(n_scenarios) for r in range(repeats)]
    return run(cases, repeat=repeats)


SLOW_DRAWS = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
"""A run is many judged cases: drawing one is slow on a loaded machine, and that is not a failure."""

RATES = (
    "pass_rate",
    "in_range_rate",
    "exact_accuracy",
    "safety_of_advice",
    "comprehensiveness",
    "inclination_to_overtriage",
    "safe_rate",
    "under_triage_rate",
    "over_triage_rate",
    "error_rate",
    "emergency_sensitivity",
)


@SLOW_DRAWS
@given(runs())
def test_every_rate_is_a_probability_or_null(r: RunResult) -> None:
    m = compute_metrics(r)
    for name in RATES:
        value = getattr(m, name)
        assert value is None or 0.0 <= value <= 1.0, name
    for score in m.rules:
        for t in (score.positive, score.near_miss):
            assert t.pass_rate is None or 0.0 <= t.pass_rate <= 1.0


@SLOW_DRAWS
@given(runs())
def test_outcomes_partition_the_trials(r: RunResult) -> None:
    m = compute_metrics(r)
    assert m.in_range + m.under_triaged + m.over_triaged + m.errors == m.trials == len(r.cases)
    assert m.passed + m.failed_safety + m.failed_quality + m.errors == m.trials
    if m.trials:
        assert m.safe_rate == (m.in_range + m.over_triaged) / m.trials
        total = m.in_range_rate + m.under_triage_rate + m.over_triage_rate + m.error_rate  # type: ignore[operator]
        assert abs(total - 1.0) < 1e-9


@SLOW_DRAWS
@given(runs())
def test_confusion_matrix_sums_to_trials_and_diagonal_band_is_in_range(r: RunResult) -> None:
    m = compute_metrics(r)
    assert sum(sum(row.cells) for row in m.confusion.rows) == m.trials
    in_range = 0
    for row in m.confusion.rows:
        assert len(row.cells) == len(m.confusion.columns)
        for column, count in zip(m.confusion.columns, row.cells, strict=True):
            if column in LEVELS and row.expected_min.rank <= LEVELS.index(column) <= row.expected_max.rank:
                in_range += count
    assert in_range == m.in_range


@SLOW_DRAWS
@given(runs())
def test_the_exact_and_symptomcheckr_measures_hang_together(r: RunResult) -> None:
    m = compute_metrics(r)
    assert m.exact <= m.exact_trials <= m.trials
    assert m.exact_trials == sum(1 for c in r.cases if c.expected is not None)
    if m.exact_trials:
        assert m.exact_accuracy is not None and m.safety_of_advice is not None
        # Exact implies in range and at or above the expected level.
        assert m.exact_accuracy <= m.safety_of_advice
    else:
        assert m.exact_accuracy is None and m.safety_of_advice is None
    if m.trials:
        assert m.comprehensiveness is not None and m.error_rate is not None
        assert abs(m.comprehensiveness + m.error_rate - 1.0) < 1e-9


@SLOW_DRAWS
@given(runs(), st.randoms(use_true_random=False))
def test_more_exact_answers_never_lower_the_capability_comparison_score(r: RunResult, rnd: random.Random) -> None:
    # B is A with some wrong trials made exactly right: on the same items B never scores lower.
    fixed = [
        c.model_copy(update={"given": c.expected, "verdict": c.verdict.__class__("pass"), "severity": None})
        if c.expected is not None and rnd.random() < 0.5
        else c
        for c in r.cases
    ]
    scores = capability_comparison_scores({"a": r, "b": r.model_copy(update={"cases": tuple(fixed)})})
    a, b = scores["a"], scores["b"]
    if a is None or b is None:
        assert a is None and b is None
        return
    assert 0.0 <= a <= b + 1e-9 <= 100.0 + 1e-9


@SLOW_DRAWS
@given(runs())
def test_a_pass_is_never_under_triaged_or_an_error(r: RunResult) -> None:
    m = compute_metrics(r)
    assert m.passed <= m.in_range


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.floats(0, 4))
def test_wilson_lower_is_between_zero_and_the_observed_rate(kn: tuple[int, int], z: float) -> None:
    k, n = kn
    lower = wilson_lower(k, n, z)
    assert 0.0 <= lower <= (k / n if n else 0.0)


@given(st.integers(1, 200), st.integers(1, 200))
def test_wilson_lower_grows_with_successes(n: int, k: int) -> None:
    k = min(k, n - 1)
    assert wilson_lower(k, n) <= wilson_lower(k + 1, n)


@SLOW_DRAWS
@given(runs())
def test_case_stats_are_consistent_with_the_trials(r: RunResult) -> None:
    stats = case_stats(r)
    assert sum(s.trials for s in stats.values()) == len(r.cases)
    for s in stats.values():
        assert s.wilson_lower <= s.pass_rate
        assert s.pass_all == (s.passed == s.trials)
        assert sorted(rep for a in s.answers for rep in a.repeats) == sorted(
            c.repeat for c in r.cases if c.scenario_id == s.scenario_id
        )
        assert s.flaky == (len(s.answers) > 1)
        if s.trials == 1:
            assert not s.flaky


@SLOW_DRAWS
@given(runs(), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_trial_order(r: RunResult, rnd: random.Random) -> None:
    shuffled = list(r.cases)
    rnd.shuffle(shuffled)
    assert compute_metrics(r) == compute_metrics(r.model_copy(update={"cases": tuple(shuffled)}))


@SLOW_DRAWS
@given(runs(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_merging_any_split_into_shards_scores_exactly_like_the_unsplit_run(
    r: RunResult, n: int, rnd: random.Random
) -> None:
    # Shards hold whole scenarios (every repeat of one scenario in the same shard), as --shard K/N does.
    owner = {sid: rnd.randrange(n) for sid in dict.fromkeys(c.scenario_id for c in r.cases)}
    parts = [
        run([c for c in r.cases if owner[c.scenario_id] == k], repeat=r.repeat, shard=f"{k + 1}/{n}") for k in range(n)
    ]
    merged = merge_runs(parts)
    assert merged.result.complete
    assert merged.result.selected == r.selected
    assert compute_metrics(merged.result) == compute_metrics(r)
