"""Parse an implementation spec string and build the matching adapter.

The spec is the same string on the CLI (``--impl``) and in the API. Its prefix
picks the adapter; a bare name that is no prefix is looked up among installed
entry points. Anything that cannot be loaded is a :class:`SpecError` (exit
status 4) with a hint, raised here, before any case runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SpecError
from ..guideline import GuidelineIndex
from .base import Implementation
from .reference import ReferenceImplementation

__all__ = ["SPEC_FORMS", "load_implementation"]

SPEC_FORMS = (
    "reference",
    "python:MODULE:CALLABLE",
    "python:path/to/file.py:CALLABLE",
    "cmd:COMMAND",
    "http(s)://HOST/PATH",
    "openai:MODEL[@BASE_URL][#OPTIONS]",
    "NAME (an entry point in calfspec.implementations)",
)
"""The accepted forms, for help texts and hints."""


def load_implementation(
    spec: str,
    guideline: GuidelineIndex | None = None,
    *,
    concurrency: int | None = None,
    pass_env: Sequence[str] = (),
) -> Implementation:
    """Build the adapter for ``spec``; raise :class:`SpecError` with a hint if it is not valid.

    ``concurrency`` sizes the HTTP connection pools (``http``, ``openai``); other
    adapters ignore it. ``pass_env`` names ``CALFSPEC_*`` secret variables a
    ``cmd:`` child may inherit (by default it gets none of them). Nothing is
    started: call ``start()`` before ``triage()``.
    """
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    pool = {} if concurrency is None else {"concurrency": concurrency}
    if spec == "reference":
        return ReferenceImplementation(guideline)
    if sep and kind == "python":
        from .python_ import load_python

        return load_python(rest, spec)
    if sep and kind == "cmd":
        from .cmd import CommandImplementation, parse_command

        return CommandImplementation(parse_command(rest, spec), spec, pass_env=pass_env)
    if sep and kind in ("http", "https"):
        from .http import HttpImplementation

        return HttpImplementation(spec, **pool)
    if sep and kind == "openai":
        from .openai import OpenAIImplementation

        return OpenAIImplementation(rest, guideline, **pool)
    if not sep and spec:
        from .entrypoints import installed_names, load_entry_point

        found = load_entry_point(spec)
        if found is not None:
            return found
        names = installed_names()
        installed = f"installed entry points: {', '.join(names)}" if names else "none is installed"
        raise SpecError(
            f"unknown implementation {spec!r}: not a spec form and no entry point of that name",
            hint=f"{installed}; forms: {'; '.join(SPEC_FORMS)}",
        )
    raise SpecError(
        f"unknown implementation spec {spec!r}",
        hint=f"forms: {'; '.join(SPEC_FORMS)}",
    )
