"""Committed JSON Schemas match the models, and agree with pydantic on real data."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.triage import TriageDecision, TriageRequest
from calfspec._internal.schemas import SCHEMA_BASE, generate_schemas
from tests.conftest import SCHEMAS_DIR


def test_committed_schemas_are_what_the_models_generate() -> None:
    generated = generate_schemas(load_guideline())
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS_DIR.glob("*.schema.json")}
    assert set(committed) == set(generated)
    stale = [name for name, text in generated.items() if committed[name] != text]
    assert stale == [], "run `calfspec schema` and commit"


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMAS_DIR.glob("*.schema.json")))
def test_each_schema_is_valid_draft_2020_12_with_a_stable_id(name: str) -> None:
    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{SCHEMA_BASE}{name}"


def _agree(schema_name: str, model: type, doc: object) -> bool:
    schema = json.loads((SCHEMAS_DIR / schema_name).read_text(encoding="utf-8"))
    by_schema = jsonschema.Draft202012Validator(schema).is_valid(doc)
    try:
        model.model_validate(doc)  # type: ignore[attr-defined]
        by_model = True
    except ValidationError:
        by_model = False
    return by_schema == by_model and by_model is not None


REQUESTS = [
    {"side": "left", "findings": {"calf_swelling": "present"}},
    {"findings": {"calf_swelling": "maybe"}},
    {"age": -1},
    {"side": "middle"},
    {"narrative": None, "case_id": "x", "pregnant": "unknown"},
    {"extra_field": 1},
]
DECISIONS = [
    {"urgency": "urgent", "pathways": ["urgent-dvt-assessment"]},
    {"urgency": "soonish"},
    {"pathways": []},
    {"urgency": "routine", "questions": ["calf_swelling", "side"]},
    {"urgency": "routine", "rationale": 3},
]


@pytest.mark.parametrize("doc", REQUESTS)
def test_request_schema_and_model_agree(doc: object) -> None:
    assert _agree("triage-request.schema.json", TriageRequest, doc)


@pytest.mark.parametrize("doc", DECISIONS)
def test_decision_schema_and_model_agree(doc: object) -> None:
    assert _agree("triage-decision.schema.json", TriageDecision, doc)


def test_the_schema_catches_vocabulary_the_model_cannot_know() -> None:
    schema = json.loads((SCHEMAS_DIR / "triage-decision.schema.json").read_text(encoding="utf-8"))
    assert not jsonschema.Draft202012Validator(schema).is_valid({"urgency": "urgent", "pathways": ["made-up"]})
    schema = json.loads((SCHEMAS_DIR / "triage-request.schema.json").read_text(encoding="utf-8"))
    assert not jsonschema.Draft202012Validator(schema).is_valid({"findings": {"no_such_finding": "present"}})


def test_schema_check_fails_when_a_committed_schema_drifts(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from calfspec._internal.cli import cli

    out = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, out)
    runner = CliRunner()
    assert runner.invoke(cli, ["schema", "--check", "--out", str(out)]).exit_code == 0
    target = out / "triage-decision.schema.json"
    target.write_text(target.read_text().replace('"urgent"', '"soon"', 1))
    result = runner.invoke(cli, ["schema", "--check", "--out", str(out)])
    assert result.exit_code == 1
    assert "triage-decision.schema.json" in result.output
