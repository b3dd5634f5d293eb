"""A whole run: choose the cases, run them, assemble the :class:`RunResult`; and ``calfspec.run``.

``calfspec run`` and the Python API go through the same three steps, so a
result built in Python is the result the CLI writes as its JSON report:

1. :func:`plan_suite` loads the scenarios and selects them (``tags``,
   ``shard``, ``require_approved``), then adds the perturbed variants
   (``perturb``);
2. :func:`prepare_implementation` builds the implementation from a spec, an
   :class:`Implementation` or a triage function, and points an ``openai:`` one
   at its response cache;
3. :func:`run_suite` (or :func:`run_suite_async`) runs the cases with
   :func:`calfspec._internal.runner.run_cases` and assembles the result, cases in
   scenario order.

Whether the result passes is :func:`calfspec._internal.compare.gate`'s to say,
not this module's. :func:`run` and :func:`run_async` are the public face:
``calfspec.run(impl)``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from .errors import InputError
from .runner import RunOptions, run_cases

if TYPE_CHECKING:
    from .adapters.base import Implementation
    from .guideline import GuidelineIndex
    from .models.results import CaseResult, ImplementationInfo, NotRun, RunResult
    from .models.triage import TriageDecision, TriageRequest
    from .scenarios import LoadedScenario

    TriageFunction: TypeAlias = (
        Callable[[TriageRequest], TriageDecision | Awaitable[TriageDecision]]
        | Callable[[dict[str, object]], Mapping[str, object] | Awaitable[Mapping[str, object]]]
    )
    """A triage function: a request model (or its JSON dict) in, a decision (or its dict) out; sync or async."""

__all__ = [
    "SuitePlan",
    "plan_suite",
    "prepare_implementation",
    "run",
    "run_async",
    "run_suite",
    "run_suite_async",
]


@dataclass(frozen=True)
class SuitePlan:
    """The cases of a run: the selected scenarios, and what is sent (with any perturbed variants)."""

    selected: tuple[LoadedScenario, ...]
    runs: tuple[LoadedScenario, ...]
    scenarios_path: Path | None = None

    def total(self, repeat: int) -> int:
        """How many trials the run makes."""
        return len(self.runs) * repeat


def plan_suite(
    guideline: GuidelineIndex,
    options: RunOptions,
    scenarios: str | Path | None = None,
    *,
    note: Callable[[str], None] | None = None,
) -> SuitePlan:
    """Load the scenarios under ``scenarios`` (default: the bundled suite) and choose the cases.

    ``note`` hears what the selection did (``require_approved``, ``perturb``) as it
    happens, in the CLI's words. The perturbed variants are planned only when a
    scenario is selected; an empty selection is the caller's to report.
    """
    from .scenarios import load_scenarios, parse_shard, select_scenarios

    path = Path(scenarios) if scenarios is not None else None
    loaded = load_scenarios(path, guideline)
    only: set[str] | None = None
    if options.require_approved:
        from .review import approved_scenario_ids

        only = approved_scenario_ids([s.scenario for s in loaded], guideline, path)
        left_out = len([s for s in loaded if s.id not in only])
        if note is not None:
            note(
                f"--require-approved: running {len(loaded) - left_out} approved scenario(s), "
                f"left out {left_out} without a valid approval"
            )
    shard = parse_shard(options.shard) if options.shard else None
    selected = select_scenarios(loaded, tags=options.tags, shard=shard, only=only)
    runs = selected
    if selected and options.perturb is not None:
        from .perturb import plan_run

        runs, said = plan_run(selected, options.perturb, guideline)
        if note is not None:
            note(said)
    return SuitePlan(selected=tuple(selected), runs=tuple(runs), scenarios_path=path)


def prepare_implementation(impl: object, guideline: GuidelineIndex, options: RunOptions) -> Implementation:
    """The implementation for ``impl`` (see :func:`~calfspec._internal.adapters.spec.implementation_for`), not started.

    With ``options.cache_dir`` an ``openai:`` implementation keeps its chat
    responses there; any other is an :class:`InputError`.
    """
    from .adapters.spec import implementation_for

    implementation = implementation_for(impl, guideline, concurrency=options.concurrency, pass_env=options.pass_env)
    if options.cache_dir is not None:
        use_cache = getattr(implementation, "use_cache", None)
        if not callable(use_cache):
            raise InputError(
                f"--cache works only with openai: implementations, not {implementation.name}",
                code="bad-option",
                hint="drop --cache, or run a chat model with --impl openai:MODEL@BASE_URL",
            )
        use_cache(options.cache_dir)
    return implementation


def _implementation_info(impl: object) -> ImplementationInfo | None:
    """What the adapter learnt about the implementation: a chat endpoint's info(), or a cmd: hello's name/version."""
    from .models.results import ImplementationInfo

    describe = getattr(impl, "info", None)
    if callable(describe):
        info = describe()
        if isinstance(info, ImplementationInfo):
            return info
    peer = getattr(impl, "peer", None)
    if isinstance(peer, dict) and (peer.get("name") or peer.get("version")):
        return ImplementationInfo(name=peer.get("name"), version=peer.get("version"))
    return None


class _Collected:
    """The trials as they finish, kept here so that an interrupted run keeps every finished one."""

    def __init__(
        self,
        on_result: Callable[[CaseResult], None] | None,
        keep: Callable[[CaseResult], CaseResult] | None = None,
    ) -> None:
        self.cases: list[CaseResult] = []
        self.not_run: list[NotRun] = []
        self._on_result = on_result
        self._keep = keep

    def add(self, result: CaseResult) -> None:
        if self._on_result is not None:
            self._on_result(result)
        self.cases.append(result if self._keep is None else self._keep(result))

    def revise(self, revised: CaseResult) -> None:
        # A later protocol violation (a second answer for one case) turns a judged case into an error.
        key = (revised.scenario_id, revised.repeat, revised.perturbation)
        self.cases[:] = [revised if (c.scenario_id, c.repeat, c.perturbation) == key else c for c in self.cases]

    async def run(self, impl: Implementation, plan: SuitePlan, guideline: GuidelineIndex, options: RunOptions) -> None:
        await run_cases(impl, plan.runs, guideline, options, self.add, self.not_run.append, self.revise, keep=False)


def _assemble(
    impl: Implementation,
    plan: SuitePlan,
    guideline: GuidelineIndex,
    options: RunOptions,
    collected: _Collected,
    started: dt.datetime,
    *,
    complete: bool,
) -> RunResult:
    from ._version import __version__
    from .models.results import RunResult
    from .models.triage import PROTOCOL_VERSION

    order = {s.id: i for i, s in enumerate(plan.selected)}
    cases: Sequence[CaseResult] = sorted(
        collected.cases,
        key=lambda r: (order[r.scenario_id], r.repeat, r.perturbation is not None, r.perturbation or ""),
    )
    if options.perturb is not None:
        from .perturb import apply_relation

        cases = apply_relation(cases)
    return RunResult(
        calfspec_version=__version__,
        protocol_version=PROTOCOL_VERSION,
        guideline_id=guideline.meta.id,
        guideline_version=guideline.meta.version,
        implementation=impl.name,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        complete=complete,
        repeat=options.repeat,
        shard=options.shard,
        selected=len(plan.selected),
        cases=tuple(cases),
        not_run=tuple(collected.not_run),
        implementation_info=_implementation_info(impl),
    )


async def run_suite_async(
    impl: Implementation,
    plan: SuitePlan,
    guideline: GuidelineIndex,
    options: RunOptions,
    *,
    on_result: Callable[[CaseResult], None] | None = None,
) -> RunResult:
    """Run the planned cases in the running event loop and assemble the result.

    ``impl`` is started and closed here. ``on_result`` sees each trial as it is
    judged. Cancelling the task cancels the run (the implementation is still
    closed) and raises, as any coroutine does.
    """
    started = dt.datetime.now(dt.UTC)
    collected = _Collected(on_result)
    await collected.run(impl, plan, guideline, options)
    return _assemble(impl, plan, guideline, options, collected, started, complete=True)


def run_suite(
    impl: Implementation,
    plan: SuitePlan,
    guideline: GuidelineIndex,
    options: RunOptions,
    *,
    on_result: Callable[[CaseResult], None] | None = None,
    keep_on_interrupt: bool = False,
    keep: Callable[[CaseResult], CaseResult] | None = None,
) -> RunResult:
    """:func:`run_suite_async` in an event loop of its own.

    With ``keep_on_interrupt`` (``calfspec run``), Ctrl-C ends the run and the
    result is returned with the finished trials and ``complete=False``;
    otherwise ``KeyboardInterrupt`` propagates. ``keep``, called after
    ``on_result``, gives what the result holds of each trial (default: the trial
    itself); ``calfspec run`` keeps copies without the transcripts its JSON
    report has already written. A trial revised later (a protocol violation) is
    kept whole.
    """
    _refuse_in_event_loop("run_suite", "run_suite_async")
    started = dt.datetime.now(dt.UTC)
    collected = _Collected(on_result, keep)
    complete = True
    try:
        asyncio.run(collected.run(impl, plan, guideline, options))
    except KeyboardInterrupt:
        if not keep_on_interrupt:
            raise
        complete = False
    return _assemble(impl, plan, guideline, options, collected, started, complete=complete)


def _refuse_in_event_loop(sync: str, variant: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise InputError(
        f"calfspec.{sync}() cannot run inside a running event loop (it starts one of its own)",
        code="event-loop-running",
        hint=f"in async code, use `await calfspec.{variant}(...)`",
    )


def _setup(
    impl: object,
    scenarios: str | Path | None,
    guideline: str | Path | GuidelineIndex | None,
    options: RunOptions | None,
) -> tuple[Implementation, SuitePlan, GuidelineIndex, RunOptions]:
    from .guideline import GuidelineIndex, load_guideline

    options = options if options is not None else RunOptions()
    index = guideline if isinstance(guideline, GuidelineIndex) else load_guideline(guideline)
    plan = plan_suite(index, options, scenarios)
    if not plan.selected:
        raise InputError(
            "no scenario selected",
            code="no-scenario-selected",
            hint="check options.tags, options.shard, options.require_approved and scenarios",
        )
    return prepare_implementation(impl, index, options), plan, index, options


def run(
    impl: str | Implementation | TriageFunction,
    *,
    scenarios: str | Path | None = None,
    guideline: str | Path | GuidelineIndex | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Run golden scenarios against an implementation and judge each answer, as ``calfspec run`` does.

    ``impl`` is a spec string (``"reference"``, ``"cmd:..."``, ``"http://..."``,
    any ``--impl`` form), an :class:`~calfspec.Implementation`, or a triage
    function taking a :class:`~calfspec.TriageRequest` and returning a
    :class:`~calfspec.TriageDecision` (sync or async). ``scenarios`` is a file or
    folder (default: the bundled suite); ``guideline`` a folder or a loaded
    :class:`~calfspec.GuidelineIndex` (default: the bundled guideline).

    A misbehaving implementation (an exception, a hang, a bad answer) gives
    *error* verdicts in the result, never an exception here. Raises
    :class:`~calfspec.InputError` for bad input (a spec, a file, no scenario
    selected) before anything runs, and when called inside a running event loop:
    use :func:`run_async` there. Whether the result should fail a build is
    :func:`calfspec.gate`'s to say.
    """
    _refuse_in_event_loop("run", "run_async")
    implementation, plan, index, options = _setup(impl, scenarios, guideline, options)
    return run_suite(implementation, plan, index, options)


async def run_async(
    impl: str | Implementation | TriageFunction,
    *,
    scenarios: str | Path | None = None,
    guideline: str | Path | GuidelineIndex | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """:func:`run` for async code: the cases run in the caller's event loop.

    Loading the guideline and scenarios is synchronous (a fraction of a second
    for the bundled suite) and happens before the first await.
    """
    implementation, plan, index, options = _setup(impl, scenarios, guideline, options)
    return await run_suite_async(implementation, plan, index, options)
