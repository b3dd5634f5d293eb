"""The plugin's pytest nodes: the virtual ``calfspec`` collectors and the scenario and invariant items.

The node tree is ``calfspec::<scenario-id>`` for scenarios and
``calfspec::invariants::<name>`` for invariants. Each node is handed the
session's :class:`~calfspec.pytest_plugin._session.PluginSession` when it is
made; an item maps the session's verdict onto a pytest outcome and renders its
failure through :mod:`calfspec.pytest_plugin._render`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ._session import StartFailed

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from .._internal.models.results import CaseResult
    from .._internal.scenarios import LoadedScenario
    from ..invariants import Invariant
    from ._session import PluginSession

__all__ = [
    "InvariantItem",
    "InvariantSuite",
    "InvariantViolated",
    "ScenarioFailure",
    "ScenarioItem",
    "ScenarioSuite",
]


class _Told(Exception):
    """A failure whose text is the whole report: the item shows it instead of a traceback."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ScenarioFailure(_Told):
    """Raised by a scenario item whose decision failed at or above ``--calfspec-fail-on``."""


class InvariantViolated(_Told):
    """Raised by an invariant item when hypothesis found a (shrunk) counterexample."""


class _CalfspecItem(pytest.Item):
    """What both kinds of item share: a failure in clinical words, not a traceback of the plugin."""

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: str | None = None,
    ) -> str | TerminalRepr:
        """The judged failure or the minimal counterexample as text; anything else as pytest shows it."""
        if isinstance(excinfo.value, _Told):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)  # type: ignore[arg-type]


class ScenarioSuite(pytest.Collector):
    """The virtual ``calfspec`` node: one :class:`ScenarioItem` per selected scenario."""

    def __init__(self, *, run_state: PluginSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.run_state = run_state

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """The scenario items, then (with ``--calfspec-invariants``) the invariant items."""
        run = self.run_state
        nodes: list[pytest.Item | pytest.Collector] = [
            ScenarioItem.from_parent(self, name=loaded.id, path=loaded.path, loaded=loaded, run_state=run)
            for loaded in run.scenarios
        ]
        if run.invariants:
            nodes.append(InvariantSuite.from_parent(self, name="invariants", run_state=run))
        return nodes


class InvariantSuite(pytest.Collector):
    """``calfspec::invariants``: one :class:`InvariantItem` per safety invariant."""

    def __init__(self, *, run_state: PluginSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.run_state = run_state

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """The invariants derived from the guideline, in their stable order."""
        run = self.run_state
        return [InvariantItem.from_parent(self, name=inv.name, invariant=inv, run_state=run) for inv in run.invariants]


class ScenarioItem(_CalfspecItem):
    """One golden scenario as a test: run against the session's implementation, then judged."""

    def __init__(self, *, loaded: LoadedScenario, run_state: PluginSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.loaded = loaded
        self.run_state = run_state
        """The session's :class:`~calfspec.pytest_plugin._session.PluginSession`."""
        # Tags become keywords, so ``-k dvt`` or ``-k "pregnancy and not near-miss"`` select by tag too.
        self.extra_keyword_matches.update(loaded.scenario.tags)
        self._result: CaseResult | None = None

    def setup(self) -> None:
        """Send the case (in a batch) and take its judged result.

        An *error* verdict (no valid answer) fails here, so pytest reports it as
        an error rather than a failure, as calfspec does.
        """
        from .._internal.models.results import Verdict
        from ._render import render_error

        run = self.run_state
        if run.start_error is not None:
            run.unanswered += 1
            pytest.fail(
                f"no valid answer: implementation {run.implementation_name} failed to start: {run.start_error}",
                pytrace=False,
            )
        self._result = run.result_for(self)
        if self._result.verdict is Verdict.ERROR:
            pytest.fail(render_error(self._result, run), pytrace=False)

    def runtest(self) -> None:
        """Map the verdict: fail at or above ``--calfspec-fail-on``, xfail below it."""
        from .._internal.compare import counts_against
        from .._internal.models.results import Verdict
        from ._render import render_failure

        result = self._result
        assert result is not None
        if result.verdict is Verdict.PASS:
            return
        run = self.run_state
        assert result.severity is not None
        # The same threshold as `calfspec run --fail-on`. --runxfail makes pytest.xfail() a
        # no-op (the case would pass), so it must fail here instead.
        if counts_against(result, run.fail_on) or self.config.getoption("runxfail"):
            raise ScenarioFailure(render_failure(result, self.loaded, run))
        pytest.xfail(
            f"{result.severity.value} failure below --calfspec-fail-on={run.fail_on}: "
            + "; ".join(f.message for f in result.failures)
        )

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The scenario file and the line of its id."""
        line, _col = self.loaded.doc.locate(("id",))
        return self.loaded.path, (line - 1 if line else None), f"calfspec scenario {self.name}"


class InvariantItem(_CalfspecItem):
    """One safety invariant as a test: hypothesis searches for a presentation that breaks it."""

    def __init__(self, *, invariant: Invariant, run_state: PluginSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.invariant = invariant
        self.run_state = run_state
        """The session's :class:`~calfspec.pytest_plugin._session.PluginSession`."""
        self.extra_keyword_matches.add(invariant.family.value)

    def runtest(self) -> None:
        """Search; a counterexample fails the test, an implementation that cannot start errors it."""
        from ._render import render_violation

        run = self.run_state
        try:
            report = run.check_invariant(self.invariant)
        except StartFailed as exc:
            pytest.fail(
                f"no valid answer: implementation {run.implementation_name} failed to start: {exc}", pytrace=False
            )
        if report.violation is not None:
            raise InvariantViolated(render_violation(report, run))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Invariants come from the guideline, not from a file of their own."""
        return self.path, None, f"calfspec invariant {self.name}"
