"""`calfspec run` as users run it: a real subprocess, real files, documented exit statuses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES_DIR, ROOT, SCENARIOS_DIR

CALFSPEC = [sys.executable, "-m", "calfspec"]


def calfspec(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALFSPEC, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_run_with_no_arguments_passes_the_bundled_suite_against_the_reference(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = calfspec("run", "--report", f"json:{out}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["implementation"] == "reference"
    assert result["complete"] is True
    assert len(result["cases"]) >= 80
    assert {c["verdict"] for c in result["cases"]} == {"pass"}


def test_an_invalid_scenario_stops_the_run_before_any_case_with_exit_4(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(SCENARIOS_DIR / "cases" / "red-flags", cases)
    victim = sorted(cases.glob("*.yaml"))[0]
    text = victim.read_text()
    victim.write_text(text.replace("calf_", "calff_", 1))
    marker = tmp_path / "called"
    impl = tmp_path / "impl.py"
    impl.write_text(
        "from pathlib import Path\n"
        f"def triage(request):\n    Path({str(marker)!r}).write_text('called')\n    return {{'urgency': 'emergency'}}\n"
    )
    proc = calfspec("run", "--scenarios", str(cases), "--impl", f"python:{impl}:triage")
    assert proc.returncode == 4, proc.stderr
    assert f"{victim}:" in proc.stderr and "unknown finding" in proc.stderr and "calff_" in proc.stderr
    first = proc.stderr.splitlines()[0]
    path, line, col = first.split(":")[:3]
    assert path == str(victim) and line.isdigit() and col.isdigit()
    assert "Traceback" not in proc.stderr
    assert not marker.exists(), "no case may be sent before every scenario is valid"


def test_a_malformed_yaml_file_is_exit_4_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\ntitle: [unclosed\n")
    proc = calfspec("run", "--scenarios", str(tmp_path))
    assert proc.returncode == 4
    assert f"{tmp_path / 'broken.yaml'}:" in proc.stderr and "Traceback" not in proc.stderr


def test_nothing_selected_is_exit_5() -> None:
    proc = calfspec("run", "--tag", "no-such-tag")
    assert proc.returncode == 5
    assert "no scenario selected" in proc.stderr


def test_a_bad_implementation_spec_is_a_usage_error() -> None:
    proc = calfspec("run", "--impl", "python:no_such_module_anywhere:triage")
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr


def test_require_approved_runs_only_signed_scenarios_and_says_how_many_it_left_out() -> None:
    proc = calfspec("run", "--require-approved")
    # The bundled suite is unsigned (no clinician has reviewed it yet), so nothing is selected.
    assert proc.returncode == 5
    assert "left out" in proc.stderr


def test_fail_on_quality_turns_over_triage_into_a_failing_run(tmp_path: Path) -> None:
    impl = tmp_path / "cautious.py"
    impl.write_text("def triage(request):\n    return {'urgency': 'routine', 'pathways': ['self-care-muscle']}\n")
    spec = f"python:{impl}:triage"
    lenient = calfspec("run", "--impl", spec, "--tag", "benign", "--report", f"json:{tmp_path / 'a.json'}")
    strict = calfspec("run", "--impl", spec, "--tag", "benign", "--fail-on", "quality")
    cases = json.loads((tmp_path / "a.json").read_text())["cases"]
    failed = [c for c in cases if c["verdict"] == "fail"]
    assert failed and all(c["severity"] == "quality" for c in failed)
    assert lenient.returncode == 0, lenient.stderr
    assert strict.returncode == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_a_ci_cancel_keeps_the_finished_cases_marks_the_reports_incomplete_and_exits_2(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # CI systems cancel a job with SIGTERM: it must end like Ctrl-C, not kill the run with no report.
    out = tmp_path / "partial.json"
    progress = tmp_path.parent / f"{tmp_path.name}-progress.txt"
    proc = subprocess.Popen(
        [
            *CALFSPEC,
            "run",
            "--impl",
            f"python:{FIXTURES_DIR / 'slow_cases.py'}:triage",
            "--concurrency",
            "1",
            "--report",
            f"json:{out}",
            "--report",
            f"junit:{tmp_path / 'partial.xml'}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SLOW_CASES_PROGRESS": str(progress)},
    )
    deadline = time.monotonic() + 120
    while not (progress.exists() and len(progress.read_text().splitlines()) >= 3):
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "no case finished within 120 s"
        time.sleep(0.1)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    result = json.loads(out.read_text())
    assert result["complete"] is False
    assert 0 < len(result["cases"]) < result["selected"]
    junit = (tmp_path / "partial.xml").read_text()
    assert junit.lstrip().startswith("<?xml") and 'type="incomplete"' in junit
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], "reports are written atomically"
    assert "Traceback" not in stderr


def test_help_documents_exit_statuses_and_examples() -> None:
    proc = calfspec("run", "--help")
    assert proc.returncode == 0
    for text in ("Exit statuses", "--impl", "--fail-on", "--report", "--shard", "Examples"):
        assert text in proc.stdout
    top = calfspec("--help")
    assert "run" in top.stdout and "review" in top.stdout and "fuzz" in top.stdout
    assert os.linesep in top.stdout


@pytest.mark.slow
def test_baseline_tolerates_known_failures_and_fails_on_new_ones(tmp_path: Path) -> None:
    bad = f"python:{FIXTURES_DIR / 'broken' / 'always_self_care.py'}:triage"
    bad_json, good_json = tmp_path / "bad.json", tmp_path / "good.json"
    assert calfspec("run", "--impl", bad, "--tag", "dvt", "--report", f"json:{bad_json}").returncode == 1
    assert calfspec("run", "--tag", "dvt", "--report", f"json:{good_json}").returncode == 0
    same = calfspec("run", "--impl", bad, "--tag", "dvt", "--baseline", str(bad_json))
    assert same.returncode == 0, same.stderr
    assert "known failing scenario(s) tolerated" in same.stderr
    regressed = calfspec("run", "--impl", bad, "--tag", "dvt", "--baseline", str(good_json))
    assert regressed.returncode == 1
    assert "regressed against the baseline" in regressed.stderr


def test_min_pass_rate_gates_red_flag_cases_on_the_wilson_lower_bound() -> None:
    # Three clean passes give a 95% Wilson lower bound of about 0.44: enough for 0.4, not for 0.9.
    ok = calfspec("run", "--tag", "pe", "--repeat", "3", "--min-pass-rate", "0.4")
    assert ok.returncode == 0, ok.stderr
    strict = calfspec("run", "--tag", "pe", "--repeat", "3", "--min-pass-rate", "0.9")
    assert strict.returncode == 1
    assert "Wilson lower bound" in strict.stderr


def _recording_impl(tmp_path: Path) -> tuple[str, Path]:
    """A python: implementation that leaves a marker file when it is called."""
    marker = tmp_path / "called"
    impl = tmp_path / "impl.py"
    impl.write_text(
        "from pathlib import Path\n"
        f"def triage(request):\n    Path({str(marker)!r}).write_text('called')\n    return {{'urgency': 'emergency'}}\n"
    )
    return f"python:{impl}:triage", marker


def test_a_bad_baseline_file_is_exit_4_before_any_case_is_sent(tmp_path: Path) -> None:
    spec, marker = _recording_impl(tmp_path)
    (tmp_path / "broken.json").write_text('{"kind": "calfspec-result",\n  "format_version": ', encoding="utf-8")
    for baseline, code in (("missing.json", "result-missing"), ("broken.json", "result-not-json")):
        proc = calfspec("run", "--impl", spec, "--tag", "dvt", "--baseline", str(tmp_path / baseline))
        assert proc.returncode == 4, proc.stderr
        assert proc.stderr.startswith(f"{tmp_path / baseline}:") and code in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not marker.exists(), "the baseline must be read before the run, not after it"


def test_an_unwritable_report_path_is_exit_4_before_any_case_is_sent(tmp_path: Path) -> None:
    spec, marker = _recording_impl(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker / "result.json", tmp_path):
        proc = calfspec("run", "--impl", spec, "--tag", "dvt", "--report", f"json:{target}")
        assert proc.returncode == 4, proc.stderr
        assert f"{target}: report-unwritable: cannot write report" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not marker.exists()


def test_json_on_stdout_is_pure_json_with_every_human_line_on_stderr() -> None:
    proc = calfspec("run", "--impl", f"python:{FIXTURES_DIR / 'broken' / 'always_self_care.py'}:triage",
                    "--tag", "dvt", "--report", "json:-", "--report", "console")  # fmt: skip
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["kind"] == "calfspec-result"
    assert "FAILED" in proc.stderr and "gate:" in proc.stderr
