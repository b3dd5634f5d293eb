"""calfspec.run: the library runs a suite as the CLI does, from a spec, an adapter or a plain function."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import calfspec
from calfspec import RunOptions, TriageDecision, TriageRequest, Urgency, Verdict
from tests.fixtures.broken import always_self_care
from tests.fixtures.results.cli import calfspec as calfspec_cli

# A few tags keep these runs short; the last test runs the whole bundled suite once.
SMALL = RunOptions(tags=("pe",), concurrency=4)


def _verdicts(result: calfspec.RunResult) -> list[tuple[str, int, str, str | None]]:
    return [(c.scenario_id, c.repeat, c.verdict.value, c.given.value if c.given else None) for c in result.cases]


def sync_triage(request: TriageRequest) -> TriageDecision:
    return calfspec.reference_triage(request)


async def async_triage(request: TriageRequest) -> TriageDecision:
    await asyncio.sleep(0)
    return calfspec.reference_triage(request)


def test_a_plain_function_gives_the_same_verdicts_as_the_reference_spec() -> None:
    by_spec = calfspec.run("reference", options=SMALL)
    by_function = calfspec.run(sync_triage, options=SMALL)
    assert isinstance(by_function, calfspec.RunResult)
    assert by_spec.cases, "the tag selects something"
    assert _verdicts(by_function) == _verdicts(by_spec)
    assert {c.verdict for c in by_function.cases} == {Verdict.PASS}
    assert by_function.implementation == f"python:{__name__}:sync_triage"
    assert by_spec.implementation == "reference" and by_spec.complete


def test_an_async_function_runs_too() -> None:
    result = calfspec.run(async_triage, options=SMALL)
    assert _verdicts(result) == _verdicts(calfspec.run("reference", options=SMALL))


def test_a_function_that_raises_gives_error_verdicts_not_an_exception() -> None:
    def broken(request: TriageRequest) -> TriageDecision:
        raise ZeroDivisionError("oops")

    result = calfspec.run(broken, options=SMALL)
    assert result.cases and {c.verdict for c in result.cases} == {Verdict.ERROR}
    assert {c.error_code for c in result.cases} == {"implementation-raised"}
    assert not calfspec.gate(result).passed


def test_an_implementation_object_is_used_as_it_is() -> None:
    impl = calfspec.load_implementation("reference")
    result = calfspec.run(impl, options=SMALL)
    assert result.implementation == "reference"
    assert calfspec.gate(result).passed


def test_the_gate_fails_an_unsafe_function_and_names_the_severity() -> None:
    result = calfspec.run(always_self_care.triage, options=SMALL)
    verdict = calfspec.gate(result, fail_on="safety")
    assert not verdict.passed
    assert any("failed at or above safety severity" in r for r in verdict.reasons)
    # A baseline with the same failures tolerates them: the ratchet.
    ratchet = calfspec.gate(result, baseline=result)
    assert ratchet.passed, ratchet.reasons
    assert ratchet.tolerated and ratchet.notes


def test_options_choose_the_cases_repeats_and_reject_nonsense() -> None:
    result = calfspec.run("reference", options=SMALL.model_copy(update={"repeat": 2}))
    assert {c.repeat for c in result.cases} == {0, 1}
    assert result.repeat == 2 and len(result.cases) == 2 * result.selected
    with pytest.raises(calfspec.InputError) as info:
        RunOptions(timeout=0)
    assert info.value.code == "invalid-run-options"
    with pytest.raises(calfspec.InputError) as info:
        calfspec.run("reference", options=RunOptions(tags=("no-such-tag",)))
    assert info.value.code == "no-scenario-selected"
    with pytest.raises(calfspec.SpecError):
        calfspec.run("nonsense:thing", options=SMALL)


def test_inside_an_event_loop_run_says_to_use_run_async_which_works() -> None:
    async def main() -> calfspec.RunResult:
        with pytest.raises(calfspec.InputError, match="run_async") as info:
            calfspec.run("reference", options=SMALL)
        assert info.value.code == "event-loop-running"
        return await calfspec.run_async(async_triage, options=SMALL)

    result = asyncio.run(main())
    assert {c.verdict for c in result.cases} == {Verdict.PASS}


def test_a_decision_as_a_dict_from_a_function_taking_a_dict_is_accepted() -> None:
    def triage(request: dict[str, object]) -> dict[str, object]:
        assert isinstance(request, dict)
        return {"urgency": Urgency.SELF_CARE.value, "pathways": ["self-care-muscle"]}

    result = calfspec.run(triage, options=SMALL)
    assert {c.verdict for c in result.cases} == {Verdict.FAIL}


def test_the_result_equals_the_cli_json_report_for_the_bundled_suite(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    done = calfspec_cli("run", "-q", "--report", f"json:{out}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    cli_verdicts = [(c["scenario_id"], c["repeat"], c["verdict"], c["given"]) for c in report["cases"]]
    result = calfspec.run("reference")
    assert _verdicts(result) == [tuple(v) for v in cli_verdicts]
    assert result.selected == report["selected"] and result.implementation == report["implementation"]
    assert calfspec.gate(result).passed
