"""Which scenarios stand approved: each sign-off record checked, each scenario given a status.

A record is *valid* when its reviewer is registered with the role it claims,
its digest is the hash of the content it carries, its date is not in the
future, no other record by the same reviewer covers the same content, and its
OpenSSH signature verifies with a key registered for that reviewer. Anything
else makes it *invalid*, with the reasons.

A scenario is then:

* ``approved``: a valid approval matches its current digest and no valid
  record on that content requests changes;
* ``changes_requested``: a valid record on the current content requests changes;
* ``stale``: valid records exist, but all for earlier content (the scenario or a
  claim behind it changed since); the changes are listed against the last
  approved version;
* ``unsigned``: no record at all;
* ``invalid``: some record for it is invalid (a forged or edited approval is
  never quietly ignored).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import JsonValue

from ..guideline import GuidelineIndex
from ..models.scenario import Scenario
from .digest import Change, content_snapshot, diff_snapshots, snapshot_digest
from .models import Decision, ReviewerRegistry, SignOff, latest_signing_date
from .signing import SignatureVerifier, signed_payload
from .store import REVIEWERS_FILE, SIGNOFFS_DIR, RecordFile, load_records, load_registry, review_root

__all__ = [
    "RecordReport",
    "RecordStatus",
    "ReviewReport",
    "ScenarioReport",
    "ScenarioStatus",
    "approved_scenario_ids",
    "check_records",
    "review_scenarios",
]


class RecordStatus(StrEnum):
    """What one record is worth."""

    CURRENT = "current"
    """Valid, and about the scenario's content as it is now."""
    OUTDATED = "outdated"
    """Valid, but about earlier content."""
    ORPHAN = "orphan"
    """Valid, but no scenario with that id exists any more."""
    INVALID = "invalid"


class ScenarioStatus(StrEnum):
    """A scenario's review status (see the module docstring)."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    STALE = "stale"
    UNSIGNED = "unsigned"
    INVALID = "invalid"


@dataclass(frozen=True)
class RecordReport:
    """One record file and what it is worth."""

    path: Path
    record: SignOff | None
    status: RecordStatus
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioReport:
    """A scenario's status, the records behind it and, when stale, what changed."""

    scenario_id: str
    path: Path | None
    status: ScenarioStatus
    digest: str
    snapshot: dict[str, JsonValue]
    approvers: tuple[str, ...] = ()
    requested_changes: tuple[RecordReport, ...] = ()
    invalid: tuple[RecordReport, ...] = ()
    last_approved: RecordReport | None = None
    """The latest valid approval of *earlier* content, if the content changed since."""
    changes: tuple[Change, ...] = ()
    """Changes from ``last_approved`` (or the latest valid record) to the current content."""


@dataclass(frozen=True)
class ReviewReport:
    """The review state of a whole suite."""

    scenarios: tuple[ScenarioReport, ...]
    records: tuple[RecordReport, ...]
    guideline_version: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)

    def policy_failures(self, *, require_approved: bool = False, quorum: int = 1) -> list[str]:
        """Why the policy is not met, one line per scenario or record; empty when it is.

        Invalid records always fail. With ``require_approved``, every scenario must
        be approved by at least ``quorum`` distinct reviewers.
        """
        failures = [
            f"{r.path}: invalid sign-off record: {'; '.join(r.problems)}"
            for r in self.records
            if r.status is RecordStatus.INVALID
        ]
        if require_approved:
            for s in self.scenarios:
                where = f"{s.path}: " if s.path is not None else ""
                if s.status is ScenarioStatus.APPROVED:
                    if len(s.approvers) < quorum:
                        failures.append(
                            f"{where}{s.scenario_id}: approved by {len(s.approvers)} of the "
                            f"{quorum} reviewers required ({', '.join(s.approvers)})"
                        )
                    continue
                failures.append(f"{where}{s.scenario_id}: {s.status.value}{_why(s)}")
        return failures


def _why(s: ScenarioReport) -> str:
    if s.status is ScenarioStatus.STALE:
        return f" (content changed since sign-off; {len(s.changes)} change(s))"
    if s.status is ScenarioStatus.CHANGES_REQUESTED:
        who = ", ".join(r.record.reviewer for r in s.requested_changes if r.record is not None)
        return f" (by {who})"
    if s.status is ScenarioStatus.INVALID:
        return " (" + "; ".join(f"{r.path.name}: {', '.join(r.problems)}" for r in s.invalid) + ")"
    if s.status is ScenarioStatus.UNSIGNED:
        return " (no sign-off record)"
    return ""


def check_records(
    files: Iterable[RecordFile],
    registry: ReviewerRegistry,
    *,
    today: dt.date | None = None,
) -> list[tuple[RecordFile, tuple[str, ...]]]:
    """Check every record on its own and against the others; pair each with its problems.

    An empty tuple of problems means the record is valid. Signatures are checked
    with the real ``ssh-keygen`` against an allowed-signers file built from
    ``registry``.
    """
    files = list(files)
    today = today or dt.date.today()
    problems: dict[Path, list[str]] = {f.path: [f.problem] if f.problem else [] for f in files}
    records = [f for f in files if f.record is not None]
    verifier: SignatureVerifier | None = None
    try:
        for f in records:
            rec = f.record
            assert rec is not None
            found = problems[f.path]
            reviewer = registry.get(rec.reviewer)
            if reviewer is None:
                found.append(f"unknown reviewer {rec.reviewer!r} (not in the reviewers registry)")
            elif reviewer.role is not rec.role:
                found.append(
                    f"wrong role: the record says {rec.role.value!r}, "
                    f"the registry has {reviewer.id!r} as {reviewer.role.value!r}"
                )
            if snapshot_digest(rec.content) != rec.digest:
                found.append("the digest does not match the content the record carries (edited by hand)")
            scenario = rec.content.get("scenario")
            if not isinstance(scenario, dict) or scenario.get("id") != rec.scenario_id:
                found.append("the recorded content is not scenario " + repr(rec.scenario_id))
            if rec.date > latest_signing_date(today):
                found.append(f"dated in the future ({rec.date.isoformat()})")
            if reviewer is not None:
                if verifier is None:
                    verifier = SignatureVerifier(registry)
                check = verifier.verify(signed_payload(rec.unsigned()), rec.signature.value, rec.reviewer)
                if not check.ok and check.problem:
                    found.append(check.problem)
    finally:
        if verifier is not None:
            verifier.close()

    # One reviewer, one decision per content: a second record would let one person
    # count twice towards a quorum, or leave it unclear which decision stands.
    groups: dict[tuple[str, str, str], list[RecordFile]] = defaultdict(list)
    for f in records:
        assert f.record is not None
        groups[(f.record.scenario_id, f.record.reviewer, f.record.digest)].append(f)
    for (scenario_id, reviewer_id, _), same in groups.items():
        if len(same) > 1:
            names = ", ".join(g.path.name for g in same)
            for g in same:
                problems[g.path].append(
                    f"duplicate sign-off: {reviewer_id!r} signed the same content of "
                    f"{scenario_id!r} more than once ({names}); keep one record"
                )
    return [(f, tuple(problems[f.path])) for f in files]


def _latest(reports: Iterable[RecordReport]) -> RecordReport | None:
    dated = [(r.record.date, str(r.path), r) for r in reports if r.record is not None]
    return max(dated, key=lambda t: (t[0], t[1]))[2] if dated else None


def review_scenarios(
    scenarios: Sequence[Scenario],
    guideline: GuidelineIndex,
    registry: ReviewerRegistry,
    records: Iterable[RecordFile],
    *,
    paths: Mapping[str, Path] | None = None,
    today: dt.date | None = None,
) -> ReviewReport:
    """Check every record and give every scenario its review status."""
    paths = paths or {}
    checked = check_records(records, registry, today=today)
    current: dict[str, tuple[str, dict[str, JsonValue]]] = {}
    for s in scenarios:
        snap = content_snapshot(s, guideline)
        current[s.id] = (snapshot_digest(snap), snap)

    record_reports: list[RecordReport] = []
    by_scenario: dict[str, list[RecordReport]] = defaultdict(list)
    for f, problems in checked:
        rec = f.record
        if problems or rec is None:
            status = RecordStatus.INVALID
        elif rec.scenario_id not in current:
            status = RecordStatus.ORPHAN
        elif rec.digest == current[rec.scenario_id][0]:
            status = RecordStatus.CURRENT
        else:
            status = RecordStatus.OUTDATED
        report = RecordReport(f.path, rec, status, problems)
        record_reports.append(report)
        if rec is not None:
            by_scenario[rec.scenario_id].append(report)

    out: list[ScenarioReport] = []
    for s in scenarios:
        digest, snap = current[s.id]
        mine = by_scenario.get(s.id, [])
        invalid = tuple(r for r in mine if r.status is RecordStatus.INVALID)
        now = [r for r in mine if r.status is RecordStatus.CURRENT]
        old = [r for r in mine if r.status is RecordStatus.OUTDATED]
        approvers = tuple(
            sorted({r.record.reviewer for r in now if r.record and r.record.decision is Decision.APPROVED})
        )
        requested = tuple(r for r in now if r.record and r.record.decision is Decision.CHANGES_REQUESTED)
        last_ok = _latest(r for r in old if r.record and r.record.decision is Decision.APPROVED)
        base = last_ok or _latest(old)
        if invalid:
            verdict = ScenarioStatus.INVALID
        elif requested:
            verdict = ScenarioStatus.CHANGES_REQUESTED
        elif approvers:
            verdict = ScenarioStatus.APPROVED
        elif old:
            verdict = ScenarioStatus.STALE
        else:
            verdict = ScenarioStatus.UNSIGNED
        changes: tuple[Change, ...] = ()
        if base is not None and base.record is not None and not approvers:
            changes = tuple(diff_snapshots(base.record.content, snap))
        out.append(
            ScenarioReport(
                scenario_id=s.id,
                path=paths.get(s.id),
                status=verdict,
                digest=digest,
                snapshot=snap,
                approvers=approvers,
                requested_changes=requested,
                invalid=invalid,
                last_approved=last_ok if not approvers else None,
                changes=changes,
            )
        )
    counts: dict[str, int] = {st.value: 0 for st in ScenarioStatus}
    for rep in out:
        counts[rep.status.value] += 1
    return ReviewReport(
        scenarios=tuple(out),
        records=tuple(record_reports),
        guideline_version=guideline.meta.version,
        counts=counts,
    )


def approved_scenario_ids(
    scenarios: Sequence[Scenario],
    guideline: GuidelineIndex,
    scenarios_path: Path | None = None,
    *,
    quorum: int = 1,
    registry: ReviewerRegistry | None = None,
    records: Iterable[RecordFile] | None = None,
) -> set[str]:
    """Ids of the scenarios approved, as they are now, by at least ``quorum`` reviewers.

    This is what ``calfspec run --require-approved`` runs; every other scenario
    is left out (stale, unsigned, invalid or with changes requested). The
    registry and records are read from beside ``scenarios_path`` (see
    :func:`~calfspec._internal.review.store.review_root`) unless given.
    """
    if registry is None or records is None:
        root = review_root(scenarios_path)
        if registry is None:
            reviewers = root / REVIEWERS_FILE
            registry = load_registry(reviewers) if reviewers.is_file() else ReviewerRegistry()
        if records is None:
            records = load_records(root / SIGNOFFS_DIR)
    report = review_scenarios(scenarios, guideline, registry, records)
    return {
        s.scenario_id for s in report.scenarios if s.status is ScenarioStatus.APPROVED and len(s.approvers) >= quorum
    }
