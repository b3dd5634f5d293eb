"""Adapters: turn an implementation spec string into an :class:`Implementation`.

The runner sees only :class:`Implementation` (``start``, ``triage``, ``close``);
each adapter translates one transport into it and contains that transport's
failures, turning them into :class:`~calfspec._internal.errors.ImplementationError` for
the case at hand. One module per role::

    spec.py         spec string -> adapter, by the CONNECTORS table (SpecError, exit 4, for a bad spec)
    base.py         the Implementation protocol and Reply
    reference.py    ``reference``: the bundled reference triage
    python_.py      ``python:MODULE:CALLABLE`` / ``python:FILE.py:CALLABLE``: in process
    entrypoints.py  a bare NAME: an entry point in ``calfspec.implementations``
    cmd.py          ``cmd:COMMAND``: one subprocess speaking JSON lines (protocol v1)
    http.py         ``http(s)://...``: POST the request, read the decision
    openai.py       ``openai:MODEL[@BASE_URL][#OPTIONS]``: a chat-completions endpoint
    _decode.py      JSON -> validated TriageDecision, with the shared error wording

docs/implementing.md describes every form for the developers of other systems.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Implementation, Reply
    from .spec import implementation_for, load_implementation, spec_help

__all__ = ["Implementation", "Reply", "implementation_for", "load_implementation", "spec_help"]

# Imported on first use: the pytest plugin reads spec_help() for its option help
# before anything decides to run, and must not pay for pydantic there.
_WHERE = {
    "Implementation": ".base",
    "Reply": ".base",
    "implementation_for": ".spec",
    "load_implementation": ".spec",
    "spec_help": ".spec",
}


def __getattr__(name: str) -> Any:
    """Import a name from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
