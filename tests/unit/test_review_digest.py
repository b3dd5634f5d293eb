"""The content digest binds meaning, not bytes: scenario + cited claims, canonical JSON."""

from __future__ import annotations

import json

import pytest

from calfspec._internal.errors import UnknownIdError
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.scenario import Scenario
from calfspec._internal.review.digest import (
    canonical_json,
    cited_claim_ids,
    content_digest,
    content_snapshot,
    diff_snapshots,
    snapshot_digest,
)
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import SCENARIOS_DIR


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


@pytest.fixture(scope="module")
def scenario(guideline: GuidelineIndex) -> Scenario:
    items = load_scenarios(SCENARIOS_DIR, guideline)
    return next(i.scenario for i in items if i.scenario.covers.red_flags)


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_utf8() -> None:
    text = canonical_json({"b": 1, "a": ["é", {"d": None, "c": 2.5}]})
    assert text == '{"a":["é",{"c":2.5,"d":null}],"b":1}'.encode()


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_cited_claims_include_those_of_covered_rules(scenario: Scenario, guideline: GuidelineIndex) -> None:
    cited = cited_claim_ids(scenario, guideline)
    assert set(scenario.expect.claims) <= set(cited)
    for rule_id in scenario.covers.red_flags:
        assert set(guideline.rules[rule_id].claims) <= set(cited)
    assert list(cited) == sorted(set(cited))


def test_digest_ignores_key_order_of_the_source_data(scenario: Scenario, guideline: GuidelineIndex) -> None:
    data = scenario.model_dump(mode="json")
    reordered = json.loads(json.dumps(dict(reversed(list(data.items())))))
    again = Scenario.model_validate(reordered)
    assert content_digest(again, guideline) == content_digest(scenario, guideline)


def test_digest_changes_with_any_change_of_meaning(scenario: Scenario, guideline: GuidelineIndex) -> None:
    base = content_digest(scenario, guideline)
    edits = [
        scenario.model_copy(update={"title": scenario.title + "!"}),
        scenario.model_copy(update={"narrative": scenario.narrative + " Also my foot hurts."}),
        scenario.model_copy(update={"tags": (*scenario.tags, "extra")}),
    ]
    digests = {content_digest(s, guideline) for s in edits}
    assert base not in digests
    assert len(digests) == len(edits)


def test_digest_changes_when_a_cited_claim_changes(scenario: Scenario, guideline: GuidelineIndex) -> None:
    claim_id = cited_claim_ids(scenario, guideline)[0]
    snapshot = content_snapshot(scenario, guideline)
    claims = dict(snapshot["claims"])  # type: ignore[arg-type]
    claims[claim_id] = {**claims[claim_id], "statement": "reworded"}  # type: ignore[dict-item]
    changed = {**snapshot, "claims": claims}
    assert snapshot_digest(changed) != snapshot_digest(snapshot)
    assert [c.path for c in diff_snapshots(snapshot, changed)] == [f"claims.{claim_id}.statement"]


def test_digest_is_sha256_of_the_canonical_snapshot(scenario: Scenario, guideline: GuidelineIndex) -> None:
    import hashlib

    snap = content_snapshot(scenario, guideline)
    assert content_digest(scenario, guideline) == "sha256:" + hashlib.sha256(canonical_json(snap)).hexdigest()


def test_unknown_covered_rule_is_named(scenario: Scenario, guideline: GuidelineIndex) -> None:
    broken = scenario.model_copy(update={"covers": scenario.covers.model_copy(update={"red_flags": ("no-such-rule",)})})
    with pytest.raises(UnknownIdError, match="no-such-rule"):
        content_digest(broken, guideline)


def test_diff_reports_changed_added_and_removed_fields() -> None:
    old = {"scenario": {"expect": {"urgency": {"min": "urgent"}, "claims": ["a", "b"]}, "notes": "x"}}
    new = {"scenario": {"expect": {"urgency": {"min": "routine"}, "claims": ["a", "c", "b"]}, "tags": ["t"]}}
    changes = {c.path: c for c in diff_snapshots(old, new)}  # type: ignore[arg-type]
    assert changes["scenario.expect.urgency.min"].render() == 'scenario.expect.urgency.min: "urgent" -> "routine"'
    # A list of ids is one change, not a cascade of shifted indices.
    assert changes["scenario.expect.claims"].kind == "changed"
    assert changes["scenario.notes"].kind == "removed"
    assert changes["scenario.tags"].kind == "added"
    assert len(changes) == 4
