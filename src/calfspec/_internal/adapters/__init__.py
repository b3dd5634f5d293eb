"""Adapters: turn an implementation spec string into an :class:`Implementation`.

The runner sees only :class:`Implementation` (``start``, ``triage``, ``close``);
each adapter translates one transport into it and contains that transport's
failures, turning them into :class:`~calfspec._internal.errors.ImplementationError` for
the case at hand. One module per role::

    spec.py         spec string -> adapter (SpecError, exit 4, for a bad spec)
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

from .base import Implementation, Reply
from .spec import load_implementation

__all__ = ["Implementation", "Reply", "load_implementation"]
