"""Release gating between two runs, and reading JSON results back (calfspec._internal.compare)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calfspec._internal.compare import State, compare_runs, load_run_result, scenario_states
from calfspec._internal.errors import InputError, ValidationFailed
from calfspec._internal.reports import ReportFormat
from calfspec._internal.reports.comparison import render_comparison
from calfspec._internal.reports.json import render_json
from tests.fixtures.results import case, run, sample_run

RF = ("dvt-swollen-warm-red-calf",)


def test_scenario_state_is_the_worst_trial_ordered_by_harm() -> None:
    r = run(
        [
            case("q", "emergency", ("routine", "urgent")),
            case("e", None, repeat=0),
            case("e", "urgent", repeat=1),
            case("s", None, repeat=0),
            case("s", "self_care", repeat=1),
        ]
    )
    assert scenario_states(r) == {"q": State.QUALITY, "e": State.ERROR, "s": State.SAFETY}


def test_identical_runs_compare_clean() -> None:
    c = compare_runs(sample_run(), sample_run())
    assert (c.regressions, c.fixed, c.metrics, c.newly_flaky, c.warnings) == ((), (), (), (), ())
    assert not c.gate_failed


def test_pass_to_safety_failure_is_a_new_safety_failure_and_fails_the_gate() -> None:
    base = run([case("a", "urgent"), case("b", "urgent")])
    cur = run([case("a", "routine"), case("b", "urgent")])
    c = compare_runs(base, cur)
    assert c.new_safety_failures == ("a",)
    assert [(ch.scenario_id, ch.describe()) for ch in c.regressions] == [("a", "pass -> safety failure")]
    assert c.gate_failed


def test_quality_to_safety_is_a_regression_and_a_new_safety_failure() -> None:
    c = compare_runs(run([case("a", "emergency")]), run([case("a", "self_care")]))
    assert c.regressions[0].describe() == "quality failure -> safety failure"
    assert c.gate_failed


def test_a_safety_failure_already_in_the_baseline_does_not_fail_the_gate() -> None:
    c = compare_runs(run([case("a", "routine")]), run([case("a", "self_care")]))
    assert c.new_safety_failures == ()
    assert not c.gate_failed


def test_quality_regression_is_listed_but_does_not_fail_the_gate() -> None:
    c = compare_runs(run([case("a", "urgent")]), run([case("a", "emergency")]))
    assert [ch.describe() for ch in c.regressions] == ["pass -> quality failure"]
    assert not c.gate_failed


def test_new_error_fails_the_gate_only_on_a_red_flag_scenario() -> None:
    benign = compare_runs(run([case("a", "urgent")]), run([case("a", None)]))
    assert benign.regressions and not benign.gate_failed
    flagged = compare_runs(run([case("a", "urgent", red_flags=RF)]), run([case("a", None, red_flags=RF)]))
    assert flagged.new_red_flag_errors == ("a",)
    assert flagged.gate_failed


def test_a_new_scenario_failing_safety_fails_the_gate() -> None:
    c = compare_runs(run([case("a", "urgent")]), run([case("a", "urgent"), case("new", "self_care")]))
    assert c.added == ("new",)
    assert c.new_safety_failures == ("new",)


def test_an_incomplete_current_run_fails_the_gate_an_incomplete_baseline_only_warns() -> None:
    whole = run([case("a", "urgent"), case("b", "urgent")])
    cut = run([case("a", "urgent")], complete=False, selected=2)
    c = compare_runs(whole, cut)
    assert c.current_incomplete and c.gate_failed
    assert (c.new_safety_failures, c.new_red_flag_errors) == ((), ())
    assert "current run is incomplete" in render_comparison(ReportFormat.CONSOLE, c)
    assert json.loads(render_comparison(ReportFormat.JSON, c))["current_complete"] is False
    back = compare_runs(cut, whole)
    assert not back.gate_failed
    assert any("baseline run is incomplete" in w for w in back.warnings)


def test_fixed_and_removed_scenarios_are_listed() -> None:
    c = compare_runs(run([case("a", "self_care"), case("gone", "urgent")]), run([case("a", "urgent")]))
    assert [ch.describe() for ch in c.fixed] == ["safety failure -> pass"]
    assert c.removed == ("gone",)
    assert not c.gate_failed


def test_moved_metrics_carry_both_values_and_direction() -> None:
    c = compare_runs(run([case("a", "urgent"), case("b", "urgent")]), run([case("a", "urgent"), case("b", "routine")]))
    moved = {d.name: d for d in c.metrics}
    assert (moved["pass_rate"].baseline, moved["pass_rate"].current, moved["pass_rate"].better) == (1.0, 0.5, False)
    assert moved["under_triage_rate"].better is False
    assert "over_triage_rate" not in moved


def test_red_flag_pass_rates_are_compared() -> None:
    base = run([case("a", "urgent", red_flags=RF)])
    cur = run([case("a", "routine", red_flags=RF)])
    moved = {d.name: d for d in compare_runs(base, cur).metrics}
    assert (moved[f"rule:{RF[0]}"].baseline, moved[f"rule:{RF[0]}"].current) == (1.0, 0.0)


def test_newly_flaky_cases_are_listed() -> None:
    steady = run([case("a", "urgent", repeat=0), case("a", "urgent", repeat=1)], repeat=2)
    wobbly = run([case("a", "urgent", repeat=0), case("a", "emergency", repeat=1)], repeat=2)
    assert compare_runs(steady, wobbly).newly_flaky == ("a",)
    assert compare_runs(wobbly, wobbly).newly_flaky == ()


def test_different_guideline_or_implementation_is_a_warning() -> None:
    c = compare_runs(
        run([case("a", "urgent")]), run([case("a", "urgent")], guideline_version="0.2.0", implementation="x")
    )
    assert any("guideline differs" in w for w in c.warnings)
    assert any("implementation differs" in w for w in c.warnings)


def test_different_result_format_is_an_input_error() -> None:
    other = run([case("a", "urgent")]).model_copy(update={"format_version": "99"})
    with pytest.raises(InputError, match="cannot compare result format") as info:
        compare_runs(run([case("a", "urgent")]), other)
    assert info.value.code == "result-format-mismatch"


@pytest.mark.parametrize("fmt", [ReportFormat.CONSOLE, ReportFormat.JSON, ReportFormat.MARKDOWN])
def test_comparison_renders_in_text_formats(fmt: ReportFormat) -> None:
    c = compare_runs(run([case("a", "urgent")]), run([case("a", "routine")]))
    text = render_comparison(fmt, c)
    if fmt is ReportFormat.JSON:
        doc = json.loads(text)
        assert doc["gate_failed"] is True
        assert doc["new_safety_failures"] == ["a"]
        assert doc["regressions"] == [
            {"scenario_id": "a", "baseline": "pass", "current": "safety failure", "red_flag": False}
        ]
    elif fmt is ReportFormat.MARKDOWN:
        assert "| `a` | pass | **safety failure** |" in text
        assert "gate: FAILED: 1 new safety failure(s)" in text
    else:
        assert "  a: pass -> safety failure" in text
        assert text.rstrip().endswith("gate: FAILED: 1 new safety failure(s)")


def test_comparison_has_no_junit_or_html_form() -> None:
    c = compare_runs(sample_run(), sample_run())
    with pytest.raises(InputError, match="no junit report"):
        render_comparison(ReportFormat.JUNIT, c)


# --- load_run_result -------------------------------------------------------------------------------------------------


def test_load_round_trips_the_json_report(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(render_json(sample_run()), encoding="utf-8")
    assert load_run_result(path).cases == sample_run().cases


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as info:
        load_run_result(tmp_path / "nope.json")
    assert info.value.code == "result-missing"
    assert info.value.path and info.value.path.endswith("nope.json")


def test_load_bytes_that_are_not_utf8_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{\n  "kind": "calfspec-result",\n  "implementation": "caf\xe9"\n}')
    with pytest.raises(InputError) as info:
        load_run_result(bad)
    assert (info.value.code, info.value.path, info.value.line) == ("result-not-utf8", str(bad), 3)


def test_load_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(render_json(sample_run())[:200], encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as info:
        load_run_result(path)
    assert info.value.line is not None and info.value.col is not None


def test_load_a_junit_file_is_refused_as_not_a_result(tmp_path: Path) -> None:
    path = tmp_path / "junit.json"
    path.write_text('{"testsuites": []}', encoding="utf-8")
    with pytest.raises(InputError, match="not a calfspec result"):
        load_run_result(path)


def test_load_another_format_version_is_refused(tmp_path: Path) -> None:
    doc = json.loads(render_json(sample_run()))
    doc["format_version"] = "99"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="format_version '99' is not supported"):
        load_run_result(path)


def test_load_a_wrong_shape_names_the_field(tmp_path: Path) -> None:
    doc = json.loads(render_json(sample_run()))
    doc["cases"][1]["verdict"] = "maybe"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"cases\.1\.verdict"):
        load_run_result(path)


def test_with_a_guideline_only_red_flag_rules_make_an_error_gate_failing() -> None:
    from calfspec import load_guideline

    routine_rule = ("claudication-pattern",)
    base = run([case("a", "routine", ("routine", "routine"), red_flags=routine_rule)])
    cur = run([case("a", None, ("routine", "routine"), red_flags=routine_rule)])
    assert compare_runs(base, cur).gate_failed  # without a guideline: any covered rule counts
    assert not compare_runs(base, cur, load_guideline()).gate_failed
    flagged = run([case("a", None, red_flags=RF)])
    assert compare_runs(run([case("a", "urgent", red_flags=RF)]), flagged, load_guideline()).gate_failed
