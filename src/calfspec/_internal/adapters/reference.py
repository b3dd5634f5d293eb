"""The ``reference`` adapter: the bundled reference triage, in process."""

from __future__ import annotations

from ..guideline import GuidelineIndex, load_guideline
from ..models.triage import TriageRequest
from ..reference import reference_triage
from .base import Reply

__all__ = ["ReferenceImplementation"]


class ReferenceImplementation:
    """Runs :func:`calfspec._internal.reference.reference_triage` against a guideline."""

    def __init__(self, guideline: GuidelineIndex | None = None) -> None:
        self._guideline = guideline

    @property
    def name(self) -> str:
        """Always ``reference``."""
        return "reference"

    async def start(self) -> None:
        """Load the guideline if none was given."""
        if self._guideline is None:
            self._guideline = load_guideline()

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """Evaluate the rules; the reference never blocks, so ``timeout`` is moot."""
        guideline = self._guideline or load_guideline()
        return Reply(reference_triage(request, guideline))

    async def close(self) -> None:
        """Nothing to release."""
