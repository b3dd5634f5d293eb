"""Run scenarios against an implementation: concurrency, timeouts, repeats, follow-up questions.

The runner owns everything that must hold whatever the implementation does:

* each case gets its own timeout, and a misbehaving implementation (crash,
  hang, garbage, schema violation, unknown ids, an exception) becomes an
  *error* verdict for that case, never a pass and never a crash of calfspec;
* cases run concurrently up to a limit; results arrive through a callback as
  they finish, so an interrupted run keeps every finished case;
* when a decision carries ``questions``, the harness answers those the
  scenario knows (``reveal_on_ask``) and asks again, up to ``max_rounds``;
  what the scenario leaves unknown stays unknown. The transcript is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .adapters.base import Implementation
from .errors import CalfspecError, ImplementationError, InputError
from .guideline import GuidelineIndex
from .judge import judge, validate_decision
from .models.results import CaseResult, Exchange, Verdict
from .models.triage import FindingState, Side, TriageDecision, TriageRequest
from .scenarios import LoadedScenario, with_answers

__all__ = ["RunOptions", "answer_request", "ask", "build_request", "run_case", "run_cases"]

_GRACE_S = 2.0
"""Backstop beyond the adapter's own timeout before the runner cancels a call."""


_ANSWER_WORDS: dict[FindingState | Side, str] = {
    FindingState.PRESENT: "yes",
    FindingState.ABSENT: "no",
    FindingState.UNKNOWN: "not sure",
}


@dataclass(frozen=True)
class RunOptions:
    """How to run: parallelism, per-call timeout, repeats and follow-up rounds."""

    concurrency: int = 8
    timeout: float = 30.0
    repeat: int = 1
    max_rounds: int = 3

    def __post_init__(self) -> None:
        # The CLI bounds its options; this guards the Python API, where a zero timeout or
        # negative rounds would otherwise surface as a crash in the middle of a run.
        problems = [
            f"{name} must be {rule}, got {value!r}"
            for name, value, ok, rule in (
                ("concurrency", self.concurrency, self.concurrency >= 1, "at least 1"),
                ("timeout", self.timeout, self.timeout > 0, "more than 0 seconds"),
                ("repeat", self.repeat, self.repeat >= 1, "at least 1"),
                ("max_rounds", self.max_rounds, self.max_rounds >= 0, "at least 0"),
            )
            if not ok
        ]
        if problems:
            raise InputError("; ".join(problems), code="invalid-run-options")


def answer_request(
    request: TriageRequest,
    answered: Mapping[str, FindingState | Side],
    guideline: GuidelineIndex | None = None,
) -> TriageRequest:
    """The next round's request: the answered facts filled in, and, for systems that read
    text, the answers appended to the narrative in plain words."""
    if not answered:
        return request
    filled = with_answers(request, answered)
    narrative = request.narrative
    if narrative is not None:
        words = []
        for key, value in answered.items():
            label = guideline.findings[key].label if guideline and key in guideline.findings else key
            words.append(f"{label}: {_ANSWER_WORDS.get(value, value.value)}")
        narrative = f"{narrative}\n\nAnswers to your questions: " + "; ".join(words) + "."
    return filled.model_copy(update={"narrative": narrative})


def build_request(
    loaded: LoadedScenario,
    *,
    repeat: int = 0,
    answered: Mapping[str, FindingState | Side] | None = None,
    guideline: GuidelineIndex | None = None,
) -> TriageRequest:
    """The request for a scenario, with any facts revealed by earlier answers."""
    s = loaded.scenario
    first = TriageRequest(
        **s.presentation.model_dump(),
        narrative=s.narrative,
        case_id="#".join([s.id, *([loaded.perturbation] if loaded.perturbation else []), *([str(repeat)] if repeat else [])]),
    )
    return answer_request(first, answered or {}, guideline)


def _case_result(loaded: LoadedScenario, repeat: int, started: float, **outcome: object) -> CaseResult:
    """A CaseResult with the scenario's identity and expectations filled in."""
    s = loaded.scenario
    return CaseResult.model_validate(
        {
            "scenario_id": s.id,
            "repeat": repeat,
            "expected_min": s.expect.urgency.min,
            "expected_max": s.expect.urgency.max,
            "expected": s.expect.urgency.expected,
            "elapsed_ms": (time.perf_counter() - started) * 1000,
            "tags": s.tags,
            "red_flags": s.covers.red_flags,
            "near_miss": s.covers.near_miss,
            "conditions": s.covers.conditions,
            "claims": s.expect.claims,
            "perturbation": loaded.perturbation,
            **outcome,
        }
    )


def _error_result(
    loaded: LoadedScenario,
    repeat: int,
    request: TriageRequest,
    message: str,
    transcript: list[Exchange],
    started: float,
) -> CaseResult:
    return _case_result(
        loaded,
        repeat,
        started,
        verdict=Verdict.ERROR,
        error=f"case {loaded.id}: {message}",
        request=request,
        transcript=tuple(transcript),
        raw_reply=transcript[-1].raw_reply if transcript else None,
    )


async def ask(impl: Implementation, request: TriageRequest, timeout: float) -> tuple[TriageDecision, str | None]:
    """One call to the implementation, contained: anything but a decision in time is an ImplementationError."""
    try:
        # A timeout scope, not wait_for: no extra task per call, and a TimeoutError the
        # implementation raises itself is not mistaken for the backstop firing.
        async with asyncio.timeout(timeout + _GRACE_S) as scope:
            reply = await impl.triage(request, timeout)
    except TimeoutError as exc:
        if not scope.expired():
            raise ImplementationError(f"implementation raised TimeoutError: {exc}") from exc
        raise ImplementationError(f"no answer within the {timeout:g} s timeout", code="timeout") from None
    except CalfspecError:
        raise
    except (Exception, SystemExit) as exc:
        # SystemExit too: an in-process implementation calling sys.exit(0) would otherwise
        # end calfspec with status 0 and no report, a silent pass.
        raise ImplementationError(f"implementation raised {type(exc).__name__}: {exc}") from exc
    return reply.decision, reply.raw


async def run_case(
    impl: Implementation,
    loaded: LoadedScenario,
    guideline: GuidelineIndex,
    options: RunOptions,
    repeat: int = 0,
) -> CaseResult:
    """Run one scenario once, with follow-up rounds, and judge the final decision."""
    s = loaded.scenario
    started = time.perf_counter()
    answered: dict[str, FindingState | Side] = {}
    transcript: list[Exchange] = []
    decision: TriageDecision | None = None
    raw: str | None = None
    for round_no in range(options.max_rounds + 1):
        request = build_request(loaded, repeat=repeat, answered=answered, guideline=guideline)
        t0 = time.perf_counter()
        try:
            decision, raw = await ask(impl, request, options.timeout)
            validate_decision(decision, guideline)
        except ImplementationError as exc:
            transcript.append(
                Exchange(
                    request=request, decision=decision, raw_reply=raw, elapsed_ms=(time.perf_counter() - t0) * 1000
                )
            )
            return _error_result(loaded, repeat, request, exc.message, transcript, started)
        new = {q: s.reveal_on_ask[q] for q in decision.questions if q in s.reveal_on_ask and q not in answered}
        transcript.append(
            Exchange(
                request=request,
                decision=decision,
                raw_reply=raw,
                answered={k: v.value for k, v in new.items()},
                elapsed_ms=(time.perf_counter() - t0) * 1000,
            )
        )
        if not new or round_no == options.max_rounds:
            break
        answered.update(new)
    assert decision is not None
    verdict = judge(s.expect, decision, guideline)
    return _case_result(
        loaded,
        repeat,
        started,
        verdict=verdict.verdict,
        severity=verdict.severity,
        failures=verdict.failures,
        given=decision.urgency,
        request=transcript[0].request,
        decision=decision,
        raw_reply=raw,
        transcript=tuple(transcript) if len(transcript) > 1 else (),
    )


async def run_cases(
    impl: Implementation,
    scenarios: Sequence[LoadedScenario],
    guideline: GuidelineIndex,
    options: RunOptions,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every scenario ``options.repeat`` times; results in scenario order.

    The implementation is started before the first case and closed after the
    last, also when the run is cancelled (Ctrl-C), so no child process is left
    behind. ``on_result`` sees each result as soon as it is judged; a caller
    that keeps them keeps everything finished before an interruption.
    """
    sem = asyncio.Semaphore(max(1, options.concurrency))
    results: list[CaseResult] = []

    async def one(loaded: LoadedScenario, repeat: int) -> None:
        async with sem:
            # Yield once per case: an in-process implementation that never awaits would
            # otherwise run every queued case before Ctrl-C or SIGTERM could cancel the run.
            await asyncio.sleep(0)
            result = await run_case(impl, loaded, guideline, options, repeat)
        results.append(result)
        if on_result is not None:
            on_result(result)

    try:
        try:
            await impl.start()
        except CalfspecError:
            raise
        except (Exception, SystemExit) as exc:
            raise ImplementationError(f"{type(exc).__name__}: {exc}") from exc
    except ImplementationError as exc:
        # The implementation cannot even start: every case is an error, none a pass.
        for repeat in range(options.repeat):
            for loaded in scenarios:
                result = _error_result(
                    loaded,
                    repeat,
                    build_request(loaded, repeat=repeat),
                    f"implementation failed to start: {exc.message}",
                    [],
                    time.perf_counter(),
                )
                results.append(result)
                if on_result is not None:
                    on_result(result)
        await asyncio.shield(impl.close())
        return results
    try:
        async with asyncio.TaskGroup() as tg:
            for repeat in range(options.repeat):
                for loaded in scenarios:
                    tg.create_task(one(loaded, repeat))
    finally:
        await asyncio.shield(impl.close())
    order = {s.id: i for i, s in enumerate(scenarios)}
    results.sort(key=lambda r: (order[r.scenario_id], r.repeat, r.perturbation is not None, r.perturbation or ""))
    return results
