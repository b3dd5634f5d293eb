"""Record checks and scenario statuses, through the library API with real ssh-keygen keys."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from calfspec._internal.errors import InputError
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.scenario import Scenario
from calfspec._internal.review.models import Decision, Reviewer, ReviewerRegistry, Role, SignOff
from calfspec._internal.review.signing import allowed_signers, create_signoff
from calfspec._internal.review.store import load_records, record_json, write_record
from calfspec._internal.review.verify import RecordStatus, ScenarioStatus, approved_scenario_ids, review_scenarios
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import SCENARIOS_DIR, require_tool

TODAY = dt.date(2025, 3, 1)


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


@pytest.fixture(scope="module")
def scenarios(guideline: GuidelineIndex) -> list[Scenario]:
    return [i.scenario for i in load_scenarios(SCENARIOS_DIR, guideline)[:3]]


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    tool = require_tool("ssh-keygen")
    out = {}
    for name in ("alice", "bob"):
        key = tmp_path / name
        subprocess.run([tool, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        out[name] = key
    return out


@pytest.fixture
def registry(keys: dict[str, Path]) -> ReviewerRegistry:
    return ReviewerRegistry(
        reviewers=(
            Reviewer(
                id="alice", name="A", role=Role.CLINICIAN, public_keys=(keys["alice"].with_suffix(".pub").read_text(),)
            ),
            Reviewer(
                id="bob",
                name="B",
                role=Role.CLINICAL_SAFETY_OFFICER,
                public_keys=(keys["bob"].with_suffix(".pub").read_text(),),
            ),
        )
    )


def _sign(
    s: Scenario,
    g: GuidelineIndex,
    reg: ReviewerRegistry,
    keys: dict[str, Path],
    who: str,
    folder: Path,
    decision: Decision = Decision.APPROVED,
    date: dt.date = TODAY,
) -> Path:
    return write_record(folder, _record(s, g, reg, keys, who, decision=decision, date=date))


def _record(
    s: Scenario,
    g: GuidelineIndex,
    reg: ReviewerRegistry,
    keys: dict[str, Path],
    who: str,
    *,
    key_of: str | None = None,
    decision: Decision = Decision.APPROVED,
    date: dt.date = TODAY,
) -> SignOff:
    """``who``'s signed record on ``s`` (signed with ``key_of``'s key, by default their own)."""
    return create_signoff(s, g, reg, reviewer_id=who, key=keys[key_of or who], decision=decision, date=date)


def test_allowed_signers_lists_each_key_with_the_reviewer_as_principal(registry: ReviewerRegistry) -> None:
    lines = [ln for ln in allowed_signers(registry).splitlines() if not ln.startswith("#")]
    assert [ln.split()[0] for ln in lines] == ["alice", "bob"]
    assert all('namespaces="calfspec-signoff"' in ln for ln in lines)


def test_statuses_approved_unsigned_and_stale(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    a, b, c = scenarios
    _sign(a, guideline, registry, keys, "alice", tmp_path)
    _sign(b, guideline, registry, keys, "alice", tmp_path)
    edited_b = b.model_copy(update={"narrative": b.narrative + " It started yesterday."})
    report = review_scenarios([a, edited_b, c], guideline, registry, load_records(tmp_path), today=TODAY)
    status = {s.scenario_id: s for s in report.scenarios}
    assert status[a.id].status is ScenarioStatus.APPROVED
    assert status[a.id].approvers == ("alice",)
    assert status[b.id].status is ScenarioStatus.STALE
    assert [ch.path for ch in status[b.id].changes] == ["scenario.narrative"]
    assert status[b.id].last_approved is not None
    assert status[c.id].status is ScenarioStatus.UNSIGNED
    assert report.policy_failures() == []
    failing = report.policy_failures(require_approved=True)
    assert len(failing) == 2
    assert any(f"{b.id}: stale" in f for f in failing)
    assert any(f"{c.id}: unsigned" in f for f in failing)


def test_approved_scenario_ids_counts_only_current_valid_approvals(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    a, b, c = scenarios
    _sign(a, guideline, registry, keys, "alice", tmp_path)
    _sign(a, guideline, registry, keys, "bob", tmp_path)
    _sign(b, guideline, registry, keys, "alice", tmp_path)
    _sign(c, guideline, registry, keys, "alice", tmp_path, decision=Decision.CHANGES_REQUESTED)
    records = load_records(tmp_path)
    ids = approved_scenario_ids(scenarios, guideline, registry=registry, records=records)
    assert ids == {a.id, b.id}
    assert approved_scenario_ids(scenarios, guideline, registry=registry, records=records, quorum=2) == {a.id}


def test_approved_scenario_ids_reads_registry_and_records_beside_the_scenarios(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    from ruamel.yaml import YAML

    root = tmp_path / "suite"
    (root / "cases").mkdir(parents=True)
    YAML().dump(registry.model_dump(mode="json"), (root / "reviewers.yaml").open("w"))
    _sign(scenarios[0], guideline, registry, keys, "alice", root / "signoffs")
    assert approved_scenario_ids(scenarios, guideline, root / "cases") == {scenarios[0].id}
    # No registry anywhere near: nothing is approved.
    assert approved_scenario_ids(scenarios, guideline, tmp_path / "elsewhere") == set()


def test_future_dated_record_is_invalid(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    _sign(scenarios[0], guideline, registry, keys, "alice", tmp_path, date=TODAY + dt.timedelta(days=30))
    report = review_scenarios(scenarios, guideline, registry, load_records(tmp_path), today=TODAY)
    (record,) = report.records
    assert record.status is RecordStatus.INVALID
    assert any("dated in the future" in p for p in record.problems)


def test_unreadable_record_file_is_invalid_not_a_crash(
    tmp_path: Path, guideline: GuidelineIndex, scenarios: list[Scenario], registry: ReviewerRegistry
) -> None:
    (tmp_path / "broken.json").write_text("{ not json")
    (tmp_path / "wrong-shape.json").write_text('{"kind": "calfspec-signoff"}')
    report = review_scenarios(scenarios, guideline, registry, load_records(tmp_path), today=TODAY)
    problems = {r.path.name: r.problems for r in report.records}
    assert "not valid JSON" in problems["broken.json"][0]
    assert "not a sign-off record" in problems["wrong-shape.json"][0]
    assert len(report.policy_failures()) == 2


def test_record_for_a_removed_scenario_is_an_orphan(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    _sign(scenarios[0], guideline, registry, keys, "alice", tmp_path)
    report = review_scenarios(scenarios[1:], guideline, registry, load_records(tmp_path), today=TODAY)
    assert [r.status for r in report.records] == [RecordStatus.ORPHAN]
    assert report.policy_failures() == []


def test_signing_for_an_unknown_reviewer_is_refused(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    with pytest.raises(InputError, match="unknown reviewer 'carol'"):
        _record(scenarios[0], guideline, registry, keys, "carol", key_of="alice")


def test_write_record_never_overwrites(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    record = _record(scenarios[0], guideline, registry, keys, "alice")
    first = write_record(tmp_path / "signoffs", record)
    second = write_record(tmp_path / "signoffs", record)
    assert first != second
    assert first.read_text() == second.read_text() == record_json(record)
    assert sorted(p.name for p in (tmp_path / "signoffs").iterdir()) == sorted([first.name, second.name])


def test_signing_with_a_date_in_the_future_is_refused(
    guideline: GuidelineIndex, scenarios: list[Scenario], registry: ReviewerRegistry, keys: dict[str, Path]
) -> None:
    # verify would reject such a record; signing refuses to make it (a day of slack for time zones).
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    ok = _record(scenarios[0], guideline, registry, keys, "alice", date=tomorrow)
    assert ok.date == tomorrow
    with pytest.raises(InputError) as err:
        _record(
            scenarios[0],
            guideline,
            registry,
            keys,
            "alice",
            date=tomorrow + dt.timedelta(days=1),
        )
    assert err.value.code == "bad-date"


def test_write_record_into_a_folder_that_cannot_be_made_is_an_input_error(
    tmp_path: Path,
    guideline: GuidelineIndex,
    scenarios: list[Scenario],
    registry: ReviewerRegistry,
    keys: dict[str, Path],
) -> None:
    record = _record(scenarios[0], guideline, registry, keys, "alice")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(InputError) as err:
        write_record(blocker / "signoffs", record)
    assert err.value.code == "signoffs-unwritable"
    assert err.value.path == str(blocker / "signoffs")
