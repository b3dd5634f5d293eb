"""``calfspec coverage`` through the real CLI: matrix and hazard-log exports, the policy, results, --changed-since."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.guideline import Basis, RuleKind
from calfspec._internal.review.digest import cited_claim_ids
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import GUIDELINE_DIR, SCENARIOS_DIR, require_tool

CALFSPEC = str(Path(sys.executable).parent / "calfspec")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CALFSPEC, *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd)


def test_shipped_repository_meets_the_coverage_policy_and_exports_the_hazard_log(tmp_path: Path) -> None:
    hazards = tmp_path / "hazard-log.md"
    proc = _run("coverage", "--hazard-log", str(hazards))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "coverage policy met" in proc.stderr
    text = hazards.read_text()
    assert text.startswith("# Hazard log:")
    assert (
        "| hazard id | hazard | cause | control | verification (scenarios, invariants, checks) | result | status "
        "| severity | likelihood | risk |"
    ) in text
    guideline = load_guideline()
    for rule in guideline.guideline.rules:
        assert f"| HAZ-{rule.id} |" in text
    # The system-level hazards are in the log too, each with its verification.
    for hazard in ("word-mapping", "unknown-handling", "advice-harm", "unrepresentable-risk", "source-change"):
        assert f"| HAZ-haz-{hazard} |" in text
    assert "| HAZ-haz-alarm-fatigue |" in text


def test_exports_matrix_and_hazard_log_as_csv_and_markdown(tmp_path: Path) -> None:
    out = {name: tmp_path / name for name in ("matrix.csv", "matrix.md", "hazards.csv")}
    proc = _run(
        "coverage",
        "--policy",
        "none",
        "--csv",
        str(out["matrix.csv"]),
        "--markdown",
        str(out["matrix.md"]),
        "--hazard-log",
        str(out["hazards.csv"]),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    guideline = load_guideline()
    with out["matrix.csv"].open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # One row per (claim, citation): every source passage the guideline cites is traced.
    assert len(rows) == sum(len(c.citations) for c in guideline.guideline.claims)
    assert {r["claim"] for r in rows} == set(guideline.claims)
    first_rule = guideline.guideline.rules[0]
    traced = [r for r in rows if first_rule.id in r["rules"].split("; ")]
    assert traced and all(r["scenarios"] for r in traced)
    assert out["matrix.md"].read_text().startswith("# Traceability matrix:")
    with out["hazards.csv"].open(newline="") as fh:
        hazard_rows = list(csv.DictReader(fh))
    n_rules = len(guideline.guideline.rules)
    assert [h["hazard id"] for h in hazard_rows[:n_rules]] == [f"HAZ-{r.id}" for r in guideline.guideline.rules]
    assert hazard_rows[n_rules]["hazard id"] == "HAZ-unexcluded-red-flags"
    # The system-level hazards of guideline/hazards.yaml follow, with empty columns for the CSO.
    assert [h["hazard id"] for h in hazard_rows[n_rules + 1 :]] == [f"HAZ-{h.id}" for h in guideline.guideline.hazards]
    assert all(h["severity"] == h["likelihood"] == h["risk"] == "" for h in hazard_rows)


def _suite_without(tmp_path: Path, drop: str) -> tuple[Path, str]:
    """A copy of the shipped scenarios without any scenario covering red flag ``drop`` as a near miss."""
    guideline = load_guideline()
    dest = tmp_path / "scenarios"
    dest.mkdir()
    kept = 0
    for item in load_scenarios(SCENARIOS_DIR, guideline):
        if drop in item.scenario.covers.near_miss:
            continue
        shutil.copy(item.path, dest / item.path.name)
        kept += 1
    assert kept
    return dest, drop


def test_policy_fails_naming_a_red_flag_rule_without_a_near_miss(tmp_path: Path) -> None:
    guideline = load_guideline()
    rule = next(r for r in guideline.red_flags)
    suite, _ = _suite_without(tmp_path, rule.id)
    proc = _run("coverage", "--scenarios", str(suite))
    assert proc.returncode == 1
    where = guideline.where("rules", rule.id)
    assert f"{where.path}:{where.line}:{where.col}: red-flag rule {rule.id!r} has no near-miss scenario" in proc.stderr
    # Report-only mode never fails.
    assert _run("coverage", "--scenarios", str(suite), "--policy", "none").returncode == 0


def test_policy_fails_naming_an_uncovered_interpretation_claim(tmp_path: Path) -> None:
    guideline = load_guideline()
    claim = next(c for c in guideline.guideline.claims if c.basis is Basis.INTERPRETATION)
    dest = tmp_path / "scenarios"
    dest.mkdir()
    for item in load_scenarios(SCENARIOS_DIR, guideline):
        if claim.id not in cited_claim_ids(item.scenario, guideline):
            shutil.copy(item.path, dest / item.path.name)
    proc = _run("coverage", "--scenarios", str(dest), "--policy", "interpretation-claims")
    assert proc.returncode == 1
    assert f"interpretation claim {claim.id!r} has no scenario" in proc.stderr


def test_results_fill_the_last_result_column(tmp_path: Path) -> None:
    guideline = load_guideline()
    rule = next(r for r in guideline.guideline.rules if r.kind is RuleKind.RED_FLAG)
    suite = tmp_path / "scenarios"
    suite.mkdir()
    for item in load_scenarios(SCENARIOS_DIR, guideline):
        if rule.id in (*item.scenario.covers.red_flags, *item.scenario.covers.near_miss):
            shutil.copy(item.path, suite / item.path.name)
    result = tmp_path / "result.json"
    run = _run("run", "--impl", "reference", "--scenarios", str(suite), "--report", f"json:{result}")
    assert result.is_file(), run.stderr[-3000:]
    hazards = tmp_path / "hazards.csv"
    proc = _run(
        "coverage",
        "--scenarios",
        str(suite),
        "--results",
        str(result),
        "--hazard-log",
        str(hazards),
        "--policy",
        "none",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = next(r for r in csv.DictReader(hazards.open(newline="")) if r["hazard id"] == f"HAZ-{rule.id}")
    cases = json.loads(result.read_text())["cases"]
    if all(c["verdict"] == "pass" for c in cases):
        assert row["status"] == "verified"
        assert row["result"].startswith("all ")
    else:
        assert row["status"].startswith("open")


def test_results_file_that_is_not_a_result_is_a_clear_input_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"kind": "something-else"}')
    proc = _run("coverage", "--results", str(bogus))
    assert proc.returncode == 4
    assert "results-invalid" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_changed_since_lists_approvals_a_claim_change_invalidates(tmp_path: Path) -> None:
    require_tool("git")
    keygen = require_tool("ssh-keygen")
    repo = tmp_path / "repo"
    shutil.copytree(GUIDELINE_DIR, repo / "guideline")
    guideline = load_guideline(repo / "guideline")
    items = load_scenarios(SCENARIOS_DIR, guideline)
    target = next(i for i in items if i.scenario.expect.claims)
    other = next(i for i in items if target.scenario.expect.claims[0] not in cited_claim_ids(i.scenario, guideline))
    cases = repo / "scenarios" / "cases"
    cases.mkdir(parents=True)
    for item in (target, other):
        shutil.copy(item.path, cases / item.path.name)
    key = tmp_path / "alice"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    YAML().dump(
        {
            "reviewers": [
                {
                    "id": "alice",
                    "name": "Test reviewer",
                    "role": "clinician",
                    "public_keys": [key.with_suffix(".pub").read_text().strip()],
                }
            ]
        },
        (repo / "scenarios" / "reviewers.yaml").open("w"),
    )
    scen = str(repo / "scenarios")
    gdir = str(repo / "guideline")
    signed = _run(
        "review",
        "sign",
        target.id,
        other.id,
        "--reviewer",
        "alice",
        "--key",
        str(key),
        "--scenarios",
        scen,
        "--guideline",
        gdir,
    )
    assert signed.returncode == 0, signed.stderr

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "signed")
    # Change the statement of a claim the target cites (and the other does not).
    claim_id = target.scenario.expect.claims[0]
    for path in (repo / "guideline").rglob("*.yaml"):
        yaml = YAML()
        data = yaml.load(path.read_text())
        for claim in (data or {}).get("claims", []) or []:
            if claim["id"] == claim_id:
                claim["statement"] = claim["statement"] + " Reworded for the test."
                with path.open("w") as fh:
                    yaml.dump(data, fh)
    proc = _run("coverage", "--scenarios", scen, "--guideline", gdir, "--changed-since", "HEAD", "--policy", "none")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"claim changed: {claim_id}" in proc.stderr
    assert f"scenario affected: {target.id}" in proc.stderr
    assert f"re-review {target.id}: approved by alice" in proc.stderr
    assert f"re-review {other.id}" not in proc.stderr
    # The same change makes review verify call the approval stale.
    verify = _run("review", "verify", "--scenarios", scen, "--guideline", gdir, "--require", "approved")
    assert verify.returncode == 1
    assert f"{target.id}: stale" in verify.stderr
    assert "scenario.expect.claims" not in verify.stderr
    assert f"claims.{claim_id}.statement" in verify.stderr


def test_changed_since_an_unknown_revision_is_an_input_error(tmp_path: Path) -> None:
    require_tool("git")
    proc = _run("coverage", "--changed-since", "no-such-revision-xyz", "--policy", "none")
    assert proc.returncode == 4
    assert "git-failed" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("flag", ["--csv", "--markdown", "--hazard-log"])
def test_exports_are_written_atomically_into_new_folders(tmp_path: Path, flag: str) -> None:
    target = tmp_path / "new" / "dir" / "out.txt"
    proc = _run("coverage", "--policy", "none", flag, str(target))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert target.read_text().strip()
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("option", ["--csv", "--markdown", "--hazard-log"])
def test_an_output_that_cannot_be_written_is_a_clear_input_error(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "out.md"
    proc = _run("coverage", "--policy", "none", option, str(target))
    assert proc.returncode == 4, proc.stderr
    assert f"{target}: output-unwritable" in proc.stderr
    assert "Traceback" not in proc.stderr
