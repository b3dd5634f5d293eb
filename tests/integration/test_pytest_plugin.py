"""The pytest plugin end to end, through pytest's own ``pytester``.

Each test runs a real inner pytest session in a temporary directory that holds
no test files: the plugin alone must collect the golden scenarios, run them
against the implementation and map the verdicts onto pytest outcomes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# Imported here, before any inner run, so pytester's sys.modules snapshot keeps
# one copy of calfspec's modules for the whole test session.
import calfspec._internal.adapters
import calfspec._internal.runner  # noqa: F401
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.scenarios import LoadedScenario, load_scenarios
from tests.conftest import FIXTURES_DIR

pytest_plugins = ["pytester"]

IMPLS = FIXTURES_DIR / "impls_plugin" / "impls.py"


def impl(name: str) -> str:
    """A ``python:`` spec for a fixture implementation."""
    return f"--calfspec-impl=python:{IMPLS}:{name}"


@pytest.fixture(scope="module")
def bundled() -> list[LoadedScenario]:
    """The bundled golden suite, as the plugin loads it by default."""
    return load_scenarios(None, load_guideline())


def failure_sections(stdout: str) -> dict[str, str]:
    """Map scenario id -> the text of its failure section in pytest's FAILURES block."""
    sections: dict[str, str] = {}
    parts = re.split(r"^_+ calfspec scenario (\S+) _+$", stdout, flags=re.MULTILINE)
    for sid, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[sid] = body
    return sections


def test_reference_passes_every_bundled_scenario_in_a_fresh_directory(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    assert not list(pytester.path.iterdir()), "the directory must hold no tests and no conftest"
    result = pytester.runpytest_subprocess("--calfspec-impl", "reference", "-p", "no:randomly")
    result.assert_outcomes(passed=len(bundled))
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "calfspec: implementation reference, scenarios bundled suite, fail on safety",
            f"{len(bundled)} scenario(s) against reference: {len(bundled)} passed, 0 failed (0 safety, 0 quality), "
            "0 error(s); 0 under-triaged",
        ]
    )


def test_always_self_care_fails_every_red_flag_scenario_with_a_readable_under_triage(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    result = pytester.runpytest(impl("always_self_care"))
    red_flag = [s for s in bundled if s.scenario.covers.red_flags]
    assert red_flag, "the bundled suite has red-flag scenarios"
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    sections = failure_sections(result.stdout.str())
    assert {s.id for s in red_flag} <= set(sections)
    for loaded in red_flag:
        body = sections[loaded.id]
        expected_min = loaded.scenario.expect.urgency.min.value
        assert f"under-triage: gave self_care, needs at least {expected_min}" in body
        assert "[safety] under-triage" in body
        assert f"urgency: expected {expected_min}" in body and "given self_care" in body
        # The claims behind the expectation, with the source's locating excerpt.
        first_claim = loaded.scenario.expect.claims[0]
        assert f"    {first_claim} [" in body
        excerpt = load_guideline().claims[first_claim].citations[0].excerpt
        assert f'"{excerpt}"' in body
        assert str(loaded.path) in body


def test_k_selects_scenarios_by_id(pytester: pytest.Pytester, bundled: list[LoadedScenario]) -> None:
    target = bundled[len(bundled) // 2].id
    others = [s.id for s in bundled if target in s.id and s.id != target]
    expr = target if not others else f"{target} and not ({' or '.join(others)})"
    result = pytester.runpytest("--calfspec-impl=reference", "-k", expr, "-v")
    result.assert_outcomes(passed=1, deselected=len(bundled) - 1)
    result.stdout.fnmatch_lines([f"calfspec::{target} PASSED*"])


def test_tags_select_and_become_keywords(pytester: pytest.Pytester, bundled: list[LoadedScenario]) -> None:
    benign = [s for s in bundled if "benign" in s.scenario.tags]
    assert benign
    by_option = pytester.runpytest("--calfspec-impl=reference", "--calfspec-tag=benign")
    by_option.assert_outcomes(passed=len(benign))
    by_keyword = pytester.runpytest("--calfspec-impl=reference", "-k", "benign")
    by_keyword.assert_outcomes(passed=len(benign), deselected=len(bundled) - len(benign))


def test_quality_failures_are_xfailed_unless_fail_on_quality(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    # A case where answering emergency is over-triage and nothing else.
    target = next(
        s
        for s in bundled
        if s.scenario.expect.urgency.max < Urgency.EMERGENCY
        and not s.scenario.expect.pathways_required
        and "emergency-call-now" not in s.scenario.expect.pathways_forbidden
    )
    lenient = pytester.runpytest(impl("always_emergency"), "-k", target.id, "-rx")
    lenient.assert_outcomes(xfailed=1, deselected=len(bundled) - 1)
    assert lenient.ret == pytest.ExitCode.OK
    lenient.stdout.fnmatch_lines(
        [f"XFAIL calfspec::{target.id} - quality failure below --calfspec-fail-on=safety: over-triage: gave emergency*"]
    )
    strict = pytester.runpytest(impl("always_emergency"), "-k", target.id, "--calfspec-fail-on=quality")
    strict.assert_outcomes(failed=1, deselected=len(bundled) - 1)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    assert "[quality] over-triage: gave emergency" in strict.stdout.str()
    run_xfail = pytester.runpytest(impl("always_emergency"), "-k", target.id, "--runxfail")
    run_xfail.assert_outcomes(failed=1, deselected=len(bundled) - 1)
    run_xfail.stdout.fnmatch_lines(["quality failure: over-triage: gave emergency*"])
    assert "Traceback" not in run_xfail.stdout.str()


def test_an_implementation_that_raises_gives_pytest_errors_never_passes(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    result = pytester.runpytest(impl("raises"), "--calfspec-tag=benign")
    benign = [s for s in bundled if "benign" in s.scenario.tags]
    result.assert_outcomes(errors=len(benign))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"*ERROR at setup of calfspec scenario {benign[0].id}*",
            "no valid answer: the callable raised RuntimeError: triage engine unavailable",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_an_implementation_that_cannot_start_errors_every_case(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    result = pytester.runpytest(impl("FailsToStart"), "--calfspec-tag=benign")
    benign = [s for s in bundled if "benign" in s.scenario.tags]
    result.assert_outcomes(errors=len(benign))
    result.stdout.fnmatch_lines(
        [
            "no valid answer: implementation fails-to-start failed to start: backend refused the connection",
            # Cases with no answer at all are still errors in calfspec's own tally, not left out of it.
            f"{len(benign)} scenario(s) against fails-to-start: 0 passed, 0 failed (0 safety, 0 quality), "
            f"{len(benign)} error(s); 0 under-triaged",
        ]
    )


def test_the_summary_counts_only_cases_pytest_reported_not_the_look_ahead_batch(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    # Every red-flag case fails against always_self_care, so -x stops after the first item,
    # though the look-ahead batch already answered 8 of them.
    red_flag = [s for s in bundled if "red-flag" in s.scenario.tags]
    assert len(red_flag) > 8
    result = pytester.runpytest(
        impl("always_self_care"), "-x", "--calfspec-concurrency=8", "--calfspec-tag=red-flag", "-p", "no:randomly"
    )
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([r"^1 scenario\(s\) against .*: 0 passed, 1 failed \(1 safety, 0 quality\)"])


def test_one_implementation_is_started_once_and_closed_once_per_session(
    pytester: pytest.Pytester, bundled: list[LoadedScenario], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "lifecycle.log"
    monkeypatch.setenv("CALFSPEC_PLUGIN_LOG", str(log))
    result = pytester.runpytest(impl("CountingImplementation"), "--calfspec-concurrency=3")
    result.assert_outcomes(passed=len(bundled))
    words = log.read_text().split()
    assert words[0] == "start" and words[-1] == "close"
    assert words.count("start") == 1 and words.count("close") == 1
    assert words.count("triage") >= len(bundled)


def test_scenario_items_run_beside_the_users_own_tests(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    pytester.makepyfile(test_mine="def test_mine():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("--calfspec-impl=reference", "--calfspec-tag=benign", "-v")
    benign = [s for s in bundled if "benign" in s.scenario.tags]
    result.assert_outcomes(passed=len(benign) + 1)
    result.stdout.fnmatch_lines(["test_mine.py::test_mine PASSED*"])


def test_an_invalid_scenario_stops_the_run_with_usage_error_and_location(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "bad.yaml"
    bad.write_text("id: broken\nid: twice\n", encoding="utf-8")
    result = pytester.runpytest("--calfspec-impl=reference", f"--calfspec-scenarios={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: calfspec: {bad}:2:*"])


def test_an_unknown_implementation_spec_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--calfspec-impl=nonsense:thing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: calfspec: *nonsense:thing*"])


def test_without_the_option_the_plugin_collects_nothing_and_imports_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    pytester.makeconftest(
        """
import sys

def pytest_unconfigure(config):
    loaded = sorted(
        m for m in sys.modules
        if m.split(".")[0] in ("calfspec", "pydantic", "rich", "httpx", "hypothesis", "jinja2", "ruamel")
    )
    print("LOADED:", ",".join(loaded))
"""
    )
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    line = next(line for line in result.stdout.lines if line.startswith("LOADED:"))
    loaded = set(line.removeprefix("LOADED:").strip().split(","))
    assert "calfspec.pytest_plugin" in loaded, "the plugin is registered through the pytest11 entry point"
    # hypothesis, rich and friends may come from their own pytest plugins; calfspec
    # must add nothing of its own, and nothing that needs pydantic.
    # Besides the version, only the stdlib-only connector table behind the --calfspec-impl help.
    free = {
        "calfspec._internal",
        "calfspec._internal._version",
        "calfspec._internal.adapters",
        "calfspec._internal.adapters.spec",
        "calfspec._internal.errors",
    }
    assert {m for m in loaded if m.startswith("calfspec") and m not in free} == {"calfspec", "calfspec.pytest_plugin"}
    assert not {m for m in loaded if m.startswith("pydantic")}
    # No header line, no summary section, no scenario items.
    assert not [line for line in result.stdout.lines if line.startswith("calfspec")]


def test_invariants_are_collected_one_per_invariant_and_hold_for_the_reference(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    from calfspec.invariants import derive_invariants

    names = [inv.name for inv in derive_invariants(load_guideline())]
    result = pytester.runpytest(
        "--calfspec-impl=reference", "--calfspec-invariants", "--calfspec-examples=10", "-k", "invariants", "-v"
    )
    result.assert_outcomes(passed=len(names), deselected=len(bundled))
    result.stdout.fnmatch_lines([f"calfspec::invariants::{name} PASSED*" for name in names], consecutive=False)


def test_a_broken_invariant_shows_the_shrunk_counterexample(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        impl("always_self_care"),
        "--calfspec-invariants",
        "--calfspec-examples=20",
        "-k",
        "invariants and red-flag-dvt-swollen-warm-red-calf",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "violation: under-triage: gave self_care, needs at least urgent*",
            "  invariant red-flag-dvt-swollen-warm-red-calf against python:*always_self_care: Whenever*",
            "  request 1:",
            "    present: *",
            "    answer: urgency self_care*",
        ]
    )


def test_a_password_in_the_implementation_url_is_never_printed(
    pytester: pytest.Pytester, bundled: list[LoadedScenario]
) -> None:
    # Nothing listens on port 9 of 127.0.0.1 here: every case is an error, and every message names the URL.
    result = pytester.runpytest(
        "--calfspec-impl=http://bob:hunter2@127.0.0.1:9/triage", "--calfspec-timeout=2", "-k", bundled[0].id
    )
    result.assert_outcomes(errors=1, deselected=len(bundled) - 1)
    result.stdout.fnmatch_lines(["calfspec: implementation http://127.0.0.1:9/triage, *"])
    assert "hunter2" not in result.stdout.str() + result.stderr.str()
