"""Content digests: what exactly a reviewer approved.

The digest is the SHA-256 of the canonical JSON of a *snapshot*: the parsed
scenario (``model_dump(mode="json")``) and every guideline claim it cites, both
directly (``expect.claims``) and through the rules it covers
(``covers.red_flags`` and ``covers.near_miss``). Canonical JSON means sorted
keys, no insignificant whitespace, UTF-8. Because the snapshot is taken from
the parsed model and not from YAML bytes, reordering keys, re-indenting or
editing comments keeps the digest; any change of meaning, in the scenario or
in a claim behind it, changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from ..errors import UnknownIdError
from ..guideline import GuidelineIndex
from ..models.scenario import Scenario

__all__ = [
    "Change",
    "canonical_json",
    "cited_claim_ids",
    "content_digest",
    "content_snapshot",
    "diff_snapshots",
    "snapshot_digest",
]


def canonical_json(value: object) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8 (not ASCII-escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def cited_claim_ids(scenario: Scenario, guideline: GuidelineIndex) -> tuple[str, ...]:
    """Claims a scenario rests on: its own ``expect.claims`` plus those of the rules it covers.

    Sorted and without repeats. An unknown rule in ``covers`` raises
    :class:`UnknownIdError` (a digest over a missing rule would bind nothing).
    """
    ids = set(scenario.expect.claims)
    for rule_id in (*scenario.covers.red_flags, *scenario.covers.near_miss):
        rule = guideline.rules.get(rule_id)
        if rule is None:
            raise UnknownIdError(
                f"scenario {scenario.id!r} covers unknown rule {rule_id!r}",
                hint="fix the rule id in the scenario's `covers`",
            )
        ids.update(rule.claims)
    return tuple(sorted(ids))


def content_snapshot(scenario: Scenario, guideline: GuidelineIndex) -> dict[str, JsonValue]:
    """The JSON content a sign-off binds: ``{"scenario": ..., "claims": {id: claim}}``."""
    claims: dict[str, JsonValue] = {}
    for claim_id in cited_claim_ids(scenario, guideline):
        claim = guideline.claims.get(claim_id)
        if claim is None:
            raise UnknownIdError(
                f"scenario {scenario.id!r} cites unknown claim {claim_id!r}",
                hint="fix the claim id, or define the claim in guideline/",
            )
        claims[claim_id] = claim.model_dump(mode="json")
    return {"scenario": scenario.model_dump(mode="json"), "claims": claims}


def snapshot_digest(snapshot: Mapping[str, JsonValue]) -> str:
    """``sha256:<hex>`` of a snapshot's canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical_json(snapshot)).hexdigest()


def content_digest(scenario: Scenario, guideline: GuidelineIndex) -> str:
    """The digest of a scenario and the claims it cites (see the module docstring)."""
    return snapshot_digest(content_snapshot(scenario, guideline))


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots, at a dotted path.

    ``old`` is None for an addition and ``new`` None for a removal; values are
    rendered as compact JSON so a clinician sees ``"urgent"`` vs ``"routine"``.
    """

    path: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def render(self) -> str:
        """One line: ``path: old -> new``."""
        if self.old is None:
            return f"{self.path}: added {self.new}"
        if self.new is None:
            return f"{self.path}: removed (was {self.old})"
        return f"{self.path}: {self.old} -> {self.new}"


def _flatten(value: JsonValue, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list) and value and all(not isinstance(v, dict | list) for v in value):
        # Lists of ids are compared as a whole: an inserted id is one change, not a
        # cascade of shifted indices.
        out[prefix] = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}[{i}]", out)
    else:
        out[prefix] = json.dumps(value, ensure_ascii=False)


def diff_snapshots(old: Mapping[str, JsonValue], new: Mapping[str, JsonValue]) -> list[Change]:
    """Field-by-field changes from ``old`` to ``new``, in path order."""
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    _flatten(dict(old), "", a)
    _flatten(dict(new), "", b)
    changes = []
    for path in sorted(a.keys() | b.keys()):
        if a.get(path) != b.get(path):
            changes.append(Change(path, a.get(path), b.get(path)))
    return changes
