"""The gate cannot be fooled: every failure in the reliability probes, replayed through the real CLI.

Each test replays one probe of ``../shared/reviews/reliability-probes.md`` ("Failures")
with a hostile implementation from ``tests/fixtures/hostile/`` (a real subprocess for
``cmd:``, a real HTTP server for ``openai:``) and pins the behaviour the gate promises.
``docs/reliability.md`` maps each probe to the test here.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest

from calfspec._internal.guideline import load_guideline
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import FIXTURES_DIR
from tests.fixtures.containment import no_leftover_processes  # noqa: F401
from tests.fixtures.servers import running_server

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

HOSTILE = FIXTURES_DIR / "hostile"
IN_PROCESS = HOSTILE / "in_process.py"
SECRET = "sk-test-SECRET-5f2c9a1b7e"


def hostile_cmd(behaviour: str, *args: str | Path) -> str:
    return f"cmd:{sys.executable} {HOSTILE / 'jsonl_hostile.py'} {behaviour} {' '.join(map(str, args))}".strip()


def calfspec(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    # `python -m calfspec` (not the console script) so the tests run the calfspec on sys.path.
    return subprocess.run(
        [sys.executable, "-m", "calfspec", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback (most recent call last)" not in stream
        assert "Exception ignored" not in stream
        assert "Task exception was never retrieved" not in stream


def run_json(tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    out = tmp_path / "result.json"
    proc = calfspec("run", *args, "--report", f"json:{out}", "-q", env=env)
    assert_no_traceback(proc)
    assert out.is_file(), proc.stderr
    return proc.returncode, json.loads(out.read_text(encoding="utf-8")), proc.stderr


# --- probe 1: an in-process implementation cannot set calfspec's exit status -------------------


@pytest.mark.parametrize("command", ["run", "fuzz"])
@pytest.mark.parametrize(
    "target",
    [
        "exits_at_import.py:triage",
        "argparse_at_import.py:triage",
        "interrupt_at_import.py:triage",
        "in_process.py:factory_exits_0",
        "in_process.py:factory_exits_5",
        "in_process.py:factory_interrupts",
    ],
)
def test_system_exit_or_keyboard_interrupt_while_loading_a_python_target_is_a_usage_error(
    command: str, target: str
) -> None:
    proc = calfspec(
        command, "--impl", f"python:{HOSTILE / target}", *(["--examples", "5"] if command == "fuzz" else [])
    )
    assert proc.returncode == 4, proc.stderr
    assert "bad-impl-spec" in proc.stderr
    assert ("SystemExit" in proc.stderr) or ("KeyboardInterrupt" in proc.stderr)
    assert_no_traceback(proc)


# --- review F1: a start() that fails is an error verdict everywhere, never a crash ---------------


def test_a_failing_start_is_an_error_on_every_case_in_run(tmp_path: Path) -> None:
    rc, result, _ = run_json(tmp_path, "--impl", f"python:{IN_PROCESS}:StartFails")
    assert rc == 1
    assert result["cases"] and {c["verdict"] for c in result["cases"]} == {"error"}
    assert {c["error_code"] for c in result["cases"]} == {"implementation-start-failed"}
    assert "ValueError: no config file" in result["cases"][0]["error"]


def test_a_failing_start_is_exit_1_in_fuzz_without_a_traceback() -> None:
    proc = calfspec("fuzz", "--impl", f"python:{IN_PROCESS}:StartFails", "--examples", "5")
    assert proc.returncode == 1, proc.stderr
    assert "implementation failed to start" in proc.stderr and "no config file" in proc.stderr
    assert_no_traceback(proc)


@pytest.mark.slow
def test_a_failing_start_errors_every_item_in_the_pytest_plugin(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--calfspec-impl=python:{IN_PROCESS}:StartFails",
            "--calfspec-tag=dvt",
            "--calfspec-invariants",
            "-k",
            "dvt or determinism",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failed to start" in proc.stdout and "no config file" in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1]


# --- probe 2: duplicate answers and answers for ids never sent ---------------------------------


def test_a_second_answer_for_one_case_makes_that_case_a_protocol_error_never_a_pass(tmp_path: Path) -> None:
    rc, result, stderr = run_json(tmp_path, "--impl", hostile_cmd("answer-twice"), "--tag", "dvt")
    assert rc == 1, stderr
    cases = result["cases"]
    assert cases and {c["verdict"] for c in cases} == {"error"}
    assert {c["error_code"] for c in cases} == {"protocol-error"}
    assert "answered the case twice" in cases[0]["error"]


@pytest.mark.slow
def test_a_second_answer_for_one_case_is_an_error_in_the_pytest_plugin_too(tmp_path: Path) -> None:
    args = [
        "-p",
        "no:cacheprovider",
        "-q",
        "-rE",
        f"--calfspec-impl={hostile_cmd('answer-twice')}",
        "--calfspec-tag=dvt",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "answered the case twice" in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1]


def test_an_answer_for_an_id_never_sent_fails_the_waiting_cases_as_a_protocol_error_not_a_timeout(
    tmp_path: Path,
) -> None:
    rc, result, stderr = run_json(tmp_path, "--impl", hostile_cmd("unknown-id"), "--tag", "dvt", "--timeout", "30")
    assert rc == 1, stderr
    codes = {c["error_code"] for c in result["cases"]} | {"not-run" for _ in result["not_run"]}
    assert "protocol-error" in codes
    assert "implementation-timeout" not in codes
    errors = [c for c in result["cases"] if c["error_code"] == "protocol-error"]
    assert "'17-x', which calfspec never sent" in errors[0]["error"]


# --- probe 3: the circuit breaker costs only the cases it sent ---------------------------------


@pytest.mark.slow
def test_the_circuit_breaker_reports_cases_it_never_sent_as_not_run(tmp_path: Path) -> None:
    # Every process hangs on its first case: after three in a row the adapter gives up.
    rc, result, stderr = run_json(
        tmp_path, "--impl", hostile_cmd("hang"), "--tag", "dvt", "--concurrency", "1", "--timeout", "2"
    )
    assert rc == 1
    # The three cases it sent are its errors (timeouts); the rest were never sent: not run, not errors.
    assert [c["error_code"] for c in result["cases"]] == ["implementation-timeout"] * 3
    assert len(result["not_run"]) == result["selected"] - 3
    assert {n["reason"].split(";")[0] for n in result["not_run"]} == {
        "gave up after 3 processes in a row ended without answering a case"
    }
    judged = {c["scenario_id"] for c in result["cases"]}
    assert not judged & {n["scenario_id"] for n in result["not_run"]}
    assert f"gate: {result['selected'] - 3} case(s) not run" in stderr


@pytest.mark.slow
def test_not_run_cases_are_in_junit_as_not_run_errors(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    rc, result, _ = run_json(
        tmp_path,
        *("--impl", hostile_cmd("hang"), "--tag", "dvt", "--concurrency", "1", "--timeout", "2"),
        *("--report", f"junit:{junit}"),
    )
    assert rc == 1
    types = [e.get("type") for e in ET.parse(junit).iter("error")]
    assert types.count("not-run") == len(result["not_run"]) > 0
    assert types.count("implementation-timeout") == 3


# --- probe 4: enormous and deeply nested lines on cmd: stdout ----------------------------------


@pytest.mark.parametrize(("behaviour", "said"), [("deep-json", "nested too deeply"), ("huge-number", "not JSON:")])
def test_a_deeply_nested_or_unreadable_json_line_is_a_not_json_error_for_the_case(
    tmp_path: Path, behaviour: str, said: str
) -> None:
    rc, result, _ = run_json(tmp_path, "--impl", hostile_cmd(behaviour), "--tag", "dvt", "--concurrency", "1")
    assert rc == 1
    assert result["cases"] and {c["error_code"] for c in result["cases"]} == {"invalid-json"}
    assert said in result["cases"][0]["error"]


# --- probe 5: result files and scenario files calfspec cannot hold -----------------------------


@pytest.fixture
def hostile_results(tmp_path: Path) -> list[Path]:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    big = tmp_path / "big.json"
    big.write_text(
        '{"kind": "calfspec-result", "format_version": "1", "selected": ' + "9" * 5001 + "}", encoding="utf-8"
    )
    nested = tmp_path / "nested.json"
    nested.write_text('{"kind": "calfspec-result", "format_version": "1", "x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return [deep, big, nested]


@pytest.mark.slow
def test_result_files_with_deep_nesting_or_5000_digit_numbers_are_exit_4_naming_the_file(
    tmp_path: Path, hostile_results: list[Path]
) -> None:
    good = tmp_path / "good.json"
    assert calfspec("run", "--tag", "dvt", "--report", f"json:{good}", "-q").returncode == 0
    for bad in hostile_results:
        for args in (
            ("compare", bad, good),
            ("compare", good, bad),
            ("report", "render", bad, "--report", "json:-"),
            ("report", "merge", good, bad),
            ("run", "--tag", "dvt", "--baseline", bad),
        ):
            proc = calfspec(*args)
            assert proc.returncode == 4, (args, proc.stderr)
            assert f"{bad}: result-not-json" in proc.stderr
            assert_no_traceback(proc)


def test_a_scenario_file_with_a_5000_digit_number_is_exit_4_with_its_place(tmp_path: Path) -> None:
    source = next(iter(sorted((Path(__file__).parents[2] / "scenarios" / "cases").rglob("*.yaml"))))
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if "duration_days:" not in line]
    text = "\n".join(lines) + "\n"
    bad = tmp_path / source.name
    bad.write_text(text.replace("presentation:\n", "presentation:\n  duration_days: " + "9" * 5001 + "\n", 1))
    proc = calfspec("run", "--scenarios", bad)
    assert proc.returncode == 4, proc.stderr
    assert f"{bad}:" in proc.stderr and "number" in proc.stderr
    assert_no_traceback(proc)


# --- probe 6: secrets, in every form, in every report; none inherited by cmd: children ----------


def _secret_forms(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"Bearer {secret}".encode()).decode(),
        quote(secret, safe=""),
    ]


def _every_report(tmp_path: Path) -> tuple[list[str], dict[str, Path]]:
    paths = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "junit", "md", "html")}
    return [arg for fmt, path in paths.items() for arg in ("--report", f"{fmt}:{path}")], paths


@pytest.mark.slow
def test_an_echoed_api_key_is_redacted_in_every_form_from_every_report(tmp_path: Path) -> None:
    args, paths = _every_report(tmp_path)
    with running_server("fake_openai") as (url, _):
        proc = calfspec(
            "run",
            "--impl",
            f"openai:echo-key-encoded@{url}/v1",
            "--tag",
            "dvt",
            *args,
            env={"CALFSPEC_OPENAI_API_KEY": SECRET},
        )
    assert proc.returncode in (0, 1), proc.stderr
    assert_no_traceback(proc)
    texts = [proc.stdout, proc.stderr, *(p.read_text(encoding="utf-8") for p in paths.values())]
    assert "[redacted]" in texts[2]  # the JSON report kept the (redacted) rationale
    for form in _secret_forms(SECRET):
        for text in texts:
            assert form not in text


@pytest.mark.slow
def test_calfspec_secrets_are_not_passed_to_cmd_children_unless_asked(tmp_path: Path) -> None:
    env = {"CALFSPEC_OPENAI_API_KEY": SECRET}
    rc, result, stderr = run_json(tmp_path, "--impl", hostile_cmd("echo-env"), "--tag", "dvt", env=env)
    assert rc == 1
    assert "CALFSPEC_OPENAI_API_KEY" not in json.dumps(result) + stderr
    # Passed on deliberately: the child sees it, and every report still hides its value.
    args, paths = _every_report(tmp_path)
    proc = calfspec(
        "run",
        "--impl",
        hostile_cmd("echo-env"),
        "--tag",
        "dvt",
        "--pass-env",
        "CALFSPEC_OPENAI_API_KEY",
        *args,
        env=env,
    )
    assert proc.returncode == 1
    report = paths["json"].read_text(encoding="utf-8")
    assert "CALFSPEC_OPENAI_API_KEY" in report
    for text in (report, proc.stderr, *(p.read_text(encoding="utf-8") for p in paths.values())):
        for form in _secret_forms(SECRET):
            assert form not in text


# --- probes 7 and 8: in-process implementations that interrupt or print ------------------------


def test_keyboard_interrupt_raised_by_a_python_callable_is_an_error_for_each_case_not_the_end_of_the_run(
    tmp_path: Path,
) -> None:
    rc, result, _ = run_json(tmp_path, "--impl", f"python:{IN_PROCESS}:interrupts", "--tag", "dvt")
    assert rc == 1
    assert result["complete"] is True
    assert len(result["cases"]) == result["selected"] > 0
    assert {c["error_code"] for c in result["cases"]} == {"implementation-raised"}


def test_a_python_implementation_that_prints_cannot_corrupt_json_on_stdout() -> None:
    proc = calfspec("run", "--impl", f"python:{IN_PROCESS}:prints", "--tag", "dvt", "--report", "json:-")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["kind"] == "calfspec-result"
    assert "debug: triaging" in proc.stderr


# --- probes 9 and 10: exit 4 before any case runs ---------------------------------------------


def _recording(tmp_path: Path) -> tuple[str, Path]:
    log = tmp_path / "received.jsonl"
    return hostile_cmd("record", log), log


@pytest.mark.parametrize("target", ["/proc/version", "/proc/calfspec/junit.xml", "/sys/kernel/calfspec.xml"])
def test_a_report_path_on_a_read_only_filesystem_is_exit_4_before_any_case(tmp_path: Path, target: str) -> None:
    spec, log = _recording(tmp_path)
    proc = calfspec("run", "--impl", spec, "--tag", "dvt", "--report", f"junit:{target}")
    assert proc.returncode == 4, proc.stderr
    assert "report-unwritable" in proc.stderr
    assert not log.exists() or "triage" not in log.read_text(encoding="utf-8")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a folder with mode 0o500")
def test_a_report_path_in_a_folder_without_write_permission_is_exit_4_before_any_case(tmp_path: Path) -> None:
    spec, log = _recording(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    proc = calfspec("run", "--impl", spec, "--tag", "dvt", "--report", f"json:{locked / 'r.json'}")
    assert proc.returncode == 4, proc.stderr
    assert not log.exists()


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_broken_symlink_in_the_scenarios_folder_is_exit_4_naming_it(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    source = next(iter(sorted((Path(__file__).parents[2] / "scenarios" / "cases").rglob("*.yaml"))))
    (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    link = folder / "vanished.yaml"
    link.symlink_to("nowhere.yaml" if kind == "dangling" else "vanished.yaml")
    spec, log = _recording(tmp_path)
    proc = calfspec("run", "--impl", spec, "--scenarios", folder)
    assert proc.returncode == 4, proc.stderr
    assert "scenario-broken-symlink" in proc.stderr and str(link) in proc.stderr
    assert ("symlink loop" if kind == "loop" else "points nowhere") in proc.stderr
    assert not log.exists()


def test_a_scenarios_path_that_does_not_exist_is_exit_4(tmp_path: Path) -> None:
    spec, log = _recording(tmp_path)
    proc = calfspec("run", "--impl", spec, "--scenarios", tmp_path / "no-such-folder")
    assert proc.returncode == 4, proc.stderr
    assert "scenario path not found" in proc.stderr
    assert not log.exists()


# --- case ids: nothing that names the expected answer reaches an implementation ----------------


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.slow
def test_no_scenario_id_title_or_tag_reaches_the_implementation_across_the_bundled_suite(tmp_path: Path) -> None:
    spec, log = _recording(tmp_path)
    proc = calfspec("run", "--impl", spec, "--max-rounds", "3", "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    requests = [
        m["request"] for m in map(json.loads, log.read_text(encoding="utf-8").splitlines()) if m["type"] == "triage"
    ]
    suite = load_scenarios(None, load_guideline())
    assert len(requests) >= 2 * len(suite)  # every case, every repeat, and the follow-up rounds
    texts = [json.dumps(r) for r in requests]
    values = {s for r in requests for s in _strings(r)}
    for loaded in suite:
        s = loaded.scenario
        assert not any(s.id in t for t in texts), s.id
        assert not any(s.title in t for t in texts), s.title
        for tag in s.tags:
            assert tag not in values, (s.id, tag)
    assert {len(r["case_id"]) for r in requests} == {16}
    assert len({r["case_id"] for r in requests}) == 2 * len(suite)


# --- error codes: a timeout can be told from a crash -------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        pytest.param("hang", "implementation-timeout", marks=pytest.mark.slow),
        ("crash", "implementation-crashed"),
        ("garbage", "invalid-json"),
    ],
)
def test_each_error_keeps_its_stable_code_in_json_and_in_junit_type(tmp_path: Path, behaviour: str, code: str) -> None:
    junit = tmp_path / "junit.xml"
    rc, result, _ = run_json(
        tmp_path,
        *("--impl", hostile_cmd(behaviour), "--tag", "dvt", "--timeout", "2", "--concurrency", "1"),
        *("--report", f"junit:{junit}"),
    )
    assert rc == 1
    assert result["cases"][0]["error_code"] == code
    types = {e.get("type") for e in ET.parse(junit).iter("error")}
    assert code in types


# --- conversations end honestly (issue 9 item 3) ------------------------------------------------


@pytest.mark.slow
def test_a_cmd_system_that_asks_new_questions_in_every_round_gets_only_errors(tmp_path: Path) -> None:
    rc, result, _ = run_json(tmp_path, "--impl", hostile_cmd("ask-forever"))
    assert rc == 1
    assert len(result["cases"]) == result["selected"]
    assert {c["verdict"] for c in result["cases"]} == {"error"}
    assert {c["error_code"] for c in result["cases"]} == {"no-final-decision"}
    assert all(len(c["transcript"]) == 4 for c in result["cases"])  # the first round and 3 follow-ups


# --- probe 11: interrupts --------------------------------------------------------------------


def test_a_never_returning_python_function_stops_on_a_second_ctrl_c_with_a_hint_and_no_traceback(
    tmp_path: Path,
) -> None:
    import signal
    import time

    mark, out = tmp_path / "spinning", tmp_path / "result.json"
    args = ["run", "--impl", f"python:{IN_PROCESS}:spins", "--tag", "dvt", "--report", f"json:{out}", "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "calfspec", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CALFSPEC_SPIN_MARK": str(mark)},
    )
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert time.monotonic() < deadline and proc.poll() is None, "the function never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)  # the function cannot be cancelled: the first Ctrl-C only asks it to stop
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    assert "press Ctrl-C again to stop at once" in stderr
    assert "Traceback" not in stdout + stderr and "never retrieved" not in stderr
    assert json.loads(out.read_text(encoding="utf-8"))["complete"] is False


def test_sigterm_while_calfspec_is_still_loading_is_an_interrupt_exit_2_not_143(tmp_path: Path) -> None:
    import signal

    # The baseline is a FIFO: opening it for writing returns only once calfspec is reading it,
    # i.e. inside the run command, before any case, at a moment the test can know.
    fifo = tmp_path / "baseline.json"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "calfspec", "run", "--baseline", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with open(fifo, "w", encoding="utf-8"):
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stdout + stderr


def test_a_fast_double_ctrl_c_on_a_cmd_run_is_exit_2_without_asyncio_noise(tmp_path: Path) -> None:
    import signal
    import time

    # `sleep` never says hello: the run is waiting on its child when the two signals arrive.
    out = tmp_path / "result.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "calfspec",
            "run",
            "--impl",
            "cmd:sleep 1000",
            "--timeout",
            "60",
            "--report",
            f"json:{out}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        deadline = time.monotonic() + 120
        while not children.read_text(encoding="ascii").split():
            assert time.monotonic() < deadline and proc.poll() is None, "the cmd: child never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    for noise in ("Traceback", "Task was destroyed", "Event loop is closed", "Exception ignored", "never retrieved"):
        assert noise not in stdout + stderr, stderr
    assert "interrupted" in stderr
    assert json.loads(out.read_text(encoding="utf-8"))["complete"] is False
