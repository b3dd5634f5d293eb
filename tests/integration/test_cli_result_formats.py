"""A result written by an older calfspec (format 1, before ``agreement`` became ``in_range_rate``) still reads.

The fixture ``format1_always_self_care.json`` is a real ``--report json`` file
written by calfspec at commit 8c9581b (format 1): the always-self-care
implementation on the 13 routine scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path

from calfspec._internal.compare import load_run_result
from calfspec._internal.models.results import RESULT_FORMAT_VERSION
from tests.conftest import FIXTURES_DIR
from tests.fixtures.results import case, run
from tests.fixtures.results.cli import calfspec, save

OLD = FIXTURES_DIR / "results" / "format1_always_self_care.json"


def test_the_fixture_really_is_format_1_with_the_old_metric_names() -> None:
    doc = json.loads(OLD.read_text(encoding="utf-8"))
    assert doc["format_version"] == "1"
    assert "agreement" in doc["metrics"] and "in_range_rate" not in doc["metrics"]


def test_a_format_1_result_loads_with_its_metrics_recomputed_under_the_new_names() -> None:
    result = load_run_result(OLD)
    assert result.format_version == RESULT_FORMAT_VERSION
    assert result.metrics is None  # dropped; every reader recomputes
    assert len(result.cases) == 13
    assert all(c.expected is None for c in result.cases)  # format 1 did not record it


def test_compare_with_a_format_1_baseline_works(tmp_path: Path) -> None:
    current = save(
        tmp_path / "cur.json", run([case("persistent-calf-ache-six-weeks-right", "routine", ("routine", "routine"))])
    )
    proc = calfspec("compare", OLD, current, "--report", "json:cmp.json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads((tmp_path / "cmp.json").read_text(encoding="utf-8"))
    assert "in_range_rate" in {m["name"] for m in doc["metrics"]}


def test_report_merge_and_render_read_a_format_1_result(tmp_path: Path) -> None:
    merged = calfspec("report", "merge", OLD, "--report", "json:merged.json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    doc = json.loads((tmp_path / "merged.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == RESULT_FORMAT_VERSION
    assert doc["metrics"]["in_range_rate"] == 0.0 and "agreement" not in doc["metrics"]
    rendered = calfspec("report", "render", OLD, "--report", "md:out.md", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert "In-range rate" in (tmp_path / "out.md").read_text(encoding="utf-8")


def test_an_unknown_result_format_exits_4_naming_the_file_and_the_readable_formats(tmp_path: Path) -> None:
    doc = json.loads(OLD.read_text(encoding="utf-8"))
    doc["format_version"] = "0"
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    proc = calfspec("report", "render", bad, "--report", "md:out.md", cwd=tmp_path)
    assert proc.returncode == 4
    assert "future.json" in proc.stderr and "format_version '0' is not supported" in proc.stderr
    assert "'1', '2'" in proc.stderr and "Traceback" not in proc.stderr
