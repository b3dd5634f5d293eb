"""Parse an implementation spec and build the matching adapter."""

from __future__ import annotations

from ..errors import SpecError
from ..guideline import GuidelineIndex
from .base import Implementation
from .reference import ReferenceImplementation

__all__ = ["load_implementation"]


def load_implementation(spec: str, guideline: GuidelineIndex | None = None) -> Implementation:
    """Build the adapter for ``spec``; raise :class:`SpecError` with a hint if it is not valid."""
    spec = spec.strip()
    if spec == "reference":
        return ReferenceImplementation(guideline)
    raise SpecError(
        f"unknown implementation spec {spec!r}",
        hint="use reference, python:MODULE:CALLABLE, cmd:COMMAND, http://HOST/PATH, openai:MODEL or an entry-point name",
    )
