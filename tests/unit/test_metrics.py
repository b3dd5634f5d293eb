"""Vignette-style scoring and repeat statistics (calfspec._internal.metrics)."""

from __future__ import annotations

import pytest

from calfspec._internal.metrics import (
    CONFUSION_COLUMNS,
    Outcome,
    below_min_pass_rate,
    capability_comparison_scores,
    case_stats,
    compute_metrics,
    outcome,
    range_label,
    wilson_lower,
    z_for_confidence,
)
from calfspec._internal.models.results import RunResult
from calfspec._internal.models.urgency import Urgency
from tests.fixtures.results import case, run, sample_run


def test_in_range_counts_any_level_inside_the_expected_range() -> None:
    r = run([case("a", "urgent", ("urgent", "emergency")), case("b", "emergency", ("urgent", "emergency"))])
    m = compute_metrics(r)
    assert (m.in_range, m.in_range_rate, m.over_triaged) == (2, 1.0, 0)


def test_single_level_expectation_needs_that_exact_level() -> None:
    assert outcome(case("a", "urgent", ("urgent", "urgent"))) is Outcome.IN_RANGE
    assert outcome(case("a", "emergency", ("urgent", "urgent"))) is Outcome.OVER
    assert outcome(case("a", "routine", ("urgent", "urgent"))) is Outcome.UNDER


def test_sample_run_scores_match_a_hand_count() -> None:
    m = compute_metrics(sample_run())
    # 7 trials: in range = dvt-warm, strain, tear-pop (urgency right, pathway wrong);
    # under = gym-strain, pe-chest-pain; over = cramp; error = cold-pale-leg.
    assert m.trials == 7
    assert (m.in_range, m.under_triaged, m.over_triaged, m.errors) == (3, 2, 1, 1)
    assert m.in_range_rate == pytest.approx(3 / 7)
    assert m.safe_rate == pytest.approx(4 / 7)
    assert m.under_triage_rate == pytest.approx(2 / 7)
    assert m.over_triage_rate == pytest.approx(1 / 7)
    assert m.error_rate == pytest.approx(1 / 7)
    # pass = dvt-warm and strain; tear-pop fails on its pathway despite the right urgency.
    assert (m.passed, m.failed_safety, m.failed_quality) == (2, 3, 1)


def test_exact_accuracy_scores_the_single_best_answer_not_the_range() -> None:
    r = run(
        [
            case("a", "urgent", ("urgent", "emergency"), expected="urgent"),
            case("b", "emergency", ("urgent", "emergency"), expected="urgent"),
            case("c", "routine", ("urgent", "urgent"), expected="urgent"),
            case("d", None, ("routine", "routine"), expected="routine"),
            case("e", "routine", ("routine", "routine")),  # no expected level: not an exact trial
        ]
    )
    m = compute_metrics(r)
    assert (m.in_range, m.in_range_rate) == (3, 3 / 5)
    assert (m.exact, m.exact_trials, m.exact_accuracy) == (1, 4, 1 / 4)
    # symptomcheckR: safe = at or above the expected level (a, b); comprehensive = judged (all but d);
    # of the answered misses (b too high, c too low), half were over-triage.
    assert m.safety_of_advice == 2 / 4
    assert m.comprehensiveness == 4 / 5
    assert m.inclination_to_overtriage == 1 / 2


def test_inclination_to_overtriage_is_null_when_nothing_was_missed() -> None:
    m = compute_metrics(run([case("a", "urgent", ("urgent", "urgent"), expected="urgent")]))
    assert m.exact_accuracy == 1.0 and m.inclination_to_overtriage is None


def test_exact_measures_are_null_when_no_scenario_names_an_expected_level() -> None:
    m = compute_metrics(run([case("a", "urgent")]))
    assert m.exact_trials == 0 and m.exact_accuracy is None and m.safety_of_advice is None


def test_capability_comparison_score_matches_a_hand_count() -> None:
    a = run([case("s1", "urgent", expected="urgent"), case("s2", "routine", expected="urgent")])
    b = run([case("s1", "urgent", expected="urgent"), case("s2", "urgent", expected="urgent")])
    # Item difficulty: s1 solved by both (1.0), s2 by one (0.5).
    # a: ((1 - 1.0) - 0.5) / 2 = -0.25 -> (-0.25 + 1) / 2 * 100 = 37.5; b: (0 + 0.5) / 2 -> 62.5.
    assert capability_comparison_scores({"a": a, "b": b}) == {"a": 37.5, "b": 62.5}


def test_capability_comparison_score_needs_two_systems() -> None:
    with pytest.raises(ValueError, match="at least two"):
        capability_comparison_scores({"a": run([case("s1", "urgent", expected="urgent")])})


def test_errors_stay_in_every_denominator_and_are_never_safe() -> None:
    m = compute_metrics(run([case("a", None, ("routine", "routine")), case("b", "routine", ("routine", "routine"))]))
    assert m.safe_rate == 0.5
    assert m.in_range_rate == 0.5
    assert m.error_rate == 0.5
    assert m.pass_rate == 0.5


def test_emergency_sensitivity_counts_errors_as_misses() -> None:
    m = compute_metrics(sample_run())
    # pe-chest-pain (given urgent) and cold-pale-leg (error): both expected emergency, neither hit.
    assert m.emergency_trials == 2
    assert m.emergency_sensitivity == 0.0
    hit = compute_metrics(
        run([case("x", "emergency", ("emergency", "emergency")), case("y", None, ("emergency", "emergency"))])
    )
    assert hit.emergency_sensitivity == 0.5


def test_emergency_sensitivity_is_null_without_emergency_cases() -> None:
    assert compute_metrics(run([case("a", "routine", ("routine", "routine"))])).emergency_sensitivity is None


def test_empty_run_has_null_rates_not_zero() -> None:
    m = compute_metrics(run([]))
    assert m.trials == 0
    assert m.in_range_rate is None and m.pass_rate is None and m.safe_rate is None
    assert m.confusion.rows == ()


def test_per_red_flag_scores_split_positive_and_near_miss_cases() -> None:
    m = compute_metrics(sample_run())
    dvt = next(s for s in m.rules if s.rule == "dvt-swollen-warm-red-calf")
    assert (dvt.positive.total, dvt.positive.passed, dvt.positive.failed_safety) == (2, 1, 1)
    assert dvt.under_triaged == 1
    assert (dvt.near_miss.total, dvt.near_miss.passed, dvt.near_miss.failed_quality) == (2, 1, 1)
    cold = next(s for s in m.rules if s.rule == "cold-or-pale-leg")
    assert (cold.positive.errors, cold.positive.pass_rate) == (1, 0.0)


def test_per_condition_scores() -> None:
    m = compute_metrics(sample_run())
    by = {c.condition: c.tally for c in m.conditions}
    assert by["deep-vein-thrombosis"].total == 2
    assert by["deep-vein-thrombosis"].pass_rate == 0.5
    assert by["muscle-strain"].pass_rate == 1.0


def test_confusion_matrix_rows_are_ranges_most_urgent_first_and_cells_sum_to_trials() -> None:
    m = compute_metrics(sample_run())
    labels = [row.label for row in m.confusion.rows]
    assert labels == ["emergency", "urgent..emergency", "urgent", "self_care..routine"]
    assert m.confusion.columns == CONFUSION_COLUMNS
    assert sum(sum(row.cells) for row in m.confusion.rows) == 7
    emergency = m.confusion.rows[0]
    cells = dict(zip(m.confusion.columns, emergency.cells, strict=True))
    assert cells == {"self_care": 0, "routine": 0, "urgent": 1, "emergency": 0, "error": 1}


def test_range_label() -> None:
    assert range_label(Urgency.URGENT, Urgency.URGENT) == "urgent"
    assert range_label(Urgency.ROUTINE, Urgency.URGENT) == "routine..urgent"


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (5, 5, 0.5655),  # 5/5 is not certainty
        (0, 5, 0.0),
        (8, 10, 0.4902),
        (95, 100, 0.8883),
    ],
)
def test_wilson_lower_matches_published_values(k: int, n: int, expected: float) -> None:
    assert wilson_lower(k, n) == pytest.approx(expected, abs=1e-4)


def test_wilson_lower_narrows_with_more_trials_and_lower_z() -> None:
    assert wilson_lower(10, 10) < wilson_lower(100, 100)
    assert wilson_lower(8, 10, z=1.0) > wilson_lower(8, 10)


def test_wilson_lower_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_lower(6, 5)
    with pytest.raises(ValueError, match="z"):
        wilson_lower(1, 5, z=-1)


def test_z_for_confidence() -> None:
    assert z_for_confidence(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_for_confidence(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_for_confidence(1.0)


def repeated_run() -> RunResult:
    return run(
        [
            case("steady", "urgent", repeat=0, red_flags=("dvt-swollen-warm-red-calf",), pathways=("a", "b")),
            case("steady", "urgent", repeat=1, red_flags=("dvt-swollen-warm-red-calf",), pathways=("b", "a")),
            case("steady", "urgent", repeat=2, red_flags=("dvt-swollen-warm-red-calf",), pathways=("a", "b")),
            case("wobbly", "urgent", repeat=0, red_flags=("cold-or-pale-leg",)),
            case("wobbly", "routine", repeat=1, red_flags=("cold-or-pale-leg",)),
            case("wobbly", None, repeat=2, red_flags=("cold-or-pale-leg",)),
        ],
        repeat=3,
    )


def test_case_stats_pass_rate_pass_all_and_wilson() -> None:
    stats = case_stats(repeated_run())
    steady, wobbly = stats["steady"], stats["wobbly"]
    assert (steady.trials, steady.passed, steady.pass_all, steady.pass_rate) == (3, 3, True, 1.0)
    assert steady.wilson_lower == pytest.approx(wilson_lower(3, 3))
    assert (wobbly.passed, wobbly.errors, wobbly.pass_all) == (1, 1, False)
    assert wobbly.pass_rate == pytest.approx(1 / 3)


def test_pathway_order_is_not_flakiness_but_a_changed_answer_is() -> None:
    stats = case_stats(repeated_run())
    assert not stats["steady"].flaky
    assert stats["wobbly"].flaky
    answers = {(a.urgency, a.error): a.repeats for a in stats["wobbly"].answers}
    assert answers == {(Urgency.URGENT, False): (0,), (Urgency.ROUTINE, False): (1,), (None, True): (2,)}


def test_repeat_stats_only_in_metrics_when_something_repeated() -> None:
    assert compute_metrics(sample_run()).repeat_stats == ()
    m = compute_metrics(repeated_run())
    assert [s.scenario_id for s in m.repeat_stats] == ["steady", "wobbly"]
    assert m.trials == 6 and m.scenarios == 2


def test_min_pass_rate_gate_uses_the_wilson_lower_bound_on_red_flag_cases() -> None:
    r = repeated_run()
    # steady: 3/3 passes, lower bound ~0.44: below 0.5 although it never failed.
    assert [s.scenario_id for s in below_min_pass_rate(r, 0.5)] == ["steady", "wobbly"]
    assert [s.scenario_id for s in below_min_pass_rate(r, 0.3)] == ["wobbly"]
    assert below_min_pass_rate(r, 0.0) == ()
    with pytest.raises(ValueError, match="min_pass_rate"):
        below_min_pass_rate(r, 1.5)


def test_min_pass_rate_ignores_cases_without_red_flags() -> None:
    r = run([case("benign", None, ("self_care", "self_care"))])
    assert below_min_pass_rate(r, 0.9) == ()
