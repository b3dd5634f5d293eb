"""The pytest plugin: golden scenarios as test items inside an implementer's own pytest run.

``pytest --calfspec-impl SPEC`` adds one test item per selected scenario,
named by its id, under a virtual ``calfspec`` node (so ``-k``, ``--deselect``,
``-x`` and ``--junitxml`` work as for any test). It is a thin layer over
:mod:`calfspec._internal.runner`: the runner schedules and judges, the plugin only maps
verdicts onto pytest outcomes:

* **pass** -> passed;
* **fail** at or above ``--calfspec-fail-on`` -> failed, with expected vs
  given urgency, every failure with its severity, and the source excerpts of
  the claims behind the expectation;
* **fail** below ``--calfspec-fail-on`` (over-triage, by default) -> xfailed,
  with the failure as the reason: visible in the summary line and with
  ``-rx``, but not failing the run. ``--runxfail`` turns them into failures;
* **error** (no valid answer: crash, timeout, schema violation) -> a pytest
  *error*, never a pass.

This module holds the hooks only, each delegating, as syrupy's plugin does::

    __init__.py   the options and the hooks (this module)
    _session.py   PluginSession: the per-run state, the implementation's lifecycle, batching
    _items.py     the nodes: ScenarioSuite, ScenarioItem, InvariantSuite, InvariantItem
    _render.py    the text of a failure, an error and a broken invariant

Installing calfspec registers this package through the ``pytest11`` entry
point, so it is imported by every pytest run in that environment. At import it
therefore touches only pytest and the standard library, and not even its own
submodules: those, and calfspec's models, adapters and runner, are imported only
once ``--calfspec-impl`` is given. (The option help reads the connector table,
:mod:`calfspec._internal.adapters.spec`, which needs nothing but the standard
library.) Without that option every hook returns at once. See docs/pytest-plugin.md.
"""

from __future__ import annotations

import argparse
import importlib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._items import InvariantItem, InvariantSuite, InvariantViolated, ScenarioFailure, ScenarioItem, ScenarioSuite
    from ._session import PluginSession

__all__ = [
    "InvariantItem",
    "InvariantSuite",
    "InvariantViolated",
    "PluginSession",
    "ScenarioFailure",
    "ScenarioItem",
    "ScenarioSuite",
]

_WHERE = {
    "InvariantItem": "._items",
    "InvariantSuite": "._items",
    "InvariantViolated": "._items",
    "PluginSession": "._session",
    "ScenarioFailure": "._items",
    "ScenarioItem": "._items",
    "ScenarioSuite": "._items",
}


def __getattr__(name: str) -> object:
    # PEP 562: the node classes are importable from here, but loaded only on first use. There is
    # deliberately no __dir__ listing them: pluggy getattr()s every name dir() gives when it
    # registers the plugin, which would import them in every pytest run.
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(where, __name__), name)


_RUN_KEY = pytest.StashKey["PluginSession"]()

_SUITE_NAME = "calfspec"
"""Node id of the virtual collector holding the scenario items: ``calfspec::<scenario-id>``."""


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
    # The forms come from the one connector table; that module imports only the standard library.
    from .._internal.adapters.spec import spec_help

    group = parser.getgroup("calfspec", "calfspec: golden calf-pain triage scenarios as tests")
    group.addoption(
        "--calfspec-impl",
        metavar="SPEC",
        default=None,
        help=spec_help("Run the golden scenarios against this implementation") + " Without it the plugin does nothing.",
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
    from ._session import PluginSession

    config.stash[_RUN_KEY] = PluginSession(config, spec)


def pytest_report_header(config: pytest.Config) -> str | None:
    """One header line naming the implementation and the scenarios."""
    run = config.stash.get(_RUN_KEY, None)
    if run is None:
        return None
    from .._internal.adapters.http import public_url

    where = config.getoption("calfspec_scenarios") or "bundled suite"
    # The header is printed before the adapter exists to give its own secret-free name,
    # so any user:password@ in a URL is dropped here, by the adapters' one URL redactor.
    return f"calfspec: implementation {public_url(run.spec)}, scenarios {where}, fail on {run.fail_on}"


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
    from ._items import ScenarioSuite

    run.load()
    suite = ScenarioSuite.from_parent(session, name=_SUITE_NAME, nodeid=_SUITE_NAME, run_state=run)
    items.extend(session.genitems(suite))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember which scenario items survived selection, in run order, for batching."""
    run = session.config.stash.get(_RUN_KEY, None)
    if run is not None:
        from ._items import ScenarioItem

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
