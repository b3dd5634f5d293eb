"""pydantic and the generated JSON Schema agree on guideline files, valid and invalid.

Consumers outside Python validate guideline files with ``guideline-file.schema.json``;
this pins that they get the same verdict as calfspec's own loader. The schema is
generated from the models here (not read from schemas/), so this test is about
the models; the drift test in test_schemas.py pins the committed files.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from calfspec._internal._yaml import load_yaml
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.guideline import GuidelineFile
from calfspec._internal.schemas import generate_schemas
from tests.conftest import GUIDELINE_DIR

FILES = sorted(p for p in GUIDELINE_DIR.rglob("*.yaml"))


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(generate_schemas(load_guideline())["guideline-file.schema.json"])
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _as_json(data: Any) -> Any:
    """What a consumer sees after YAML -> JSON: dates become ISO strings."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else v))


def _verdicts(doc: Any) -> tuple[bool, bool]:
    by_schema = _validator().is_valid(doc)
    try:
        GuidelineFile.model_validate(doc)
        by_model = True
    except ValidationError:
        by_model = False
    return by_schema, by_model


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(GUIDELINE_DIR)))
def test_both_accept_every_bundled_guideline_file(path: Path) -> None:
    doc = _as_json(load_yaml(path).data)
    assert _verdicts(doc) == (True, True)


CLAIM: dict[str, Any] = {
    "id": "a-claim",
    "statement": "Something.",
    "basis": "stated",
    "citations": [{"source": "src-000", "section": "Heading", "excerpt": "A short excerpt."}],
}
RULE: dict[str, Any] = {
    "id": "a-rule",
    "title": "A rule",
    "kind": "red_flag",
    "when": {"all": [{"finding": "calf_swelling"}, {"not": {"side": "bilateral"}}, {"pregnant": True}]},
    "urgency": "urgent",
    "pathway": "p",
    "claims": ["a-claim"],
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key)
        else:
            out[key] = value
    return out


_DROP = object()
POLICY = {
    "unresolved_red_flag_urgency": "routine",
    "unresolved_pathway": "p",
    "self_care_pathway": "p",
    "claims": ["c"],
}
SOURCE = {"id": "s", "file": "f", "title": "T", "publisher": "P"}

CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("valid claim", {"claims": [CLAIM]}, True),
    ("valid rule", {"rules": [RULE]}, True),
    ("empty file", {}, True),
    ("claim without citations", {"claims": [_with(CLAIM, citations=[])]}, False),
    ("claim missing its statement", {"claims": [_with(CLAIM, statement=_DROP)]}, False),
    ("unknown basis", {"claims": [_with(CLAIM, basis="hearsay")]}, False),
    ("id with spaces", {"claims": [_with(CLAIM, id="A Claim")]}, False),
    ("unknown field", {"claims": [_with(CLAIM, sauce="x")]}, False),
    ("unknown section", {"clams": []}, False),
    ("citations as text", {"claims": [_with(CLAIM, citations="src-000")]}, False),
    ("urgency off the scale", {"rules": [_with(RULE, urgency="soonish")]}, False),
    ("unknown operator", {"rules": [_with(RULE, when={"maybe": {"finding": "x"}})]}, False),
    ("empty all", {"rules": [_with(RULE, when={"all": []})]}, False),
    ("bad side test", {"rules": [_with(RULE, when={"side": "middle"})]}, False),
    ("bad version", {"guideline": {"id": "g", "title": "G", "version": "1.0", "policy": POLICY}}, False),
    ("bad review date", {"sources": [{**SOURCE, "last_reviewed": "2026-13-45"}]}, False),
    ("valid review date", {"sources": [{**SOURCE, "last_reviewed": "2026-07-05"}]}, True),
]


@pytest.mark.parametrize(("doc", "valid"), [(d, v) for _, d, v in CASES], ids=[n for n, _, _ in CASES])
def test_pydantic_and_jsonschema_agree(doc: dict[str, Any], valid: bool) -> None:
    assert _verdicts(doc) == (valid, valid)


FORMER_GAPS: list[tuple[str, dict[str, Any]]] = [
    (
        "excerpt over 30 words",
        {"claims": [_with(CLAIM, citations=[{**CLAIM["citations"][0], "excerpt": " ".join(["w"] * 31)}])]},
    ),
    ("whitespace-only statement", {"claims": [_with(CLAIM, statement="   ")]}),
]


@pytest.mark.parametrize("doc", [d for _, d in FORMER_GAPS], ids=[n for n, _ in FORMER_GAPS])
def test_schema_enforces_the_excerpt_limit_and_non_blank_text_like_pydantic(doc: dict[str, Any]) -> None:
    assert _verdicts(doc) == (False, False)
