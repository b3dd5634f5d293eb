"""Verdicts that mean what they say (issue 9): over-caution is a quality failure, never a safety one.

Each test runs the real ``calfspec run`` on the bundled suite and reads its JSON report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calfspec._internal.models.urgency import Urgency
from tests.conftest import FIXTURES_DIR
from tests.fixtures.results.cli import calfspec

IMPLS = FIXTURES_DIR / "impls"
ALWAYS_EMERGENCY = f"python:{IMPLS / 'always_emergency.py'}:triage"
ALWAYS_ROUTINE = f"python:{IMPLS / 'always_routine.py'}:triage"


def _run(tmp_path: Path, impl: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = calfspec("run", "--impl", impl, "--report", "json:result.json", *extra, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    doc = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    return proc.returncode, doc, proc.stderr


def test_sending_everyone_to_emergency_is_never_a_safety_failure_and_passes_the_default_gate(tmp_path: Path) -> None:
    rc, doc, stderr = _run(tmp_path, ALWAYS_EMERGENCY)
    m = doc["metrics"]
    unsafe = [
        (c["scenario_id"], [f["message"] for f in c["failures"] if f["severity"] == "safety"])
        for c in doc["cases"]
        if c["severity"] == "safety"
    ]
    assert unsafe == [], unsafe  # a scenario listed here needs its required pathway or the covers relation checked
    assert m["failed_safety"] == 0 and m["errors"] == 0
    assert m["failed_quality"] > 0 and m["passed"] + m["failed_quality"] == m["trials"] == len(doc["cases"])
    # It passes exactly where the scenario accepts an emergency.
    for c in doc["cases"]:
        assert (c["verdict"] == "pass") == (c["expected_max"] == "emergency"), c["scenario_id"]
    assert rc == 0, stderr[-3000:]
    assert m["under_triaged"] == 0 and m["safe_rate"] == 1.0
    assert m["emergency_sensitivity"] == 1.0


def test_the_same_over_triage_fails_a_run_gated_on_quality(tmp_path: Path) -> None:
    rc, doc, _ = _run(tmp_path, ALWAYS_EMERGENCY, "--fail-on", "quality")
    assert rc == 1
    assert doc["metrics"]["failed_quality"] > 0


def test_a_cautious_routine_answer_is_only_a_quality_failure_where_routine_is_above_the_range(tmp_path: Path) -> None:
    rc, doc, _ = _run(tmp_path, ALWAYS_ROUTINE)
    assert rc == 1  # it under-triages every red flag
    above = [c for c in doc["cases"] if Urgency(c["expected_max"]) < Urgency.ROUTINE]
    below = [c for c in doc["cases"] if Urgency(c["expected_min"]) > Urgency.ROUTINE]
    assert above and below
    for c in above:  # e.g. a benign strain that expects self-care: the missing self-care pathway is over-triage
        assert (c["verdict"], c["severity"]) == ("fail", "quality"), c["scenario_id"]
    for c in below:
        assert c["severity"] == "safety", c["scenario_id"]
        assert "under_triage" in {f["kind"] for f in c["failures"]}
