"""The pytest plugin: golden scenarios as test items inside an implementer's own pytest run.

``pytest --calfspec-impl SPEC`` adds one test item per selected scenario,
named by its id, under a virtual ``calfspec`` node (so ``-k``, ``--deselect``,
``-x`` and ``--junitxml`` work as for any test). It is a thin layer over
:mod:`calfspec._internal.runner`: the runner judges, the plugin only maps verdicts onto
pytest outcomes:

* **pass** -> passed;
* **fail** at or above ``--calfspec-fail-on`` -> failed, with expected vs
  given urgency, every failure with its severity, and the source excerpts of
  the claims behind the expectation;
* **fail** below ``--calfspec-fail-on`` (over-triage, by default) -> xfailed,
  with the failure as the reason: visible in the summary line and with
  ``-rx``, but not failing the run. ``--runxfail`` turns them into failures;
* **error** (no valid answer: crash, timeout, schema violation) -> a pytest
  *error*, never a pass.

Installing calfspec registers this module through the ``pytest11`` entry
point, so it is imported by every pytest run in that environment. At import it
therefore touches only pytest and the standard library; calfspec's models,
adapters and runner are imported only once ``--calfspec-impl`` is given, and
without that option every hook returns at once. See docs/pytest-plugin.md.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from ._internal.adapters.base import Implementation
    from ._internal.guideline import GuidelineIndex
    from ._internal.models.results import CaseResult
    from ._internal.runner import RunOptions
    from ._internal.scenarios import LoadedScenario
    from ._internal.session import ImplementationLoop
    from .invariants import Fuzzer, Invariant, InvariantReport

__all__ = [
    "CalfspecRun",
    "InvariantItem",
    "InvariantSuite",
    "InvariantViolated",
    "ScenarioFailure",
    "ScenarioItem",
    "ScenarioSuite",
]

_RUN_KEY = pytest.StashKey["CalfspecRun"]()

_SUITE_NAME = "calfspec"
"""Node id of the virtual collector holding the scenario items: ``calfspec::<scenario-id>``."""

_CITATIONS_SHOWN = 2
"""Citations shown per claim in a failure; the rest are counted (the guideline has them all)."""

_WIDTH = 200
"""Longest excerpt of an implementation's free text (rationale, raw reply) shown in a failure."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the timeout must be above 0 seconds")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: need at least 1")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--calfspec-*`` options in their own help group."""
    group = parser.getgroup("calfspec", "calfspec: golden calf-pain triage scenarios as tests")
    group.addoption(
        "--calfspec-impl",
        metavar="SPEC",
        default=None,
        help="Run the golden scenarios against this implementation: reference, python:MODULE:CALLABLE, "
        "python:FILE.py:CALLABLE, cmd:COMMAND, http(s)://URL, openai:... or an entry-point name. "
        "Without it the plugin does nothing.",
    )
    group.addoption(
        "--calfspec-scenarios",
        metavar="PATH",
        default=None,
        help="A scenario file or folder (default: the suite bundled with calfspec).",
    )
    group.addoption(
        "--calfspec-guideline",
        metavar="DIR",
        default=None,
        help="A guideline folder (default: the guideline bundled with calfspec).",
    )
    group.addoption(
        "--calfspec-tag",
        metavar="TAG",
        action="append",
        default=[],
        help="Collect only scenarios with this tag (repeatable; any tag matches).",
    )
    group.addoption(
        "--calfspec-timeout",
        metavar="S",
        type=_positive_float,
        default=30.0,
        help="Seconds the implementation has per answer before the case is an error (default: 30).",
    )
    group.addoption(
        "--calfspec-concurrency",
        metavar="N",
        type=_positive_int,
        default=8,
        help="Cases sent at once: a scenario item also starts up to N-1 of the items after it "
        "(default: 8; 1 runs strictly one case per item).",
    )
    group.addoption(
        "--calfspec-fail-on",
        choices=("safety", "quality"),
        default="safety",
        help="Lowest failure severity that fails a test (default: safety). Failures below it "
        "(over-triage, by default) are reported as xfailed.",
    )
    group.addoption(
        "--calfspec-invariants",
        action="store_true",
        default=False,
        help="Also collect one test per safety invariant (calfspec::invariants::NAME), searched with hypothesis.",
    )
    group.addoption(
        "--calfspec-examples",
        metavar="N",
        type=_positive_int,
        default=100,
        help="With --calfspec-invariants: examples hypothesis generates per invariant (default: 100).",
    )
    group.addoption(
        "--calfspec-seed",
        metavar="SEED",
        type=int,
        default=0,
        help="With --calfspec-invariants: the seed, so a search can be reproduced (default: 0).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Create the session's run state when ``--calfspec-impl`` is given; nothing is imported yet."""
    spec = config.getoption("calfspec_impl", None)
    if spec is None:
        return
    config.stash[_RUN_KEY] = CalfspecRun(config, spec)


def pytest_report_header(config: pytest.Config) -> str | None:
    """One header line naming the implementation and the scenarios."""
    run = config.stash.get(_RUN_KEY, None)
    if run is None:
        return None
    where = config.getoption("calfspec_scenarios") or "bundled suite"
    # The header is printed before the adapter exists to give its own secret-free name,
    # so any user:password@ in a URL is dropped here.
    shown = re.sub(r"://[^/@\s]+@", "://", run.spec)
    return f"calfspec: implementation {shown}, scenarios {where}, fail on {run.fail_on}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Append the scenario items before ``-k``, ``-m`` and ``--deselect`` filter the list.

    The scenarios are not files under the rootdir, so they are collected from a
    virtual node once per session. ``tryfirst`` puts this hook before pytest's
    own deselection, so selection by scenario id and tag works as usual.
    """
    run = config.stash.get(_RUN_KEY, None)
    if run is None:
        return
    run.load()
    suite = ScenarioSuite.from_parent(session, name=_SUITE_NAME, nodeid=_SUITE_NAME)
    items.extend(session.genitems(suite))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember which scenario items survived selection, in run order, for batching."""
    run = session.config.stash.get(_RUN_KEY, None)
    if run is not None:
        run.set_order([item for item in session.items if isinstance(item, ScenarioItem)])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A one-line tally of the verdicts, in calfspec's own terms."""
    run = terminalreporter.config.stash.get(_RUN_KEY, None)
    if run is None or not (run.finished or run.unanswered):
        return
    terminalreporter.write_sep("-", "calfspec")
    terminalreporter.write_line(run.summary())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Close the implementation (stop its process, close its client) and the event loop."""
    run = session.config.stash.get(_RUN_KEY, None)
    if run is not None:
        run.close()


class ScenarioFailure(Exception):
    """Raised by a scenario item whose decision failed at or above ``--calfspec-fail-on``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class InvariantViolated(Exception):
    """Raised by an invariant item when hypothesis found a (shrunk) counterexample."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _StartFailed(Exception):
    """The implementation could not be started for the invariant search."""


class _CaseCrashed(Exception):
    """calfspec itself raised while running a case: a bug, reported with its traceback."""


class CalfspecRun:
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
        from ._internal.adapters import load_implementation
        from ._internal.errors import CalfspecError
        from ._internal.guideline import load_guideline
        from ._internal.runner import RunOptions
        from ._internal.scenarios import load_scenarios, select_scenarios

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
            from .invariants import derive_invariants

            self.invariants = list(derive_invariants(self._guideline))

    @property
    def guideline(self) -> GuidelineIndex:
        """The loaded guideline (after :meth:`load`)."""
        assert self._guideline is not None, "CalfspecRun.load() was not called"
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
            raise _CaseCrashed(f"calfspec raised while running scenario {sid}") from outcome
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
        from ._internal.errors import ImplementationError
        from ._internal.session import ImplementationLoop

        assert self._impl is not None, "CalfspecRun.load() was not called"
        try:
            self._session = ImplementationLoop(self._impl).__enter__()
        except ImplementationError as exc:  # containment: a broken implementation must not crash pytest
            self._start_error = exc.message.removeprefix("implementation failed to start: ")
        return self._session

    def _run_batch(self, item: ScenarioItem) -> None:
        import asyncio

        from ._internal.models.results import CaseResult as CaseResultType
        from ._internal.runner import revise_contradicted, run_case

        session = self._ensure_started()
        assert session is not None, "setup() checks start_error first"
        assert self._options is not None
        impl, options, guideline = self._impl, self._options, self.guideline
        assert impl is not None
        # Look ahead: this item and the next not-yet-run items, up to the concurrency
        # limit, so a slow (HTTP, chat) implementation is not called one case at a time.
        start = self._position.get(item.loaded.id)
        batch = [item]
        if start is not None:
            for later in self._order[start + 1 :]:
                if len(batch) >= options.concurrency:
                    break
                if later.loaded.id not in self._results:
                    batch.append(later)

        async def run_all() -> list[CaseResult | BaseException]:
            return await asyncio.gather(
                *(run_case(impl, it.loaded, guideline, options) for it in batch), return_exceptions=True
            )

        outcomes = session.run(run_all())
        for outcome in outcomes:
            if isinstance(outcome, (KeyboardInterrupt, SystemExit)):
                raise outcome
        # A cmd: implementation that answered a case twice: that case is a protocol error.
        judged = [o for o in outcomes if isinstance(o, CaseResultType)]
        revise_contradicted(impl, judged)
        revised = iter(judged)
        for it, outcome in zip(batch, outcomes, strict=True):
            self._results[it.loaded.id] = next(revised) if isinstance(outcome, CaseResultType) else outcome

    def check_invariant(self, invariant: Invariant) -> InvariantReport:
        """Search one invariant with the session's fuzzer (started at the first invariant)."""
        from .invariants import Fuzzer, FuzzOptions

        session = self._ensure_started()
        if session is None:
            raise _StartFailed(self._start_error or "unknown cause")
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
        from ._internal.metrics import Outcome, outcome, tally

        t = tally(self.finished)
        errors = t.errors + self.unanswered
        under = sum(outcome(c) is Outcome.UNDER for c in self.finished)
        return (
            f"{t.total + self.unanswered} scenario(s) against {self.implementation_name}: {t.passed} passed, "
            f"{t.failed_safety + t.failed_quality} failed ({t.failed_safety} safety, {t.failed_quality} quality), "
            f"{errors} error(s); {under} under-triaged"
        )


class ScenarioSuite(pytest.Collector):
    """The virtual ``calfspec`` node: one :class:`ScenarioItem` per selected scenario."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """The scenario items, then (with ``--calfspec-invariants``) the invariant items."""
        run = self.config.stash[_RUN_KEY]
        nodes: list[pytest.Item | pytest.Collector] = [
            ScenarioItem.from_parent(self, name=loaded.id, path=loaded.path, loaded=loaded) for loaded in run.scenarios
        ]
        if run.invariants:
            nodes.append(InvariantSuite.from_parent(self, name="invariants"))
        return nodes


class InvariantSuite(pytest.Collector):
    """``calfspec::invariants``: one :class:`InvariantItem` per safety invariant."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """The invariants derived from the guideline, in their stable order."""
        run = self.config.stash[_RUN_KEY]
        return [InvariantItem.from_parent(self, name=inv.name, invariant=inv) for inv in run.invariants]


class ScenarioItem(pytest.Item):
    """One golden scenario as a test: run against the session's implementation, then judged."""

    def __init__(self, *, loaded: LoadedScenario, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.loaded = loaded
        # Tags become keywords, so ``-k dvt`` or ``-k "pregnancy and not near-miss"`` select by tag too.
        self.extra_keyword_matches.update(loaded.scenario.tags)
        self._result: CaseResult | None = None

    @property
    def run_state(self) -> CalfspecRun:
        """The session's :class:`CalfspecRun`."""
        return self.config.stash[_RUN_KEY]

    def setup(self) -> None:
        """Send the case (in a batch) and take its judged result.

        An *error* verdict (no valid answer) fails here, so pytest reports it as
        an error rather than a failure, as calfspec does.
        """
        from ._internal.models.results import Verdict

        run = self.run_state
        if run.start_error is not None:
            run.unanswered += 1
            pytest.fail(
                f"no valid answer: implementation {run.implementation_name} failed to start: {run.start_error}",
                pytrace=False,
            )
        self._result = run.result_for(self)
        if self._result.verdict is Verdict.ERROR:
            pytest.fail(_render_error(self._result, run), pytrace=False)

    def runtest(self) -> None:
        """Map the verdict: fail at or above ``--calfspec-fail-on``, xfail below it."""
        from ._internal.models.results import Severity, Verdict

        result = self._result
        assert result is not None
        if result.verdict is Verdict.PASS:
            return
        run = self.run_state
        assert result.severity is not None
        # --runxfail makes pytest.xfail() a no-op (the case would pass), so it must fail here instead.
        if result.severity.rank >= Severity(run.fail_on).rank or self.config.getoption("runxfail"):
            raise ScenarioFailure(_render_failure(result, self.loaded, run))
        pytest.xfail(
            f"{result.severity.value} failure below --calfspec-fail-on={run.fail_on}: "
            + "; ".join(f.message for f in result.failures)
        )

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: str | None = None,
    ) -> str | TerminalRepr:
        """The judged failure in plain words, not a traceback of the plugin."""
        if isinstance(excinfo.value, ScenarioFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The scenario file and the line of its id."""
        line, _col = self.loaded.doc.locate(("id",))
        return self.loaded.path, (line - 1 if line else None), f"calfspec scenario {self.name}"


class InvariantItem(pytest.Item):
    """One safety invariant as a test: hypothesis searches for a presentation that breaks it."""

    def __init__(self, *, invariant: Invariant, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.invariant = invariant
        self.extra_keyword_matches.add(invariant.family.value)

    def runtest(self) -> None:
        """Search; a counterexample fails the test, an implementation that cannot start errors it."""
        run: CalfspecRun = self.config.stash[_RUN_KEY]
        try:
            report = run.check_invariant(self.invariant)
        except _StartFailed as exc:
            pytest.fail(
                f"no valid answer: implementation {run.implementation_name} failed to start: {exc}", pytrace=False
            )
        if report.violation is not None:
            raise InvariantViolated(_render_violation(report, run))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: str | None = None,
    ) -> str | TerminalRepr:
        """The minimal counterexample in clinical words, not a traceback of the plugin."""
        if isinstance(excinfo.value, InvariantViolated):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Invariants come from the guideline, not from a file of their own."""
        return self.path, None, f"calfspec invariant {self.name}"


def _render_violation(report: InvariantReport, run: CalfspecRun) -> str:
    """The broken invariant, what went wrong, and the shrunk case with the answers it got."""
    from .invariants import describe_decision, describe_presentation

    violation = report.violation
    assert violation is not None
    lines = [
        f"{violation.kind.value}: " + "; ".join(violation.problems),
        f"  invariant {report.name} against {run.implementation_name}: {report.description}",
        f"  found after {report.examples} example(s) (seed {run.config.getoption('calfspec_seed')})"
        + ("" if violation.reproducible else "; the shrunk case did not fail again on replay (nondeterministic?)"),
    ]
    if violation.case.relation:
        lines.append(f"  relation: {violation.case.relation}")
    for number, conversation in enumerate(violation.conversations, start=1):
        lines.append(f"  request {number}:")
        lines.extend(f"    {line}" for line in describe_presentation(conversation.request, run.guideline))
        if conversation.answers:
            answered = ", ".join(f"{k}={v.value}" for k, v in conversation.answers.items())
            lines.append(f"    the harness answered: {answered}")
        lines.append(f"    answer: {describe_decision(conversation.decision)}")
    if report.claims:
        lines.append("  claims: " + ", ".join(report.claims))
    return "\n".join(lines)


def _clip(text: str, limit: int = _WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _render_failure(result: CaseResult, loaded: LoadedScenario, run: CalfspecRun) -> str:
    """Expected vs given, each failure with its severity, and the claims behind the expectation."""
    from ._internal.metrics import range_label

    scenario = loaded.scenario
    guideline = run.guideline
    decision = result.decision
    assert decision is not None
    expected = range_label(result.expected_min, result.expected_max)
    severity = result.severity.value if result.severity else "unknown"
    lines = [
        # The first line is what pytest's short summary (-rf) shows: the failures themselves.
        f"{severity} failure: " + "; ".join(f.message for f in result.failures),
        f"  scenario {scenario.id} against {run.implementation_name}: {scenario.title}",
        f"  urgency: expected {expected}, given {decision.urgency.value}",
        "  failures:",
        *(f"    [{f.severity.value}] {f.message}" for f in result.failures),
        "  decision: "
        + ", ".join(
            f"{name}=[{', '.join(values)}]"
            for name, values in (
                ("pathways", decision.pathways),
                ("advice", decision.advice),
                ("conditions", decision.conditions),
            )
        ),
    ]
    if decision.rationale:
        lines.append(f"  rationale: {_clip(decision.rationale)}")
    answered = [f"{k}={v}" for exchange in result.transcript for k, v in exchange.answered.items()]
    if answered:
        lines.append(f"  follow-up: {len(result.transcript)} round(s); the harness answered " + ", ".join(answered))
    lines.append("  why this is expected (cited claims):")
    for claim_id in scenario.expect.claims:
        claim = guideline.claims.get(claim_id)
        if claim is None:  # load_scenarios rejects unknown claims; kept for a guideline edited mid-run
            lines.append(f"    {claim_id}: (not in the guideline)")
            continue
        lines.append(f"    {claim.id} [{claim.basis.value}]: {claim.statement}")
        for citation in claim.citations[:_CITATIONS_SHOWN]:
            source = guideline.sources.get(citation.source)
            title = source.title if source is not None else citation.source
            lines.append(f'      {title}, "{citation.section}": "{citation.excerpt}"')
        if len(claim.citations) > _CITATIONS_SHOWN:
            lines.append(f"      (+{len(claim.citations) - _CITATIONS_SHOWN} more citation(s) in the guideline)")
    line, col = loaded.doc.locate(("expect",))
    lines.append(f"  expectation: {loaded.path}:{line}:{col}")
    return "\n".join(lines)


def _render_error(result: CaseResult, run: CalfspecRun) -> str:
    """Why the case has no judged answer: the runner's cause, and what came back if anything."""
    cause = result.error or "unknown cause"
    prefix = f"case {result.scenario_id}: "
    lines = [
        # First line for the short summary: the cause, without the case id pytest already shows.
        "no valid answer: " + (cause[len(prefix) :] if cause.startswith(prefix) else cause),
        f"  scenario {result.scenario_id} against {run.implementation_name}; an error is never a pass",
    ]
    if result.raw_reply is not None:
        lines.append(f"  raw reply: {_clip(result.raw_reply)!r}")
    return "\n".join(lines)
