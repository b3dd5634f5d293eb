"""Implementations installed as entry points, addressed by a bare name.

A package registers its triage system under the ``calfspec.implementations``
group, e.g. in its ``pyproject.toml``::

    [project.entry-points."calfspec.implementations"]
    acme = "acme_triage.calfspec:triage"

and ``calfspec run --impl acme`` then loads it. The target is resolved like a
``python:`` target (see :func:`calfspec._internal.adapters.python_.implementation_from_object`):
an Implementation, an Implementation class, a zero-argument factory, or a triage
callable taking one request.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from ..errors import SpecError
from .base import Implementation
from .python_ import implementation_from_object

__all__ = ["ENTRY_POINT_GROUP", "installed_names", "load_entry_point"]

ENTRY_POINT_GROUP = "calfspec.implementations"
"""The entry-point group calfspec looks in for implementations."""


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def installed_names() -> list[str]:
    """Names of the implementations installed as entry points, sorted."""
    return sorted({ep.name for ep in _entry_points()})


def load_entry_point(name: str) -> Implementation | None:
    """The implementation registered as ``name``, or ``None`` if none is installed."""
    matches = [ep for ep in _entry_points() if ep.name == name]
    if not matches:
        return None
    if len({ep.value for ep in matches}) > 1:
        where = ", ".join(sorted(ep.value for ep in matches))
        raise SpecError(
            f"entry point {name!r} is registered more than once ({where})",
            hint="uninstall one of the packages, or use python:MODULE:CALLABLE to pick one",
        )
    entry = matches[0]
    try:
        obj = entry.load()
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # as for python: targets (exit 4, not theirs)
        raise SpecError(
            f"loading entry point {name!r} ({entry.value}) failed: {type(exc).__name__}: {exc}",
            hint="the package that registers it may be broken or half-installed",
        ) from exc
    return implementation_from_object(obj, name, what=f"entry point {name!r} ({entry.value})")
