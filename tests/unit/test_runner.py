"""The runner keeps counting honestly whatever an implementation does (in-process fakes).

Real subprocess and HTTP misbehaviour is covered in tests/integration; here the
runner's own guarantees are pinned with Implementation objects in process.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from calfspec._internal.adapters import Reply, load_implementation
from calfspec._internal.errors import ImplementationError, InputError
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.results import Verdict
from calfspec._internal.models.triage import TriageDecision, TriageRequest
from calfspec._internal.runner import RunOptions, run_cases
from calfspec._internal.scenarios import LoadedScenario, load_scenarios

SCENARIO = """\
id: {id}
title: Calf pain, the decisive fact only known if asked
tags: [interactive]
presentation:
  side: left
  findings:
    calf_swelling: present
narrative: My left calf is swollen.
reveal_on_ask:
  chest_pain: present
expect:
  urgency: {{min: emergency, max: emergency}}
  pathways_required: [emergency-call-now]
  claims: [pe-symptoms-call-emergency]
covers:
  red_flags: [pe-breathlessness-chest-pain-haemoptysis]
"""


@pytest.fixture
def scenarios(tmp_path: Path) -> list[LoadedScenario]:
    for i in range(5):
        (tmp_path / f"s{i}.yaml").write_text(textwrap.dedent(SCENARIO.format(id=f"case-{i}")))
    return load_scenarios(tmp_path, load_guideline())


class Fake:
    """An in-process implementation whose behaviour each test chooses."""

    def __init__(self, answer: object, start_error: str | None = None) -> None:
        self.answer = answer
        self.start_error = start_error
        self.closed = False
        self.calls: list[TriageRequest] = []

    @property
    def name(self) -> str:
        return "fake"

    async def start(self) -> None:
        if self.start_error:
            raise ImplementationError(self.start_error)

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        self.calls.append(request)
        if callable(self.answer):
            return await self.answer(request)  # type: ignore[no-any-return]
        assert isinstance(self.answer, TriageDecision)
        return Reply(self.answer)

    async def close(self) -> None:
        self.closed = True


def run(fake: Fake, scenarios: list[LoadedScenario], **opts: object) -> list:  # type: ignore[type-arg]
    return asyncio.run(run_cases(fake, scenarios, load_guideline(), RunOptions(**opts)))


def test_the_reference_asks_and_the_harness_answers_from_the_scenario(scenarios: list[LoadedScenario]) -> None:
    g = load_guideline()
    results = asyncio.run(run_cases(load_implementation("reference", g), scenarios, g, RunOptions()))
    assert [r.verdict for r in results] == [Verdict.PASS] * 5
    first = results[0]
    assert len(first.transcript) == 2
    answered = first.transcript[0].answered
    # What the scenario holds back is revealed; what it does not know, the patient is "not sure" about.
    assert answered["chest_pain"] == "present"
    assert set(answered.values()) == {"present", "unknown"}
    assert "Chest pain: yes" in (first.transcript[1].request.narrative or "")
    assert first.request.findings.get("chest_pain") is None  # the first presentation did not know


def test_a_system_that_does_not_ask_is_judged_on_the_first_presentation(scenarios: list[LoadedScenario]) -> None:
    fake = Fake(TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",)))
    results = run(fake, scenarios)
    assert all(r.verdict is Verdict.FAIL for r in results)
    assert all(len(c.findings) == 1 for c in fake.calls)


def test_an_exception_in_the_implementation_is_an_error_not_a_crash(scenarios: list[LoadedScenario]) -> None:
    async def boom(request: TriageRequest) -> Reply:
        raise ZeroDivisionError("oops")

    results = run(Fake(boom), scenarios)
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert "ZeroDivisionError" in (results[0].error or "") and "case case-0" in (results[0].error or "")


def test_a_hang_becomes_a_timeout_error_and_the_run_goes_on(scenarios: list[LoadedScenario]) -> None:
    async def hang(request: TriageRequest) -> Reply:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    fake = Fake(hang)
    results = run(fake, scenarios, timeout=0.05, concurrency=5)
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert all("timeout" in (r.error or "") for r in results)
    assert fake.closed


def test_unknown_ids_in_a_decision_are_an_error(scenarios: list[LoadedScenario]) -> None:
    results = run(Fake(TriageDecision(urgency="emergency", pathways=("emergency-call-now", "made-up"))), scenarios)
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert "made-up" in (results[0].error or "")


def test_an_implementation_that_cannot_start_errors_every_case_and_is_closed(scenarios: list[LoadedScenario]) -> None:
    fake = Fake(TriageDecision(urgency="emergency"), start_error="handshake refused")
    results = run(fake, scenarios, repeat=2)
    assert len(results) == 10
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert "handshake refused" in (results[0].error or "")
    assert fake.closed


def test_repeats_are_kept_apart_and_ordered(scenarios: list[LoadedScenario]) -> None:
    results = run(Fake(TriageDecision(urgency="emergency", pathways=("emergency-call-now",))), scenarios, repeat=3)
    assert [(r.scenario_id, r.repeat) for r in results] == [(f"case-{i}", k) for i in range(5) for k in range(3)]
    assert {r.verdict for r in results} == {Verdict.PASS}


def test_questions_stop_when_nothing_more_can_be_answered(scenarios: list[LoadedScenario]) -> None:
    async def always_asks(request: TriageRequest) -> Reply:
        return Reply(
            TriageDecision(urgency="emergency", pathways=("emergency-call-now",), questions=("fever", "chest_pain"))
        )

    fake = Fake(always_asks)
    results = run(fake, scenarios[:1], max_rounds=5)
    assert results[0].verdict is Verdict.PASS
    # chest_pain revealed, fever answered "not sure" (unknown to the scenario); asking again is nothing new.
    assert len(fake.calls) == 2
    assert fake.calls[1].state("fever").value == "unknown"
    assert results[0].transcript[0].answered == {"fever": "unknown", "chest_pain": "present"}


def test_side_and_pregnancy_can_be_revealed_when_asked(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        textwrap.dedent(
            """\
            id: tender-after-long-flight-side-asked
            title: Tender calf after a long flight; which leg is only said when asked
            presentation:
              findings: {calf_tenderness: present, long_travel: present}
            narrative: My calf has been tender since my long flight.
            reveal_on_ask: {side: right}
            expect:
              urgency: {min: urgent, max: urgent}
              pathways_required: [urgent-dvt-assessment]
              claims: [dvt-red-flag-signs]
            covers:
              red_flags: [dvt-tender-one-sided-with-clot-risk]
            """
        )
    )
    g = load_guideline()
    loaded = load_scenarios(tmp_path, g)
    [result] = asyncio.run(run_cases(load_implementation("reference", g), loaded, g, RunOptions()))
    assert result.verdict is Verdict.PASS
    assert "side" in result.transcript[0].decision.questions  # type: ignore[union-attr]
    assert result.transcript[1].request.side.value == "right"


def test_a_revealed_side_must_be_a_side(tmp_path: Path) -> None:
    from calfspec._internal.scenarios import ScenarioInvalid

    (tmp_path / "s.yaml").write_text(SCENARIO.format(id="x").replace("chest_pain: present", "side: present"))
    with pytest.raises(ScenarioInvalid, match=r"reveal_on_ask\.side must be"):
        load_scenarios(tmp_path, load_guideline())


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"repeat": 0}, "repeat"),
        ({"max_rounds": -1}, "max_rounds"),
    ],
)
def test_nonsense_run_options_are_an_input_error_not_a_crash_mid_run(options: dict[str, float], named: str) -> None:
    with pytest.raises(InputError, match=named) as info:
        RunOptions(**options)
    assert info.value.code == "invalid-run-options"


def test_with_no_follow_up_rounds_a_decision_that_still_asks_is_an_error_not_judged(
    scenarios: list[LoadedScenario],
) -> None:
    async def asks(request: TriageRequest) -> Reply:
        return Reply(TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",), questions=("chest_pain",)))

    fake = Fake(asks)
    results = run(fake, scenarios[:1], max_rounds=0)
    assert len(fake.calls) == 1
    assert results[0].verdict is Verdict.ERROR and results[0].given is None
    assert results[0].error_code == "no-final-decision"
    assert "no final decision after 1 round: the system still asks about chest_pain" in (results[0].error or "")


def test_with_no_follow_up_rounds_a_decision_that_asks_nothing_is_judged(scenarios: list[LoadedScenario]) -> None:
    fake = Fake(TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",)))
    results = run(fake, scenarios[:1], max_rounds=0)
    assert len(fake.calls) == 1
    assert results[0].verdict is Verdict.FAIL and results[0].given is not None


class AsksSomethingNewEveryRound(Fake):
    """Never decides: each round it asks about one more fact the request leaves unknown."""

    def __init__(self) -> None:
        super().__init__(None)
        self.asked: dict[str | None, set[str]] = {}

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        self.calls.append(request)
        asked = self.asked.setdefault(request.case_id, set())
        fresh = next(f for f in load_guideline().findings if f not in asked and request.state(f).value == "unknown")
        asked.add(fresh)
        # A placeholder that would pass many cases if it were judged.
        return Reply(TriageDecision(urgency="emergency", pathways=("emergency-call-now",), questions=(fresh,)))


@pytest.mark.parametrize("max_rounds", [0, 1, 3])
def test_a_system_that_asks_new_questions_in_every_round_gets_only_errors_on_the_bundled_suite(
    max_rounds: int,
) -> None:
    g = load_guideline()
    suite = load_scenarios(None, g)
    fake = AsksSomethingNewEveryRound()
    results = asyncio.run(run_cases(fake, suite, g, RunOptions(max_rounds=max_rounds)))
    assert len(results) == len(suite)
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert {r.error_code for r in results} == {"no-final-decision"}
    assert all(len(r.transcript) == max_rounds + 1 for r in results)
    assert len(fake.calls) == len(suite) * (max_rounds + 1)


def test_a_failing_follow_up_round_is_reported_with_its_own_request_and_reply(
    scenarios: list[LoadedScenario],
) -> None:
    async def breaks_in_round_two(request: TriageRequest) -> Reply:
        if request.state("chest_pain").value == "unknown":
            return Reply(
                TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",), questions=("chest_pain",)),
                raw='{"round": 1}',
            )
        error = ImplementationError("the decision breaks the schema", code="schema-invalid-decision")
        error.raw = '{"round": 2, "urgency": "super-urgent"}'
        raise error

    [result] = run(Fake(breaks_in_round_two), scenarios[:1])
    assert result.verdict is Verdict.ERROR and result.error_code == "schema-invalid-decision"
    first, second = result.transcript
    assert first.raw_reply == '{"round": 1}' and first.decision is not None
    assert second.decision is None  # not round one's decision carried over
    assert second.raw_reply == result.raw_reply == '{"round": 2, "urgency": "super-urgent"}'
    assert second.request.state("chest_pain").value == "present"
    assert result.request == second.request


def test_case_ids_are_opaque_stable_hashes_that_name_no_scenario() -> None:
    from calfspec._internal.runner import case_id

    assert case_id("dvt-swollen-calf", 0) == case_id("dvt-swollen-calf", 0)
    assert case_id("dvt-swollen-calf", 0) != case_id("dvt-swollen-calf", 1)
    assert len(case_id("dvt-swollen-calf")) == 16 and "dvt" not in case_id("dvt-swollen-calf")


def test_a_timeout_error_raised_by_the_implementation_is_reported_as_raised_not_as_our_timeout(
    scenarios: list[LoadedScenario],
) -> None:
    async def pool_exhausted(request: TriageRequest) -> Reply:
        raise TimeoutError("database pool exhausted")

    results = run(Fake(pool_exhausted), scenarios[:1], timeout=30)
    assert results[0].verdict is Verdict.ERROR
    assert "raised TimeoutError: database pool exhausted" in (results[0].error or "")


def test_sys_exit_in_the_implementation_is_an_error_not_a_silent_end_of_the_run(
    scenarios: list[LoadedScenario],
) -> None:
    async def exits(request: TriageRequest) -> Reply:
        raise SystemExit(0)

    results = run(Fake(exits), scenarios)
    assert len(results) == 5 and {r.verdict for r in results} == {Verdict.ERROR}
    assert "raised SystemExit" in (results[0].error or "")


def test_any_exception_from_start_errors_every_case_and_the_run_still_closes(scenarios: list[LoadedScenario]) -> None:
    class BadStart(Fake):
        async def start(self) -> None:
            raise OSError("port already in use")

    fake = BadStart(TriageDecision(urgency="emergency"))
    results = run(fake, scenarios)
    assert {r.verdict for r in results} == {Verdict.ERROR}
    assert "failed to start: OSError: port already in use" in (results[0].error or "")
    assert fake.closed
