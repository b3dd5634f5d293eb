"""The boundary between calfspec and a triage implementation.

Every adapter (in-process Python, a JSON-lines subprocess, HTTP, an
OpenAI-compatible chat endpoint) turns its transport into this one async
interface. The boundary sits here, in plain contract types, so that the runner
can own concurrency, timeouts, repeats and containment once, and adapters only
translate. Nothing outside ``calfspec._internal.adapters`` knows about transports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..models.triage import TriageDecision, TriageRequest

__all__ = ["Implementation", "Reply"]


@dataclass(frozen=True)
class Reply:
    """A validated decision, plus the raw text it was parsed from (kept for audit)."""

    decision: TriageDecision
    raw: str | None = None


@runtime_checkable
class Implementation(Protocol):
    """A triage system under test, as the runner sees it.

    ``triage`` must return a :class:`Reply` or raise
    :class:`calfspec._internal.errors.ImplementationError` naming the cause (crash,
    timeout, invalid JSON, schema violation). It must give up by itself after
    ``timeout`` seconds; the runner also cancels it shortly after as a backstop,
    so adapters must leave no process or connection behind when cancelled.
    ``triage`` may be called concurrently; an adapter that cannot serve
    requests in parallel serialises them itself.
    """

    @property
    def name(self) -> str:
        """The implementation spec, with any secret removed, for reports."""
        ...

    async def start(self) -> None:
        """Acquire resources (start a process, open a client). Called once."""
        ...

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """Answer one request within ``timeout`` seconds."""
        ...

    async def close(self) -> None:
        """Release everything; after this no child process may remain."""
        ...
