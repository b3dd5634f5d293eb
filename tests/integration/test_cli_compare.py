"""``calfspec compare`` as a subprocess: exit statuses, messages, reports."""

from __future__ import annotations

import json
from pathlib import Path

from calfspec._internal.reports.json import render_json
from tests.fixtures.results import case, run
from tests.fixtures.results.cli import calfspec, save

RF = ("dvt-swollen-warm-red-calf",)


def test_no_new_safety_failure_exits_0_and_lists_moves(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent"), case("b", "self_care")]))
    cur = save(tmp_path / "cur.json", run([case("a", "emergency"), case("b", "urgent")]))
    proc = calfspec("compare", base, cur, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "a: pass -> quality failure" in proc.stderr
    assert "b: safety failure -> pass" in proc.stderr
    assert "pass_rate: 50.0% -> 50.0%" not in proc.stderr  # unchanged scores are not listed
    assert "over_triage_rate: 0.0% -> 50.0% (worse)" in proc.stderr
    assert "gate: ok" in proc.stderr
    assert proc.stdout == ""


def test_new_safety_failure_exits_1_and_names_the_scenario(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent", red_flags=RF)]))
    cur = save(tmp_path / "cur.json", run([case("a", "routine", red_flags=RF)]))
    proc = calfspec("compare", base, cur, cwd=tmp_path)
    assert proc.returncode == 1
    assert "a: pass -> safety failure [red flag]" in proc.stderr
    assert "gate: FAILED: 1 new safety failure(s)" in proc.stderr


def test_new_error_on_a_red_flag_case_exits_1(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent", red_flags=RF)]))
    cur = save(tmp_path / "cur.json", run([case("a", None, red_flags=RF)]))
    proc = calfspec("compare", base, cur, cwd=tmp_path)
    assert proc.returncode == 1
    assert "new error(s) on red-flag scenarios" in proc.stderr


def test_json_and_markdown_reports(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent")]))
    cur = save(tmp_path / "cur.json", run([case("a", "self_care")]))
    proc = calfspec("compare", base, cur, "--report", "json:-", "--report", "md:out/cmp.md", cwd=tmp_path)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["kind"] == "calfspec-comparison"
    assert doc["new_safety_failures"] == ["a"]
    md = (tmp_path / "out" / "cmp.md").read_text(encoding="utf-8")
    assert md.startswith("## ❌ calfspec compare")
    assert "| `a` | pass | **safety failure** |" in md


def test_guideline_version_difference_is_a_warning_only(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent")], guideline_version="0.0.9"))
    cur = save(tmp_path / "cur.json", run([case("a", "urgent")]))
    proc = calfspec("compare", base, cur, cwd=tmp_path)
    assert proc.returncode == 0
    assert (
        "warning: guideline differs: baseline calfspec-calf-pain 0.0.9, current calfspec-calf-pain 0.1.0" in proc.stderr
    )


def test_missing_file_exits_4_with_the_path(tmp_path: Path) -> None:
    cur = save(tmp_path / "cur.json", run([case("a", "urgent")]))
    proc = calfspec("compare", tmp_path / "nope.json", cur, cwd=tmp_path)
    assert proc.returncode == 4
    assert "nope.json: result-missing: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_json_exits_4_with_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "calfspec-result",\n  "cases": [,]}', encoding="utf-8")
    cur = save(tmp_path / "cur.json", run([case("a", "urgent")]))
    proc = calfspec("compare", bad, cur, cwd=tmp_path)
    assert proc.returncode == 4
    assert "bad.json:2:13: result-not-json" in proc.stderr


def test_other_format_version_exits_4(tmp_path: Path) -> None:
    doc = json.loads(render_json(run([case("a", "urgent")])))
    doc["format_version"] = "99"
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc), encoding="utf-8")
    cur = save(tmp_path / "cur.json", run([case("a", "urgent")]))
    proc = calfspec("compare", base, cur, cwd=tmp_path)
    assert proc.returncode == 4
    assert "result-format" in proc.stderr


def test_junit_report_for_a_comparison_is_a_usage_error(tmp_path: Path) -> None:
    base = save(tmp_path / "base.json", run([case("a", "urgent")]))
    proc = calfspec("compare", base, base, "--report", "junit:x.xml", cwd=tmp_path)
    assert proc.returncode == 4
    assert "a comparison has no junit report" in proc.stderr
