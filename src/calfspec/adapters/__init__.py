"""Adapters: turn an implementation spec string into an :class:`Implementation`.

Specs (the same string on the CLI and in the API):

* ``reference``: the bundled reference triage;
* ``python:MODULE:CALLABLE`` or ``python:path/to/file.py:CALLABLE``: an in-process callable;
* ``cmd:COMMAND``: a long-running subprocess speaking JSON lines;
* ``http://...`` / ``https://...``: POST the request, read the decision;
* ``openai:...``: an OpenAI-compatible chat-completions endpoint;
* any other bare name: an entry point in the ``calfspec.implementations`` group.
"""

from __future__ import annotations

from .base import Implementation, Reply
from .spec import load_implementation

__all__ = ["Implementation", "Reply", "load_implementation"]
