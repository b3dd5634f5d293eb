"""Generate the JSON Schemas (Draft 2020-12) of calfspec's public models.

Consumers outside Python (implementations in other languages, CI tools) rely
on these files, so they are generated from the models, committed in
``schemas/``, and checked by ``calfspec schema --check``. Where a field holds a
guideline id (finding, pathway, advice, condition), the schema lists the ids of
the bundled guideline, so a schema validator alone catches unknown ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from .guideline import GuidelineIndex
from .models import guideline as gm
from .models.results import RunResult
from .models.scenario import Scenario
from .models.triage import QUESTION_FIELDS, TriageDecision, TriageRequest
from .review.models import ReviewerRegistry, SignOff

__all__ = ["SCHEMA_BASE", "SCHEMA_MODELS", "generate_schemas", "render_schema"]

SCHEMA_BASE = "https://calfspec.dev/schemas/v1/"
"""Stable prefix of every schema's ``$id``."""

DRAFT = "https://json-schema.org/draft/2020-12/schema"

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "guideline-file": gm.GuidelineFile,
    "guideline": gm.Guideline,
    "source": gm.Source,
    "claim": gm.Claim,
    "finding": gm.Finding,
    "condition": gm.Condition,
    "rule": gm.Rule,
    "pathway": gm.Pathway,
    "advice": gm.Advice,
    "conflict": gm.Conflict,
    "exclusion": gm.Exclusion,
    "triage-request": TriageRequest,
    "triage-decision": TriageDecision,
    "scenario": Scenario,
    "run-result": RunResult,
    "signoff": SignOff,
    "reviewers": ReviewerRegistry,
}
"""Schema file stem -> model. Each becomes ``schemas/<stem>.schema.json``."""


def _walk(node: Any, fn: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, list):
        for value in node:
            _walk(value, fn)


def _enum_ids(schema: dict[str, Any], guideline: GuidelineIndex) -> None:
    # Deprecated aliases stay valid ids: an implementation or scenario written for an older
    # protocol version still validates (the alias is read as its replacements).
    def ids(section: str, current: Iterable[str]) -> list[str]:
        return sorted({*current, *(old for (sec, old) in guideline.aliases if sec == section)})

    findings = ids("findings", guideline.findings)
    pathways = ids("pathways", guideline.pathways)
    advice = ids("advice", guideline.advice)
    conditions = ids("conditions", guideline.conditions)
    defs = schema.get("$defs", {})
    for title, target in ((schema.get("title"), schema), *((name, d) for name, d in defs.items())):
        props = target.get("properties", {})
        if title in ("Presentation", "TriageRequest") and "findings" in props:
            props["findings"]["propertyNames"] = {"enum": findings}
        if title == "Scenario" and "reveal_on_ask" in props:
            props["reveal_on_ask"]["propertyNames"] = {"enum": sorted({*findings, "side", "pregnant"})}
        if title == "TriageDecision":
            props["pathways"]["items"] = {"enum": pathways}
            props["advice"]["items"] = {"enum": advice}
            props["conditions"]["items"] = {"enum": conditions}
            props["questions"]["items"] = {"enum": sorted({*findings, *QUESTION_FIELDS})}


def render_schema(stem: str, model: type[BaseModel], guideline: GuidelineIndex | None) -> str:
    """The schema text for one model, exactly as committed (sorted keys, 2-space indent)."""
    schema = model.model_json_schema(mode="validation")
    if guideline is not None and stem in ("triage-request", "triage-decision", "scenario", "run-result"):
        _enum_ids(schema, guideline)
    out = {"$schema": DRAFT, "$id": f"{SCHEMA_BASE}{stem}.schema.json", **schema}
    return json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_schemas(guideline: GuidelineIndex | None = None) -> dict[str, str]:
    """File name -> schema text for every public model."""
    return {
        f"{stem}.schema.json": render_schema(stem, model, guideline) for stem, model in sorted(SCHEMA_MODELS.items())
    }
