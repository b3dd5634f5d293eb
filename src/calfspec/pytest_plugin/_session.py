"""The plugin's per-run state: one loaded suite, one started implementation, one event loop.

:class:`PluginSession` is what a ``pytest --calfspec-impl SPEC`` session holds
(after syrupy's ``SnapshotSession``). It loads the guideline, the scenarios and
the implementation at collection; starts the implementation once, at the first
case, in an :class:`~calfspec._internal.session.ImplementationLoop` that both
scenario and invariant items share; runs scenario items in look-ahead batches
through the runner's own scheduling (:func:`~calfspec._internal.runner.run_started`);
and closes everything at the end.

Only pytest and the standard library are imported here at module level; the
rest of calfspec is imported inside the methods, once ``--calfspec-impl`` is
given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .._internal.adapters.base import Implementation
    from .._internal.guideline import GuidelineIndex
    from .._internal.models.results import CaseResult
    from .._internal.runner import RunOptions
    from .._internal.scenarios import LoadedScenario
    from .._internal.session import ImplementationLoop
    from ..invariants import Fuzzer, Invariant, InvariantReport
    from ._items import ScenarioItem

__all__ = ["CaseCrashed", "PluginSession", "StartFailed"]


class StartFailed(Exception):
    """The implementation could not be started for the invariant search."""


class CaseCrashed(Exception):
    """calfspec itself raised while running a case: a bug, reported with its traceback."""


class PluginSession:
    """Everything the plugin holds for one pytest session.

    One implementation instance is started before the first case and closed at
    the end of the session; one event loop, owned here, runs every call to it.
    Results are cached per scenario id, so a batch run for one item serves the
    items after it.
    """

    def __init__(self, config: pytest.Config, spec: str) -> None:
        self.config = config
        self.spec = spec
        self.fail_on: str = config.getoption("calfspec_fail_on")
        self.scenarios: list[LoadedScenario] = []
        self.invariants: list[Invariant] = []
        self._fuzzer: Fuzzer | None = None
        self._session: ImplementationLoop | None = None
        self.finished: list[CaseResult] = []
        self.unanswered = 0
        """Items that errored with no judged result (start failure, calfspec crash): errors in the summary."""
        self._reported: set[str] = set()
        self._guideline: GuidelineIndex | None = None
        self._impl: Implementation | None = None
        self._options: RunOptions | None = None
        self._start_error: str | None = None
        self._order: list[ScenarioItem] = []
        self._position: dict[str, int] = {}
        self._results: dict[str, CaseResult | BaseException] = {}

    # -- collection ------------------------------------------------------------

    def load(self) -> None:
        """Load the guideline, the scenarios and the implementation spec.

        Any invalid input (a malformed scenario, an unknown id, a bad spec) is a
        usage error, exit status 4, before any case is sent: the same contract
        as ``calfspec run``.
        """
        from .._internal.adapters import load_implementation
        from .._internal.errors import CalfspecError
        from .._internal.guideline import load_guideline
        from .._internal.runner import RunOptions
        from .._internal.scenarios import load_scenarios, select_scenarios

        option = self.config.getoption
        try:
            self._guideline = load_guideline(option("calfspec_guideline"))
            loaded = load_scenarios(option("calfspec_scenarios"), self._guideline)
            self.scenarios = select_scenarios(loaded, tags=option("calfspec_tag"))
            # The HTTP adapters size their connection pool to the cases in flight.
            self._impl = load_implementation(self.spec, self._guideline, concurrency=option("calfspec_concurrency"))
        except CalfspecError as exc:
            raise pytest.UsageError("calfspec: " + exc.render()) from None
        self._options = RunOptions(
            concurrency=option("calfspec_concurrency"),
            timeout=option("calfspec_timeout"),
        )
        if option("calfspec_invariants"):
            from ..invariants import derive_invariants

            self.invariants = list(derive_invariants(self._guideline))

    @property
    def guideline(self) -> GuidelineIndex:
        """The loaded guideline (after :meth:`load`)."""
        assert self._guideline is not None, "PluginSession.load() was not called"
        return self._guideline

    @property
    def implementation_name(self) -> str:
        """The implementation's name for messages (secrets removed by the adapter)."""
        return self._impl.name if self._impl is not None else self.spec

    def set_order(self, items: Sequence[ScenarioItem]) -> None:
        """The scenario items that will run, in order; batches look ahead in this list."""
        self._order = list(items)
        self._position = {item.loaded.id: i for i, item in enumerate(self._order)}

    # -- running ---------------------------------------------------------------

    def result_for(self, item: ScenarioItem) -> CaseResult:
        """The judged result for ``item``, running it (and a few items after it) if needed.

        Only results handed to an item count in :meth:`summary`: a batch can run
        items that ``-x`` or ``--maxfail`` then never report.
        """
        sid = item.loaded.id
        if sid not in self._results:
            self._run_batch(item)
        outcome = self._results[sid]
        first = sid not in self._reported
        self._reported.add(sid)
        if isinstance(outcome, BaseException):
            if first:
                self.unanswered += 1
            raise CaseCrashed(f"calfspec raised while running scenario {sid}") from outcome
        if first:
            self.finished.append(outcome)
        return outcome

    @property
    def start_error(self) -> str | None:
        """Why the implementation could not be started, if it could not."""
        self._ensure_started()
        return self._start_error

    def _ensure_started(self) -> ImplementationLoop | None:
        """The session's one started implementation (shared by scenarios and invariants), or None."""
        if self._session is not None or self._start_error is not None:
            return self._session
        from .._internal.errors import ImplementationError
        from .._internal.session import ImplementationLoop

        assert self._impl is not None, "PluginSession.load() was not called"
        try:
            self._session = ImplementationLoop(self._impl).__enter__()
        except ImplementationError as exc:  # containment: a broken implementation must not crash pytest
            self._start_error = exc.message.removeprefix("implementation failed to start: ")
        return self._session

    def _batch_from(self, item: ScenarioItem, size: int) -> list[ScenarioItem]:
        """``item`` and the next not-yet-run items after it, ``size`` at most.

        Looking ahead means a slow (HTTP, chat) implementation is not called one
        case at a time.
        """
        start = self._position.get(item.loaded.id)
        batch = [item]
        if start is not None:
            for later in self._order[start + 1 :]:
                if len(batch) >= size:
                    break
                if later.loaded.id not in self._results:
                    batch.append(later)
        return batch

    def _run_batch(self, item: ScenarioItem) -> None:
        """Run ``item``'s look-ahead batch through the runner's scheduling; cache each outcome.

        A case on which calfspec itself raised (a bug) stops its batch; every case
        of the batch left without a result keeps that exception, and its item
        reports it with the traceback.
        """
        from .._internal.runner import revise_contradicted, run_started

        session = self._ensure_started()
        assert session is not None, "setup() checks start_error first"
        assert self._options is not None
        impl, options, guideline = self._impl, self._options, self.guideline
        assert impl is not None
        batch = self._batch_from(item, options.concurrency)
        judged: list[CaseResult] = []
        crash: Exception | None = None
        try:
            session.run(run_started(impl, [it.loaded for it in batch], guideline, options, judged.append))
        except Exception as exc:  # KeyboardInterrupt and SystemExit go on to pytest
            crash = exc
        # A cmd: implementation that answered a case twice: that case is a protocol error.
        revise_contradicted(impl, judged)
        by_id: dict[str, CaseResult | BaseException] = {result.scenario_id: result for result in judged}
        for it in batch:
            outcome = by_id.get(it.loaded.id, crash)
            if outcome is None:
                # Nothing raised, yet a case has no result: the runner started nothing new
                # after the user's Ctrl-C (runner.interrupted()). Stop as pytest does.
                raise KeyboardInterrupt
            self._results[it.loaded.id] = outcome

    def check_invariant(self, invariant: Invariant) -> InvariantReport:
        """Search one invariant with the session's fuzzer (started at the first invariant)."""
        from ..invariants import Fuzzer, FuzzOptions

        session = self._ensure_started()
        if session is None:
            raise StartFailed(self._start_error or "unknown cause")
        if self._fuzzer is None:
            # The same started implementation as the scenarios: one instance per session.
            option = self.config.getoption
            options = FuzzOptions(
                examples=option("calfspec_examples"), seed=option("calfspec_seed"), timeout=option("calfspec_timeout")
            )
            self._fuzzer = Fuzzer(session.impl, self.guideline, options, shared=session).__enter__()
        return self._fuzzer.check(invariant)

    def close(self) -> None:
        """Close the implementation and its loop; safe to call more than once."""
        fuzzer, self._fuzzer = self._fuzzer, None
        if fuzzer is not None:
            fuzzer.__exit__(None, None, None)  # shared: closes nothing of its own
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.close()
        except Exception as exc:  # report it, but never turn a finished run into a crash
            self.config.issue_config_time_warning(
                pytest.PytestWarning(f"calfspec: closing {self.implementation_name} failed: {exc}"), stacklevel=2
            )

    # -- reporting -------------------------------------------------------------

    def summary(self) -> str:
        """``N scenario(s) against SPEC: P passed, F failed (S safety, Q quality), E error(s); U under-triaged``.

        Counted as ``calfspec run`` counts (:func:`calfspec._internal.metrics.tally`);
        items that errored with no result at all are errors too, never left out.
        """
        from .._internal.metrics import Outcome, outcome, tally

        t = tally(self.finished)
        errors = t.errors + self.unanswered
        under = sum(outcome(c) is Outcome.UNDER for c in self.finished)
        return (
            f"{t.total + self.unanswered} scenario(s) against {self.implementation_name}: {t.passed} passed, "
            f"{t.failed_safety + t.failed_quality} failed ({t.failed_safety} safety, {t.failed_quality} quality), "
            f"{errors} error(s); {under} under-triaged"
        )
