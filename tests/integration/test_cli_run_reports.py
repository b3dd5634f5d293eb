"""``calfspec run`` writing every report format in one run, against the bundled golden suite.

The JUnit file is checked with both validators, the HTML is opened in real
headless Chromium, the Markdown is parsed as GitHub-flavoured Markdown, and the
console summary goes to stderr (whatever reports are asked for) while stdout
stays free for machine output; ``console:-`` puts it on stdout.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
import xmlschema
from markdown_it import MarkdownIt

from calfspec import load_guideline
from calfspec._internal.compare import load_run_result
from calfspec._internal.models.results import FailureKind, Verdict
from tests.conftest import FIXTURES_DIR, ROOT, require_tool
from tests.fixtures.results.browser import dump_dom
from tests.fixtures.results.cli import calfspec

XSD = FIXTURES_DIR / "junit" / "junit-10.xsd"

pytestmark = [pytest.mark.needs_tool, pytest.mark.slow]


def run_calfspec(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return calfspec(*args, cwd=ROOT)


def five_reports(out: Path) -> list[str]:
    return [
        "--report", f"json:{out / 'result.json'}",
        "--report", f"junit:{out / 'junit.xml'}",
        "--report", f"md:{out / 'comment.md'}",
        "--report", f"html:{out / 'report.html'}",
        "--report", f"csv:{out / 'cases.csv'}",
    ]  # fmt: skip


def test_reference_run_writes_every_format_and_still_prints_its_summary(tmp_path: Path) -> None:
    proc = run_calfspec("run", "--timeout", "60", *five_reports(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == ""  # the summary goes to stderr, also when reports are written
    assert "PASSED" in proc.stderr and "In-range rate" in proc.stderr

    result = load_run_result(tmp_path / "result.json")
    assert result.metrics is not None
    assert result.metrics.in_range_rate == 1.0 and result.metrics.under_triaged == 0
    assert result.metrics.exact_trials == len(result.cases) and result.metrics.exact_accuracy is not None
    assert len(result.cases) >= 80

    junit = tmp_path / "junit.xml"
    xmlschema.XMLSchema(str(XSD)).validate(str(junit))
    lint = subprocess.run(
        [require_tool("xmllint"), "--noout", "--schema", str(XSD), str(junit)], capture_output=True, check=False
    )
    assert lint.returncode == 0, lint.stderr
    assert junit.read_text(encoding="utf-8").count("<testcase ") == len(result.cases)

    assert (tmp_path / "comment.md").read_text(encoding="utf-8").startswith("## ✅ calfspec: PASSED")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "cases.csv").read_text(encoding="utf-8"), newline="")))
    assert [r["scenario_id"] for r in rows] == [c.scenario_id for c in result.cases]
    assert {r["verdict"] for r in rows} == {"pass"}
    assert f"wrote csv report {tmp_path / 'cases.csv'}" in proc.stderr

    dom = dump_dom(tmp_path / "report.html", tmp_path)
    assert re.search(r'<svg[^>]*id="confusion-matrix"', dom)
    counts = [int(n) for n in re.findall(r'<g class="cell"[^>]*data-count="(\d+)"', dom)]
    assert sum(counts) == len(result.cases)
    assert not re.search(r'data-count="[1-9]\d*" data-kind="(under|over|error)"', dom)
    red_flags = {r.id for r in load_guideline().red_flags}
    assert set(re.findall(r'<tr class="red-flag-row" data-rule="([^"]+)"', dom)) == red_flags


def test_always_self_care_fails_with_under_triage_on_every_red_flag_scenario(tmp_path: Path) -> None:
    impl = "python:tests.fixtures.results.fakes:always_self_care"
    proc = run_calfspec("run", "--impl", impl, "--timeout", "60", *five_reports(tmp_path))
    assert proc.returncode == 1, proc.stderr[-3000:]
    result = load_run_result(tmp_path / "result.json")
    flagged = [c for c in result.cases if c.red_flags]
    assert flagged
    for c in flagged:
        assert c.verdict is Verdict.FAIL
        assert FailureKind.UNDER_TRIAGE in {f.kind for f in c.failures}, c.scenario_id
    assert result.metrics is not None and result.metrics.emergency_sensitivity == 0.0

    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    assert junit.count('<failure type="safety"') >= len(flagged)
    md = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert md.startswith("## ❌ calfspec: FAILED")
    # Every under-triaged emergency is listed, before the comment's size cap, in one GFM table
    emergencies = {c.scenario_id for c in result.cases if c.expected_min.value == "emergency"}
    assert emergencies
    gfm = MarkdownIt("commonmark").enable("table")
    tokens = gfm.parse(md)
    assert "diff" not in [t.info for t in tokens if t.type == "fence"]  # nothing colours the wrong answer green
    heading = md.index(f"Under-triaged emergencies ({len(emergencies)})")
    table = md[heading : md.index("### Scores")]
    listed = set(re.findall(r"^\| `([^`]+)` \| emergency \| self_care \| 3 \|$", table, re.M))
    assert listed == emergencies
    assert len(md) <= 60_000
    # the console lists them first too, tagged, and the run ends with the totals table
    heads = [line for line in proc.stderr.splitlines() if line.startswith("  ✗ [")]
    assert {h.split()[2].rstrip(":") for h in heads[: len(emergencies)]} == emergencies
    assert all(h.split()[1] in ("[safety]", "[quality]", "[error]") for h in heads)
    assert "more, one line each" in proc.stderr  # --max-failures 20 by default
    assert "emergencies under-triaged" in proc.stderr

    dom = dump_dom(tmp_path / "report.html", tmp_path)
    under = re.findall(r'data-count="([1-9]\d*)" data-kind="under"', dom)
    assert sum(int(n) for n in under) == result.metrics.under_triaged
    assert len(re.findall(r'<article class="case ', dom)) == len(result.cases)
    failing = re.findall(r'<article class="case (?:safety|quality|error)"', dom)
    assert len(failing) == sum(1 for c in result.cases if c.verdict is not Verdict.PASS)


def test_console_dash_goes_to_stdout_and_quiet_silences_stderr(tmp_path: Path) -> None:
    proc = run_calfspec("run", "--tag", "red-flag", "--timeout", "60", "--report", "console:-")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "PASSED" in proc.stdout and "In-range rate" in proc.stdout
    assert "In-range rate" not in proc.stderr  # once, where it was asked for (a CI log shows both streams)
    assert "\x1b[" not in proc.stdout
    quiet = run_calfspec("run", "--tag", "red-flag", "-q", "--report", f"json:{tmp_path / 'r.json'}")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert quiet.stdout == "" and quiet.stderr == ""
    assert load_run_result(tmp_path / "r.json").cases


def test_repeated_flaky_run_reports_per_repeat_testcases_and_flaky_answers(tmp_path: Path) -> None:
    impl = "python:tests.fixtures.results.fakes:flaky_reference"
    proc = run_calfspec(
        "run", "--impl", impl, "--repeat", "2", "--timeout", "60", "--tag", "red-flag", *five_reports(tmp_path)
    )
    if "no scenario selected" in proc.stderr:
        pytest.fail("the golden suite has no scenario tagged red-flag; pick another tag")
    assert proc.returncode == 1, proc.stderr[-3000:]
    result = load_run_result(tmp_path / "result.json")
    assert result.repeat == 2
    assert result.metrics is not None and result.metrics.repeat_stats
    flaky = [s for s in result.metrics.repeat_stats if s.flaky]
    assert flaky
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "[repeat 2/2]" in junit
    xmlschema.XMLSchema(str(XSD)).validate(junit)
    assert "Flaky across repeats" in proc.stderr
    md = json.dumps((tmp_path / "comment.md").read_text(encoding="utf-8"))
    assert "Flaky across repeats" in md
