"""Turn what an implementation answered into a validated decision, or a clear error.

Every transport (in-process callable, JSON lines, HTTP, chat completions) ends
in the same place: some JSON-shaped data that should be a
:class:`~calfspec._internal.models.triage.TriageDecision`. This module owns that last step
and the wording of its errors, so a schema violation reads the same whichever
adapter met it.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from ..errors import ImplementationError
from ..models.triage import TriageDecision
from ..words import clip, one_line

__all__ = ["decision_from_data", "decision_from_text", "describe_exit", "excerpt"]

_MAX_PROBLEMS = 3


def excerpt(text: str | bytes, limit: int = 200) -> str:
    """A short, single-line, printable excerpt of ``text`` for error messages."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    flat = one_line(text)
    if len(flat) > limit:
        return repr(clip(flat, limit, marker="")) + f" ... ({len(text)} characters)"
    return repr(flat)


def _describe_validation(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:_MAX_PROBLEMS]:
        where = ".".join(str(part) for part in error["loc"]) or "(decision)"
        problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - _MAX_PROBLEMS
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)


def decision_from_data(data: object) -> TriageDecision:
    """Validate JSON-shaped ``data`` as a decision, or raise :class:`ImplementationError`."""
    if isinstance(data, TriageDecision):
        # Already validated when it was built (the model is frozen), so checking
        # again would only cost time on the in-process fast path.
        return data
    if not isinstance(data, dict):
        raise ImplementationError(
            f"the decision must be a JSON object, got {type(data).__name__}",
            code="schema-invalid-decision",
        )
    try:
        return TriageDecision.model_validate(data)
    except ValidationError as exc:
        raise ImplementationError(
            f"the decision breaks the schema: {_describe_validation(exc)}",
            code="schema-invalid-decision",
            hint="compare the answer with schemas/triage-decision.schema.json",
        ) from None


def decision_from_text(text: str | bytes) -> TriageDecision:
    """Parse ``text`` as JSON and validate it as a decision."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ImplementationError(
            f"the answer is not valid JSON ({exc}): {excerpt(text)}",
            code="invalid-json",
        ) from None
    return decision_from_data(data)


def describe_exit(returncode: int | None) -> str:
    """Say how a process ended: ``exited with status 1`` or ``killed by signal SIGKILL``."""
    import signal

    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"
