"""``calfspec bench --quick`` runs every comparison and prints it honestly.

These tests pin the benchmark's structure (every comparison present, figures
measured, ``met`` computed from the figure and the target), never its timings:
performance is judged by reading the benchmark, not by timed tests.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

FIVE = ("in_process", "jsonl", "http", "suite", "startup")
SCALE = ("load", "scale", "scale_memory")
COLUMNS = ("measurement", "harness", "baseline", "ratio", "target", "met")


def calfspec_command() -> list[str]:
    script = Path(sys.executable).parent / "calfspec"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calfspec"]


@pytest.fixture(scope="module")
def bench_run() -> subprocess.CompletedProcess[str]:
    """One quick benchmark run (a few seconds), shared by the tests below."""
    return subprocess.run(
        [*calfspec_command(), "bench", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def document(bench_run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert bench_run.returncode == 0, bench_run.stderr
    data: dict[str, Any] = json.loads(bench_run.stdout)
    return data


def by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for m in document["measurements"]}


def test_bench_exits_zero_and_writes_a_versioned_json_document(document: dict[str, Any]) -> None:
    assert document["kind"] == "calfspec-bench"
    assert document["format_version"] == "1"
    assert document["quick"] is True
    assert document["cpus"] >= 1


def test_bench_measures_all_five_comparisons_and_the_fuzz_throughput(document: dict[str, Any]) -> None:
    rows = by_key(document)
    for key in (*FIVE, *SCALE, "suite_cli", "fuzz"):
        assert key in rows, f"missing comparison {key}"
    for row in document["measurements"]:
        for field in ("harness", "baseline", "ratio"):
            assert isinstance(row[field], float) and math.isfinite(row[field]) and row[field] > 0, (row["key"], field)
        assert math.isclose(row["ratio"], row["harness"] / row["baseline"], rel_tol=1e-9)
        assert row["unit"] and row["target"] and row["harness_label"] and row["baseline_label"]


def test_bench_judges_each_target_from_its_own_figures(document: dict[str, Any]) -> None:
    rows = by_key(document)
    assert rows["in_process"]["met"] is (rows["in_process"]["ratio"] <= 3.0)
    assert rows["jsonl"]["met"] is (rows["jsonl"]["harness"] >= 5000)
    http_errored = "errored" in rows["http"]["note"]
    # the HTTP row's baseline is the bare client; its target is a multiple of the ideal wall time
    assert rows["http"]["baseline_label"].startswith("bare asyncio")
    assert rows["http"]["met"] is (rows["http"]["harness"] <= 1.15 * rows["http"]["ideal"] and not http_errored)
    assert rows["suite"]["met"] is (rows["suite"]["ratio"] <= 10.0)
    assert rows["suite_cli"]["met"] is (rows["suite_cli"]["harness"] <= 0.5)
    # --quick generates a smaller suite: its scale rows report, they do not judge the 10,000 targets
    assert rows["scale"]["met"] is None and rows["scale_memory"]["met"] is None
    assert rows["scale"]["harness_label"].startswith("calfspec run, 500 ")
    assert rows["load"]["unit"] == "µs/scenario"
    assert rows["load"]["met"] is (rows["load"]["harness"] <= 1000.0)
    # the scale row prints its per-scenario ratio: the same figure as harness / (bundled x count / size)
    per_scenario = re.search(r"per-scenario ratio ([0-9.]+)x", rows["scale"]["note"])
    assert per_scenario is not None, rows["scale"]["note"]
    assert math.isclose(float(per_scenario.group(1)), rows["scale"]["ratio"], abs_tol=0.006)
    assert rows["http"]["ideal"] > 0 and "the bare client gets" in rows["http"]["note"]
    # the HTTP row shows both clients as multiples of the ideal, the figure its target judges
    for label, figure in (("harness_label", "harness"), ("baseline_label", "baseline")):
        shown = re.search(r"([0-9.]+)x (the )?ideal", rows["http"][label])
        assert shown is not None, rows["http"][label]
        assert math.isclose(float(shown.group(1)), rows["http"][figure] / rows["http"]["ideal"], abs_tol=0.006)
    assert rows["startup"]["met"] is (rows["startup"]["harness"] < 300.0)
    assert rows["fuzz"]["met"] is (rows["fuzz"]["harness"] >= 200)
    assert rows["in_process_runner"]["met"] is None, "informational rows have no target to meet"


def test_bench_prints_the_side_by_side_table_on_stderr(
    bench_run: subprocess.CompletedProcess[str], document: dict[str, Any]
) -> None:
    table = bench_run.stderr
    header = next(line for line in table.splitlines() if "measurement" in line)
    for column in COLUMNS:
        assert column in header
    for row in document["measurements"]:
        # the table's own lines (box-drawn), not the notes below it that repeat the titles
        line = next((line for line in table.splitlines() if row["title"] in line and "│" in line), None)
        assert line is not None, f"no table row for {row['title']}"
        word = {True: "met", False: "missed", None: "n/a"}[row["met"]]
        assert re.search(rf"\b{re.escape(word)}\b", line), (word, line)
        assert row["target"] in table
    missed = [row["title"] for row in document["measurements"] if row["met"] is False]
    if missed:
        assert "targets missed:" in table and "(reported, not enforced)" in table
    else:
        assert "targets missed:" not in table
    assert "--quick" in table


def test_the_benchmark_ships_in_the_package_not_as_data() -> None:
    import calfspec._internal.bench as bench

    package = Path(bench.__file__).parent
    for script in ("trivial_jsonl.py", "slow_http_server.py"):
        assert (package / script).is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "calfspec/_data/benchmarks" not in pyproject


def test_the_script_and_the_command_share_one_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--quick" in done.stdout and "--json" in done.stdout
