"""Run scenarios against an implementation: concurrency, timeouts, repeats, follow-up questions.

The runner owns everything that must hold whatever the implementation does:

* each case gets its own timeout, and a misbehaving implementation (crash,
  hang, garbage, schema violation, unknown ids, an exception) becomes an
  *error* verdict for that case, never a pass and never a crash of calfspec;
  the error keeps its stable code (``CaseResult.error_code``);
* cases run concurrently up to a limit; results arrive through a callback as
  they finish, so an interrupted run keeps every finished case;
* the conversation (follow-up questions answered from ``reveal_on_ask``, "not
  sure" for what the scenario does not know) is :func:`calfspec._internal.session.converse`;
  a system that still asks new questions when the rounds run out gets an
  error, never a verdict on its provisional answer;
* the implementation is started and closed by :func:`calfspec._internal.session.started`;
* a case the implementation was given up on before it was sent (the ``cmd:``
  adapter's circuit breaker) is *not run*, not an error of the implementation;
* ``case_id`` in the request is opaque (:func:`case_id`): no scenario id,
  title or tag reaches the implementation.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError, field_validator

from .adapters.base import Implementation
from .errors import ImplementationError, InputError
from .guideline import GuidelineIndex
from .judge import judge
from .models._base import Model
from .models.results import CaseResult, Exchange, NotRun, Verdict
from .models.triage import FindingState, Side, TriageRequest
from .scenarios import LoadedScenario, parse_shard
from .session import answer_request, ask, converse, interrupted, note_sigint, started, stdout_to_stderr

__all__ = [
    "NOT_SENT_CODE",
    "RunOptions",
    "answer_request",
    "ask",
    "build_request",
    "case_id",
    "revise_contradicted",
    "run_case",
    "run_cases",
    "run_started",
]

NOT_SENT_CODE = "implementation-gave-up"
"""Code of the adapter error meaning "given up on: this case was never sent"."""


class RunOptions(Model):
    """How to run: parallelism, per-answer timeout, repeats, follow-up rounds, and what to run.

    The same settings as ``calfspec run``'s options of those names, with the same
    defaults; report and printing options are the CLI's own. The first four are
    what :func:`run_cases` uses; the rest choose the cases and configure the
    implementation (:func:`calfspec.run`). Nonsense values (a zero timeout, a
    malformed shard) are an :class:`~calfspec._internal.errors.InputError` with code
    ``invalid-run-options`` when the options are made, not a crash mid-run.
    """

    concurrency: int = Field(8, ge=1, description="Cases in flight at once.")
    timeout: float = Field(30.0, gt=0, description="Seconds per answer before the case is an error.")
    repeat: int = Field(1, ge=1, description="Run each case N times (for systems that are not deterministic).")
    max_rounds: int = Field(3, ge=0, description="Follow-up rounds before the system must decide.")
    tags: tuple[str, ...] = Field((), description="Run only scenarios with one of these tags (empty: all).")
    shard: str | None = Field(None, description="Run the K-th of N deterministic slices, written K/N.")
    require_approved: bool = Field(False, description="Run only scenarios with a valid clinical approval.")
    perturb: str | None = Field(
        None, description="Perturbation families (FAMILY[,FAMILY...] or all) to retell each narrative with."
    )
    pass_env: tuple[str, ...] = Field((), description="CALFSPEC_* secret variables a cmd: implementation may see.")
    cache_dir: Path | None = Field(None, description="openai: only; keep chat responses here and reuse them.")

    @field_validator("shard")
    @classmethod
    def _shard_is_k_of_n(cls, shard: str | None) -> str | None:
        if shard is not None:
            parse_shard(shard)
        return shard

    if not TYPE_CHECKING:
        # Hidden from mypy so that the pydantic plugin still checks the keyword arguments.
        def __init__(self, **data: object) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise _options_error(exc) from None


def _options_error(exc: ValidationError) -> InputError:
    """One InputError for every invalid option, naming each, so API misuse reads like CLI misuse.

    A check that raised its own InputError (the shard's) keeps it: code and hint
    are the same as for ``--shard``.
    """
    problems = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, InputError):
            return cause
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"{where}: {error['msg']}, got {error['input']!r}")
    return InputError("; ".join(problems), code="invalid-run-options")


def case_id(scenario_id: str, repeat: int = 0, perturbation: str | None = None) -> str:
    """The opaque, stable ``case_id`` sent for a scenario and repeat: 16 hex digits of a sha256.

    Scenario ids name the expected answer (``dvt-...``); a wrapper that forwards
    the request to a chat model must not see them. The hash is stable so that
    response caches and logs line up across runs.
    """
    key = f"calfspec-case\0{scenario_id}\0{repeat}" + (f"\0{perturbation}" if perturbation else "")
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def build_request(
    loaded: LoadedScenario,
    *,
    repeat: int = 0,
    answered: Mapping[str, FindingState | Side] | None = None,
    guideline: GuidelineIndex | None = None,
) -> TriageRequest:
    """The request for a scenario, with any facts revealed by earlier answers."""
    s = loaded.scenario
    # Validated again as a request (it goes to the implementation), from the presentation's
    # field values as they are: a model_dump() first would only copy them.
    first = TriageRequest.model_validate(
        {
            **s.presentation.__dict__,
            "narrative": s.narrative,
            "case_id": case_id(s.id, repeat, getattr(loaded, "perturbation", None)),
        }
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
    error: ImplementationError,
    transcript: Sequence[Exchange],
    started_at: float,
) -> CaseResult:
    return _case_result(
        loaded,
        repeat,
        started_at,
        verdict=Verdict.ERROR,
        error=f"case {loaded.id}: {error.message}",
        error_code=error.code,
        request=request,
        transcript=tuple(transcript),
        raw_reply=transcript[-1].raw_reply if transcript else None,
    )


def _answers_from(loaded: LoadedScenario) -> Callable[[str], FindingState | Side]:
    known = loaded.scenario.reveal_on_ask

    def answer(question: str) -> FindingState | Side:
        # What the scenario does not know, the patient is not sure about.
        return known.get(question, Side.UNKNOWN if question == "side" else FindingState.UNKNOWN)

    return answer


async def run_case(
    impl: Implementation,
    loaded: LoadedScenario,
    guideline: GuidelineIndex,
    options: RunOptions,
    repeat: int = 0,
) -> CaseResult:
    """Run one scenario once, with follow-up rounds, and judge the final decision."""
    s = loaded.scenario
    started_at = time.perf_counter()
    first = build_request(loaded, repeat=repeat)
    conversation = await converse(
        impl,
        first,
        guideline,
        timeout=options.timeout,
        max_rounds=options.max_rounds,
        answer=_answers_from(loaded),
    )
    transcript = conversation.exchanges
    if conversation.error is not None:
        return _error_result(loaded, repeat, transcript[-1].request, conversation.error, transcript, started_at)
    decision = conversation.decision
    verdict = judge(s.expect, decision, guideline)
    return _case_result(
        loaded,
        repeat,
        started_at,
        verdict=verdict.verdict,
        severity=verdict.severity,
        failures=verdict.failures,
        given=decision.urgency,
        request=first,
        decision=decision,
        raw_reply=conversation.raw,
        transcript=transcript if len(transcript) > 1 else (),
    )


def _never_sent(result: CaseResult) -> bool:
    """An error in the first round, before anything was sent: the adapter had given up."""
    return result.error_code == NOT_SENT_CODE and len(result.transcript) <= 1 and result.decision is None


async def run_cases(
    impl: Implementation,
    scenarios: Sequence[LoadedScenario],
    guideline: GuidelineIndex,
    options: RunOptions,
    on_result: Callable[[CaseResult], None] | None = None,
    on_not_run: Callable[[NotRun], None] | None = None,
    on_revised: Callable[[CaseResult], None] | None = None,
    *,
    keep: bool = True,
) -> list[CaseResult]:
    """Run every scenario ``options.repeat`` times; results in scenario order.

    The implementation is started before the first case and closed after the
    last, also when the run is cancelled (Ctrl-C), so no child process is left
    behind (:func:`calfspec._internal.session.started`). One that cannot start makes every
    case an error. ``on_result`` sees each result as soon as it is judged; a
    caller that keeps them keeps everything finished before an interruption.

    With ``on_not_run``, cases the implementation was given up on before they
    were sent go to it instead of the results; without it they stay in the
    results as errors (never dropped). Output an in-process implementation
    prints goes to stderr while the cases run.

    An adapter that finds out only later that an answer was contradicted (the
    ``cmd:`` adapter's second answer for one id) names those cases in
    ``protocol_violations()``; after closing it, each such result is replaced by
    an error (code ``protocol-error``) in the returned list and handed to
    ``on_revised``, which replaces the result ``on_result`` saw.

    With ``keep=False`` a caller that keeps what ``on_result`` hands it (``suite``)
    gets an empty list back, so a run of thousands of cases holds each result once.
    Results are kept anyway for an adapter that can revise them later (one with
    ``protocol_violations()``), since revising needs the case it replaces.
    """
    results: list[CaseResult] = []
    keep = keep or _violations(impl) is not None

    def deliver(result: CaseResult) -> None:
        if on_not_run is not None and _never_sent(result):
            cause = (result.error or "").removeprefix(f"case {result.scenario_id}: ")
            on_not_run(NotRun(scenario_id=result.scenario_id, repeat=result.repeat, reason=cause))
            return
        if keep:
            results.append(result)
        if on_result is not None:
            on_result(result)

    with note_sigint(), stdout_to_stderr():
        try:
            async with started(impl):
                await run_started(impl, scenarios, guideline, options, deliver)
        except ImplementationError as exc:
            if exc.code != "implementation-start-failed":
                raise
            # The implementation cannot even start: every case is an error, none a pass.
            for repeat in range(options.repeat):
                for loaded in scenarios:
                    deliver(
                        _error_result(
                            loaded, repeat, build_request(loaded, repeat=repeat), exc, [], time.perf_counter()
                        )
                    )
    revise_contradicted(impl, results, on_revised)
    order = {s.id: i for i, s in enumerate(scenarios)}
    results.sort(key=lambda r: (order[r.scenario_id], r.repeat, r.perturbation is not None, r.perturbation or ""))
    return results


async def run_started(
    impl: Implementation,
    scenarios: Sequence[LoadedScenario],
    guideline: GuidelineIndex,
    options: RunOptions,
    deliver: Callable[[CaseResult], None],
) -> None:
    """The scheduling of :func:`run_cases`, on an implementation the caller has started and will close.

    Every scenario runs ``options.repeat`` times, at most ``options.concurrency``
    at once; each result goes to ``deliver`` as soon as it is judged. The pytest
    plugin runs its look-ahead batches through this, on the one implementation
    its session keeps started.
    """
    # A fixed pool of workers takes the cases in order: no task, and no wait on a semaphore,
    # per case, which for a fast in-process implementation cost more than the case itself.
    cases = ((loaded, repeat) for repeat in range(options.repeat) for loaded in scenarios)

    async def worker() -> None:
        for loaded, repeat in cases:
            # Yield once per case: an in-process implementation that never awaits would
            # otherwise run every queued case before Ctrl-C or SIGTERM could cancel the run.
            await asyncio.sleep(0)
            if interrupted():
                # Ctrl-C while an in-process call held the loop: start nothing new.
                raise asyncio.CancelledError
            deliver(await run_case(impl, loaded, guideline, options, repeat))

    async with asyncio.TaskGroup() as tg:
        for _ in range(min(max(1, options.concurrency), len(scenarios) * options.repeat)):
            tg.create_task(worker())


def _violations(impl: Implementation) -> Callable[[], Mapping[str, str]] | None:
    """The adapter's ``protocol_violations`` (``cmd:``): the cases it found contradicted after the run."""
    found = getattr(impl, "protocol_violations", None)
    return found if callable(found) else None


def revise_contradicted(
    impl: Implementation,
    results: list[CaseResult],
    on_revised: Callable[[CaseResult], None] | None = None,
) -> None:
    """Turn the cases the adapter later found contradicted into errors (``protocol-error``), in place.

    Only adapters with a ``protocol_violations()`` method (``cmd:``) can find this out.
    """
    violations = _violations(impl)
    found = violations() if violations is not None else {}
    if not found:
        return
    by_case = {case_id(r.scenario_id, r.repeat, getattr(r, "perturbation", None)): i for i, r in enumerate(results)}
    for cid, message in found.items():
        index = by_case.get(cid)
        if index is None:
            continue
        old = results[index]
        revised = old.model_copy(
            update={
                "verdict": Verdict.ERROR,
                "severity": None,
                "failures": (),
                "given": None,
                "error": f"case {old.scenario_id}: {message}",
                "error_code": "protocol-error",
            }
        )
        results[index] = revised
        if on_revised is not None:
            on_revised(revised)
