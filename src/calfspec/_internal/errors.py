"""The error tree of calfspec.

Every error calfspec raises on purpose derives from :class:`CalfspecError`. Each
carries where it happened (path, line, column), a stable ``code`` that scripts
and tests can rely on, and a ``hint`` saying what to do next. Where an error
resembles a builtin it also inherits that builtin, so ``except ValueError``
keeps working for callers that do not know calfspec::

    CalfspecError(Exception)
    ├── InputError(CalfspecError, ValueError)          bad user input; CLI exit 4
    │   ├── ProblemsError                                several problems found at once
    │   ├── YamlError                                    unreadable / hostile YAML
    │   ├── ValidationFailed                             well-formed, wrong shape
    │   ├── UnknownIdError                              unknown id / vocabulary
    │   └── SpecError                                    bad implementation spec
    ├── ImplementationError(CalfspecError, RuntimeError) the system under test misbehaved;
    │                                                    an *error* verdict on that case
    └── InternalError(CalfspecError, RuntimeError)       a calfspec bug; CLI exit 3

The CLI renders any of them as ``path:line:col: code: message`` followed by the
hint, and never shows a traceback for user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CalfspecError",
    "ImplementationError",
    "InputError",
    "InternalError",
    "Location",
    "ProblemsError",
    "SpecError",
    "UnknownIdError",
    "ValidationFailed",
    "YamlError",
]


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, either may be unknown."""

    path: str | None = None
    line: int | None = None
    col: int | None = None

    def render(self) -> str:
        """Render as ``path:line:col`` with only the parts that are known.

        Without a file (a bad command-line option, say) the program's name stands in.
        """
        parts = [self.path or "calfspec"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


class CalfspecError(Exception):
    """Root of every error calfspec raises deliberately.

    Likely causes depend on the subclass; all of them carry a location, a stable
    ``code`` (e.g. ``yaml-duplicate-key``) and a ``hint`` for the next step.
    """

    default_code = "calfspec-error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.location = Location(str(path) if path is not None else None, line, col)
        self.hint = hint

    @property
    def path(self) -> str | None:
        """The file the error is about, if any."""
        return self.location.path

    @property
    def line(self) -> int | None:
        """1-based line of the problem, if known."""
        return self.location.line

    @property
    def col(self) -> int | None:
        """1-based column of the problem, if known."""
        return self.location.col

    def render(self) -> str:
        """``path:line:col: code: message``, then the hint on its own line."""
        text = f"{self.location.render()}: {self.code}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class InputError(CalfspecError, ValueError):
    """User input (a guideline, scenario, option or file) is invalid.

    Likely causes: a typo in a YAML file, a file from a newer calfspec, a wrong
    path on the command line. The CLI exits with status 4.
    """

    default_code = "invalid-input"


class ProblemsError(InputError):
    """Several input problems found in one pass, reported together.

    Likely causes: whatever the individual ``problems`` say; loaders collect every
    problem in every file before refusing, so one run shows them all. The error's
    own location, code and hint are those of the first problem.
    """

    def __init__(self, problems: list[CalfspecError]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(
            first.message + more,
            code=first.code,
            path=first.path,
            line=first.line,
            col=first.col,
            hint=first.hint,
        )
        self.problems = problems

    def render(self) -> str:
        """Every problem, one per line."""
        return "\n".join(p.render() for p in self.problems)


class YamlError(InputError):
    """A YAML file could not be read safely.

    Likely causes: a syntax error, a duplicate key, a tab used for indentation,
    bytes that are not UTF-8, an alias bomb, or a file larger than the limit.
    """

    default_code = "yaml-error"


class ValidationFailed(InputError):
    """A file parsed but does not have the shape its schema requires.

    Likely causes: a misspelled field, a wrong type (text where a list is
    expected), a missing required field, or an out-of-range value.
    """

    default_code = "schema-invalid"


class UnknownIdError(InputError):
    """An id refers to something that does not exist.

    Likely causes: a finding, rule, pathway, advice or claim id that is
    misspelled, or that was renamed in guideline/ without updating its users.
    """

    default_code = "unknown-id"


class SpecError(InputError):
    """An implementation spec (``--impl``) cannot be understood or loaded.

    Likely causes: a missing ``python:`` module, a callable that does not exist,
    an empty ``cmd:``, or an entry point that is not installed.
    """

    default_code = "bad-impl-spec"


class ImplementationError(CalfspecError, RuntimeError):
    """The implementation under test did not give a valid answer for a case.

    Likely causes: it crashed, hung past the timeout, wrote something that is
    not JSON, broke the decision schema, or named an unknown guideline id.
    The runner records this as an *error* verdict for the case and goes on.
    """

    default_code = "implementation-error"

    raw: str | None = None
    """The raw reply text of the failing round, when there was one (kept for audit)."""


class InternalError(CalfspecError, RuntimeError):
    """A bug in calfspec itself. Please report it with the command you ran."""

    default_code = "internal-error"
