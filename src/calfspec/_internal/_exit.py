"""The exit statuses of the ``calfspec`` command line, one table for every command.

After :class:`pytest.ExitCode`: the numbers mean the same as pytest's, so a CI
step that knows one knows the other. Commands import this module, not
:mod:`calfspec._internal.cli`, which imports the commands lazily.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """How a ``calfspec`` command ended (``sys.exit(ExitCode.OK)``); docs/errors.md says what to do next."""

    OK = 0
    """Everything passed (or failed only below ``--fail-on``)."""
    FAILED = 1
    """A case errored or failed at or above ``--fail-on``, a gate was not met, or a check found problems."""
    INTERRUPTED = 2
    """Ctrl-C or SIGTERM; reports that were asked for are still written, marked incomplete."""
    INTERNAL_ERROR = 3
    """A bug in calfspec (a traceback is shown), or a calfspec error that is not the user's input."""
    USAGE_ERROR = 4
    """A bad option, spec or input file (guideline, scenario, result): nothing was run."""
    NOTHING_SELECTED = 5
    """No scenario or invariant was selected (``--tag``, ``--shard``, ``--invariant``...)."""
