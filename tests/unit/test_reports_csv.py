"""The CSV report: one row per trial, every plain CaseResult field a column, formulas defused (reports.csv)."""

from __future__ import annotations

import csv
import io

from calfspec import load_guideline
from calfspec._internal.models.results import CaseResult
from calfspec._internal.reports.csv import case_columns, render_csv
from tests.fixtures.results import case, run, sample_run


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_trial_in_run_order_with_the_derived_columns() -> None:
    r = sample_run()
    got = rows(render_csv(r, load_guideline()))
    assert [row["scenario_id"] for row in got] == [c.scenario_id for c in r.cases]
    by_id = {row["scenario_id"]: row for row in got}
    gym = by_id["gym-strain-but-warm-swollen"]
    assert (gym["verdict"], gym["severity"], gym["tag"], gym["under_by"]) == ("fail", "safety", "safety", "2")
    assert (gym["expected_min"], gym["expected_max"], gym["given"]) == ("urgent", "emergency", "self_care")
    assert gym["failure_kinds"].split(";")[0] == "under_triage"
    assert gym["tags"] == "red-flag;tricky" and gym["advice"] == "calf-stretching"
    cold = by_id["cold-pale-leg"]
    assert (cold["verdict"], cold["tag"], cold["given"], cold["rounds"]) == ("error", "error", "", "0")
    assert cold["error"] == 'timed out <after> 5 s & "gave up"'
    assert by_id["cramp-at-night"]["tag"] == "quality"


def test_every_one_cell_field_of_case_result_is_a_column() -> None:
    columns = case_columns()
    for name in ("scenario_id", "repeat", "verdict", "severity", "error", "expected_min", "expected_max", "given"):
        assert name in columns
    # a field the model gains shows up without an edit to the report; nested models never do
    assert "request" not in columns and "decision" not in columns and "transcript" not in columns
    assert set(columns) - {"tag", "under_by", "failure_kinds", "pathways", "advice"} <= set(CaseResult.model_fields) | {
        "decision_conditions",
        "questions",
        "rounds",
    }


def test_text_a_spreadsheet_would_run_as_a_formula_is_defused() -> None:
    hostile = case("a", None, error='=HYPERLINK("http://evil.example","click")')
    got = rows(render_csv(run([hostile]), load_guideline()))
    assert got[0]["error"] == '\'=HYPERLINK("http://evil.example","click")'


def test_commas_quotes_and_newlines_survive_a_round_trip() -> None:
    tricky = case("a", None, error='line one, "quoted"\nline two')
    got = rows(render_csv(run([tricky]), load_guideline()))
    assert got[0]["error"] == 'line one, "quoted"\nline two'
