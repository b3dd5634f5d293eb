"""End to end: sign, verify, tamper, re-sign and render, with real ssh-keygen keys and the real CLI.

Each test builds a throwaway review repository: two scenarios copied from the
shipped suite, a reviewers registry holding keys generated here, and a
sign-offs folder the CLI writes into. Nothing in the checkout is touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from calfspec._internal.models.urgency import URGENCY_ORDER
from calfspec._internal.scenarios import scenario_files
from tests.conftest import SCENARIOS_DIR, require_tool
from tests.fixtures.results.browser import dump_dom

CALFSPEC = str(Path(sys.executable).parent / "calfspec")

pytestmark = pytest.mark.needs_tool


@dataclass
class Repo:
    """A temporary review repository."""

    root: Path
    keys: dict[str, Path]

    @property
    def scenarios(self) -> Path:
        return self.root / "scenarios"

    @property
    def signoffs(self) -> Path:
        return self.scenarios / "signoffs"

    def cases(self) -> list[Path]:
        return sorted((self.scenarios / "cases").glob("*.yaml"))

    def calfspec(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CALFSPEC, *args], cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )

    def review(self, sub: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.calfspec("review", sub, "--scenarios", str(self.scenarios), *args)

    def sign(self, reviewer: str, *ids: str, key: str | None = None, extra: tuple[str, ...] = ()) -> None:
        proc = self.review("sign", *ids, "--reviewer", reviewer, "--key", str(self.keys[key or reviewer]), *extra)
        assert proc.returncode == 0, proc.stderr

    def records(self) -> list[Path]:
        return sorted(self.signoffs.glob("*.json"))


def _keygen(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(
        [require_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def _registry(repo: Repo, entries: list[tuple[str, str, list[str]]]) -> None:
    reviewers = []
    for rid, role, keys in entries:
        reviewers.append(
            {
                "id": rid,
                "name": f"Test reviewer {rid}",
                "role": role,
                "public_keys": [(repo.keys[k].with_suffix(".pub")).read_text().strip() for k in keys],
            }
        )
    yaml = YAML()
    with (repo.scenarios / "reviewers.yaml").open("w") as fh:
        yaml.dump({"reviewers": reviewers}, fh)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Two shipped scenarios, reviewers alice (clinician) and bob (clinical safety officer)."""
    require_tool("ssh-keygen")
    cases = tmp_path / "repo" / "scenarios" / "cases"
    cases.mkdir(parents=True)
    shipped = scenario_files(SCENARIOS_DIR)
    assert len(shipped) >= 2, "the shipped suite has fewer than two scenarios"
    for src in shipped[:2]:
        shutil.copy(src, cases / src.name)
    keydir = tmp_path / "keys"
    keydir.mkdir()
    keys = {name: _keygen(keydir, name) for name in ("alice", "bob", "mallory")}
    r = Repo(tmp_path / "repo", keys)
    _registry(r, [("alice", "clinician", ["alice"]), ("bob", "clinical-safety-officer", ["bob"])])
    return r


def _ids(repo: Repo) -> list[str]:
    yaml = YAML(typ="safe")
    return [yaml.load(p.read_text())["id"] for p in repo.cases()]


def _verify_json(repo: Repo, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = repo.review("verify", "--json", *args)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _status(report: dict[str, Any], scenario_id: str) -> str:
    status = next(s["status"] for s in report["scenarios"] if s["id"] == scenario_id)
    assert isinstance(status, str)
    return status


def test_two_signed_scenarios_meet_require_approved(repo: Repo) -> None:
    ids = _ids(repo)
    before = {p: p.read_bytes() for p in repo.cases()}
    repo.sign("alice", *ids, extra=("--comment", "checked against both sources"))
    proc = repo.review("verify", "--require", "approved")
    assert proc.returncode == 0, proc.stderr
    assert "review policy met" in proc.stderr
    assert len(repo.records()) == 2
    # Signing never rewrites a scenario.
    assert {p: p.read_bytes() for p in repo.cases()} == before


def test_unsigned_suite_fails_require_approved_and_names_each_scenario(repo: Repo) -> None:
    proc = repo.review("verify", "--require", "approved")
    assert proc.returncode == 1
    for sid in _ids(repo):
        assert f"{sid}: unsigned" in proc.stderr
    # Without a requirement, unsigned is reported but is not a failure.
    assert repo.review("verify").returncode == 0


def _edit_yaml(path: Path, edit: object) -> None:
    yaml = YAML()
    data = yaml.load(path.read_text())
    assert callable(edit)
    edit(data)
    with path.open("w") as fh:
        yaml.dump(data, fh)


def test_editing_expected_urgency_makes_the_scenario_stale_with_the_diff(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids)
    target = repo.cases()[0]
    changed: dict[str, str] = {}

    def lower_min(data: dict[str, dict[str, dict[str, str]]]) -> None:
        rng = data["expect"]["urgency"]
        old = rng["min"]
        rank = [u.value for u in URGENCY_ORDER].index(old)
        new = URGENCY_ORDER[rank - 1].value if rank > 0 else URGENCY_ORDER[rank + 1].value
        if rank == 0:  # the lowest: widen upwards instead, keeping min <= max
            rng["max"] = URGENCY_ORDER[max(rank + 1, [u.value for u in URGENCY_ORDER].index(rng["max"]))].value
            changed.update(path="scenario.expect.urgency.max", new=rng["max"])
        else:
            rng["min"] = new
            changed.update(path="scenario.expect.urgency.min", old=old, new=new)

    _edit_yaml(target, lower_min)
    code, report, stderr = _verify_json(repo, "--require", "approved")
    assert code == 1
    assert _status(report, ids[0]) == "stale"
    assert _status(report, ids[1]) == "approved"
    assert f"{ids[0]}: stale" in stderr
    assert changed["path"] in stderr  # the diff names the field ...
    assert f'"{changed["new"]}"' in stderr  # ... and the new value
    scenario = next(s for s in report["scenarios"] if s["id"] == ids[0])
    assert [c["path"] for c in scenario["changes"]] == [changed["path"]]


def test_reformatting_the_yaml_keeps_the_approval(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids)
    target = repo.cases()[0]
    yaml = YAML(typ="safe")
    data = yaml.load(target.read_text())

    def reorder(value: object) -> object:
        if isinstance(value, dict):
            return {k: reorder(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reorder(v) for v in value]
        return value

    out = YAML()
    out.indent(mapping=4, sequence=6, offset=4)
    out.default_flow_style = False
    with target.open("w") as fh:
        fh.write("# Reformatted by hand: keys reversed, deeper indentation, new comments.\n")
        out.dump(reorder(data), fh)
    assert target.read_text() != ""
    code, report, _ = _verify_json(repo, "--require", "approved")
    assert code == 0
    assert _status(report, ids[0]) == "approved"


def _flip_one_char(armored: str) -> str:
    """Change one base64 character in the middle of an armored signature's body."""
    lines = armored.splitlines(keepends=True)
    body = lines[2]
    new = "A" if body[10] != "A" else "B"
    lines[2] = body[:10] + new + body[11:]
    return "".join(lines)


def _tamper(record: Path, edit: object) -> None:
    data = json.loads(record.read_text())
    assert callable(edit)
    edit(data)
    record.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize(
    ("what", "edit", "reason"),
    [
        (
            "signature byte",
            lambda d: d["signature"].update(value=_flip_one_char(d["signature"]["value"])),
            "bad signature",
        ),
        ("digest", lambda d: d.update(digest="sha256:" + "0" * 64), "digest does not match"),
        ("reviewer", lambda d: d.update(reviewer="bob"), "bad signature"),
        ("date", lambda d: d.update(date="2020-01-01"), "bad signature"),
        ("role", lambda d: d.update(role="clinical-safety-officer"), "wrong role"),
        ("decision", lambda d: d.update(decision="changes_requested"), "bad signature"),
    ],
)
def test_a_hand_edited_record_is_named_invalid(repo: Repo, what: str, edit: object, reason: str) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids)
    record = repo.records()[0]
    _tamper(record, edit)
    code, report, stderr = _verify_json(repo)
    assert code == 1, f"tampered {what} was not detected"
    assert f"invalid record    {record}" in stderr or str(record) in stderr
    records = report["records"]
    assert isinstance(records, list)
    bad = next(r for r in records if r["path"] == str(record))
    assert bad["status"] == "invalid"
    assert any(reason in p for p in bad["problems"]), bad["problems"]
    assert "review policy not met" in stderr
    # The scenario the record is about is invalid too, never approved.
    if what != "reviewer":
        assert _status(report, bad["scenario_id"]) == "invalid"


def test_signature_by_a_key_not_registered_for_the_reviewer_is_invalid(repo: Repo) -> None:
    ids = _ids(repo)
    # Signing with another's key is refused at signing time ...
    proc = repo.review("sign", ids[0], "--reviewer", "alice", "--key", str(repo.keys["mallory"]))
    assert proc.returncode == 4
    assert "key-not-registered" in proc.stderr
    assert repo.records() == []
    # ... and a record forged by hand (bob's valid signature over a record naming alice) is invalid.
    repo.sign("bob", ids[0])
    record = repo.records()[0]
    data = json.loads(record.read_text())
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    unsigned.update(reviewer="alice", role="clinician")
    from calfspec._internal.review.digest import canonical_json

    sig = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", "calfspec-signoff", "-f", str(repo.keys["mallory"])],
        input=canonical_json(unsigned),
        capture_output=True,
        check=True,
    ).stdout.decode()
    forged = repo.signoffs / f"{ids[0]}.alice.forged.json"
    forged.write_text(json.dumps({**unsigned, "signature": {**data["signature"], "value": sig}}, indent=2))
    code, report, stderr = _verify_json(repo)
    assert code == 1
    assert "not registered for reviewer 'alice'" in stderr
    # bob's own record stays valid; the forged one makes the scenario invalid.
    statuses = {Path(r["path"]).name: r["status"] for r in report["records"]}
    assert statuses == {record.name: "current", forged.name: "invalid"}


def test_a_record_copied_over_to_another_scenario_is_invalid_not_an_approval(repo: Repo) -> None:
    from calfspec._internal.guideline import load_guideline
    from calfspec._internal.review.digest import content_snapshot, snapshot_digest
    from calfspec._internal.scenarios import load_scenarios

    ids = _ids(repo)
    repo.sign("alice", ids[0])
    (record,) = repo.records()
    # Rewritten to be about the second scenario: its id, its content and the matching digest.
    guideline = load_guideline()
    other = next(s.scenario for s in load_scenarios(repo.scenarios / "cases", guideline) if s.id == ids[1])
    snapshot = content_snapshot(other, guideline)
    data = json.loads(record.read_text())
    data.update(scenario_id=ids[1], content=snapshot, digest=snapshot_digest(snapshot))
    record.rename(repo.signoffs / f"{ids[1]}.alice.copied.json")
    (repo.signoffs / f"{ids[1]}.alice.copied.json").write_text(json.dumps(data, indent=2))
    code, report, stderr = _verify_json(repo, "--require", "approved")
    assert code == 1
    assert "bad signature" in stderr
    assert _status(report, ids[1]) == "invalid"
    assert _status(report, ids[0]) == "unsigned"


def test_one_key_registered_for_two_reviewers_is_a_usage_error_not_a_quorum(repo: Repo) -> None:
    ids = _ids(repo)
    _registry(repo, [("alice", "clinician", ["alice"]), ("alice-again", "clinician", ["alice"])])
    proc = repo.review("verify", "--quorum", "2")
    assert proc.returncode == 4, proc.stderr
    assert "reviewers.yaml" in proc.stderr
    assert "same public key" in proc.stderr
    assert "Traceback" not in proc.stderr
    signing = repo.review("sign", ids[0], "--reviewer", "alice", "--key", str(repo.keys["alice"]))
    assert signing.returncode == 4
    assert repo.records() == []


def test_signing_with_a_future_date_is_refused(repo: Repo) -> None:
    ids = _ids(repo)
    proc = repo.review("sign", ids[0], "--reviewer", "alice", "--key", str(repo.keys["alice"]), "--date", "2999-01-01")
    assert proc.returncode == 4, proc.stderr
    assert "bad-date" in proc.stderr
    assert repo.records() == []


def test_a_missing_registry_is_a_usage_error_naming_the_file(repo: Repo) -> None:
    (repo.scenarios / "reviewers.yaml").unlink()
    repo.signoffs.mkdir()
    proc = repo.review("verify")
    assert proc.returncode == 4, proc.stderr
    assert "reviewers-missing" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_reviewer_is_invalid(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("bob", ids[0])
    _registry(repo, [("alice", "clinician", ["alice"])])  # bob leaves the registry
    code, report, stderr = _verify_json(repo)
    assert code == 1
    assert "unknown reviewer 'bob'" in stderr
    assert _status(report, ids[0]) == "invalid"


def test_a_duplicate_sign_off_is_refused_and_detected(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", ids[0])
    again = repo.review("sign", ids[0], "--reviewer", "alice", "--key", str(repo.keys["alice"]))
    assert again.returncode == 4
    assert "duplicate-signoff" in again.stderr
    # A copy under another name (one person counted twice towards a quorum) is caught by verify.
    original = repo.records()[0]
    shutil.copy(original, repo.signoffs / f"{ids[0]}.alice.copy.json")
    code, report, stderr = _verify_json(repo, "--quorum", "2")
    assert code == 1
    assert "duplicate sign-off" in stderr
    assert _status(report, ids[0]) == "invalid"


def test_quorum_two_with_one_signer_fails_and_two_signers_pass(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids)
    proc = repo.review("verify", "--require", "approved", "--quorum", "2")
    assert proc.returncode == 1
    assert f"{ids[0]}: approved by 1 of the 2 reviewers required" in proc.stderr
    repo.sign("bob", *ids)
    assert repo.review("verify", "--require", "approved", "--quorum", "2").returncode == 0


def test_changes_requested_blocks_approval(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids)
    repo.sign("bob", ids[0], extra=("--decision", "changes_requested", "--comment", "urgency too low"))
    code, report, stderr = _verify_json(repo, "--require", "approved")
    assert code == 1
    assert _status(report, ids[0]) == "changes_requested"
    assert f"{ids[0]}: changes_requested (by bob)" in stderr


def test_resigning_after_an_edit_restores_approval(repo: Repo) -> None:
    ids = _ids(repo)
    repo.sign("alice", *ids, extra=("--date", "2024-05-01"))
    _edit_yaml(repo.cases()[0], lambda d: d.update(title=d["title"] + " (revised)"))
    assert repo.review("verify", "--require", "approved").returncode == 1
    repo.sign("alice", ids[0], extra=("--date", "2024-06-01"))
    code, report, _ = _verify_json(repo, "--require", "approved")
    assert code == 0
    statuses = sorted(r["status"] for r in report["records"])
    assert statuses == ["current", "current", "outdated"]


def test_render_pack_opens_in_headless_chromium(repo: Repo, tmp_path: Path) -> None:
    ids = _ids(repo)
    repo.sign("alice", ids[1])
    _edit_yaml(repo.cases()[1], lambda d: d.update(title=d["title"] + " <b>edited</b>"))
    pack = tmp_path / "pack.html"
    proc = repo.review("render", "--out", str(pack))
    assert proc.returncode == 0, proc.stderr
    html = dump_dom(pack, tmp_path)
    for sid in ids:
        assert f'data-scenario="{sid}"' in html
    assert 'data-status="stale"' in html  # the edited signed scenario
    assert 'data-status="unsigned"' in html
    assert "Reference triage" in html
    assert "Changes since the last reviewed version" in html
    # Scenario text is escaped, never interpreted as markup.
    assert "&lt;b&gt;edited&lt;/b&gt;" in html
    assert "<b>edited</b>" not in html


def test_render_markdown_pack(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "pack.md"
    proc = repo.review("render", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    for sid in _ids(repo):
        assert f"`{sid}`" in text
    assert "### Reference triage's answer" in text
    assert "### Claims and their sources" in text


def test_render_to_a_path_that_cannot_be_written_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = repo.review("render", "--out", str(blocker / "pack.html"))
    assert proc.returncode == 4, proc.stderr
    assert "output-unwritable" in proc.stderr
    assert "Traceback" not in proc.stderr
