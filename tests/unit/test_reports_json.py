"""The JSON report: the run with metrics, valid against the committed schema (calfspec._internal.reports.json)."""

from __future__ import annotations

import json

import jsonschema

from calfspec._internal.models.results import RunResult
from calfspec._internal.reports.json import render_json, with_metrics
from tests.conftest import SCHEMAS_DIR
from tests.fixtures.results import run, sample_run


def test_json_report_round_trips_to_the_same_run_with_metrics() -> None:
    r = sample_run()
    back = RunResult.model_validate_json(render_json(r))
    assert back.cases == r.cases
    assert back.metrics is not None
    assert back.metrics.under_triaged == 2
    assert back.model_copy(update={"metrics": None, "errors_by_kind": {}}) == r


def test_json_report_is_versioned() -> None:
    doc = json.loads(render_json(sample_run()))
    assert doc["kind"] == "calfspec-result"
    assert doc["format_version"] == "2"


def test_json_report_validates_against_the_committed_schema() -> None:
    schema = json.loads((SCHEMAS_DIR / "run-result.schema.json").read_text(encoding="utf-8"))
    doc = json.loads(render_json(sample_run()))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert "metrics" in schema["properties"], "regenerate schemas: calfspec schema"


def test_stored_metrics_are_recomputed_not_trusted() -> None:
    r = sample_run()
    forged = with_metrics(run([])).metrics
    tampered = r.model_copy(update={"metrics": forged})
    assert json.loads(render_json(tampered))["metrics"]["trials"] == 7


def test_every_case_keeps_request_decision_timing_and_raw_reply() -> None:
    doc = json.loads(render_json(sample_run()))
    first = doc["cases"][0]
    assert first["request"]["narrative"] == "story of dvt-warm-swollen-left"
    assert first["decision"]["urgency"] == "urgent"
    assert first["elapsed_ms"] == 12.5
    assert json.loads(first["raw_reply"])["urgency"] == "urgent"
