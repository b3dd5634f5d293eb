"""Beyond one machine: a 10,000-scenario suite split over CI jobs, and the pytest plugin under pytest-xdist.

Real ``calfspec`` processes and real inner pytest sessions; nothing is mocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from calfspec._internal.bench.gen_suite import generate_suite
from tests.conftest import FIXTURES_DIR, SCENARIOS_DIR, scaled

CALFSPEC = str(Path(sys.executable).parent / "calfspec")
SUITE_SIZE = scaled(10_000, dev=1_000)
"""10,000 in CI; 1,000 in the README's quick loop (the same code path, a tenth of the cases)."""
SHARDS = 3

pytest_plugins = ["pytester"]


def _verdicts(result_file: Path) -> dict[str, str]:
    doc = json.loads(result_file.read_text(encoding="utf-8"))
    assert doc["complete"] is True
    verdicts = {c["scenario_id"]: c["verdict"] for c in doc["cases"]}
    assert len(verdicts) == len(doc["cases"]), "one case per scenario"
    return verdicts


@pytest.mark.slow
def test_a_generated_10000_scenario_suite_passes_and_its_merged_shards_give_every_verdict(tmp_path: Path) -> None:
    # The suite is the bundled one copied under new ids, so each copy's verdict must be its
    # original's: the unsplit bundled run is the reference the merged shards are checked against.
    ids = generate_suite(tmp_path / "suite", SUITE_SIZE, SCENARIOS_DIR)
    assert len(set(ids)) == SUITE_SIZE
    original = {new: new.rsplit("-copy-", 1)[0] for new in ids}

    unsplit = tmp_path / "bundled.json"
    done = subprocess.run(
        [CALFSPEC, "run", "--report", f"json:{unsplit}"], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    expected = _verdicts(unsplit)

    # One CI job per shard, side by side (as a CI matrix runs them).
    jobs = [
        subprocess.Popen(
            [
                CALFSPEC,
                "run",
                "--scenarios",
                str(tmp_path / "suite"),
                "--shard",
                f"{k}/{SHARDS}",
                "--report",
                f"json:{tmp_path / f'shard-{k}.json'}",
                "--report",
                "console:-",
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, SHARDS + 1)
    ]
    for k, job in enumerate(jobs, start=1):
        _, stderr = job.communicate(timeout=900)
        assert job.returncode == 0, f"shard {k}/{SHARDS}: {stderr[-2000:]}"
    sizes = [len(_verdicts(tmp_path / f"shard-{k}.json")) for k in range(1, SHARDS + 1)]
    assert sum(sizes) == SUITE_SIZE and min(sizes) > SUITE_SIZE // SHARDS // 2, sizes

    merged = tmp_path / "merged.json"
    shard_files = [str(tmp_path / f"shard-{k}.json") for k in range(1, SHARDS + 1)]
    done = subprocess.run(
        [CALFSPEC, "report", "merge", *shard_files, "--report", f"json:{merged}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = _verdicts(merged)
    assert set(verdicts) == set(ids)
    assert {sid: expected[original[sid]] for sid in ids} == verdicts
    assert Counter(verdicts.values()) == {"pass": SUITE_SIZE}
    assert not list(tmp_path.glob(".*.cases.part")), "each run removed its spool once its report was written"


def _outcomes(junit: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[case.get("name", "")] = kinds.pop() if kinds else "passed"
    return outcomes


@pytest.mark.slow
def test_the_plugin_under_xdist_gives_the_serial_runs_verdicts(pytester: pytest.Pytester) -> None:
    # always_self_care fails the red-flag cases and passes the self-care ones: both kinds must
    # land on the same scenario ids whether one process runs them or four workers share them.
    # Two tags keep it quick: benign cases (self-care is right) and PE red flags (it is not).
    args = (
        f"--calfspec-impl=python:{FIXTURES_DIR / 'impls_plugin' / 'impls.py'}:always_self_care",
        "--calfspec-tag=benign",
        "--calfspec-tag=pe",
        "-p",
        "no:cacheprovider",
    )
    serial = pytester.runpytest_subprocess(*args, "--junitxml=serial.xml")
    parallel = pytester.runpytest_subprocess(*args, "-n", "4", "--junitxml=xdist.xml")
    assert serial.ret == parallel.ret == pytest.ExitCode.TESTS_FAILED
    one, four = _outcomes(pytester.path / "serial.xml"), _outcomes(pytester.path / "xdist.xml")
    assert len(one) > 20 and {"passed", "failure"} <= set(one.values())
    assert four == one
    parallel.stdout.fnmatch_lines(["*4 workers*"])
