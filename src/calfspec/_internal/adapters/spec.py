"""Parse an implementation spec string and build the matching adapter.

The spec is the same string on the CLI (``--impl``), in the pytest plugin
(``--calfspec-impl``) and in the API. Its prefix picks the connector from
:data:`CONNECTORS`, the one table of every form: the accepted forms
(:data:`SPEC_FORMS`), the option help (:func:`spec_help`) and the hints of
:class:`SpecError` are generated from it, so they cannot disagree. A bare name
that is no connector is looked up among installed entry points. Anything that
cannot be loaded is a :class:`SpecError` (exit status 4) with a hint, raised
here, before any case runs.

:func:`implementation_for` also takes what the Python API accepts besides a
spec: an :class:`Implementation`, or a plain triage function (sync or async).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SpecError

if TYPE_CHECKING:
    # Only types: this module is read for its help text where pydantic must not load yet.
    from ..guideline import GuidelineIndex
    from .base import Implementation

__all__ = [
    "CONNECTORS",
    "ENTRY_POINT_FORM",
    "SPEC_FORMS",
    "Connector",
    "implementation_for",
    "load_implementation",
    "spec_help",
]


@dataclass(frozen=True)
class _Wanted:
    """What a connector may use to build its adapter."""

    spec: str
    rest: str
    guideline: GuidelineIndex | None
    concurrency: int | None
    pass_env: Sequence[str]

    @property
    def pool(self) -> dict[str, int]:
        return {} if self.concurrency is None else {"concurrency": self.concurrency}


@dataclass(frozen=True)
class Connector:
    """One kind of implementation: how to build it, the spec forms it takes, and one line of help."""

    factory: Callable[[_Wanted], Implementation]
    forms: tuple[str, ...]
    help: str
    bare: bool = False
    """The kind is the whole spec (``reference``), not a ``kind:`` prefix."""


def _reference(wanted: _Wanted) -> Implementation:
    from .reference import ReferenceImplementation

    return ReferenceImplementation(wanted.guideline)


def _python(wanted: _Wanted) -> Implementation:
    from .python_ import load_python

    return load_python(wanted.rest, wanted.spec)


def _cmd(wanted: _Wanted) -> Implementation:
    from .cmd import CommandImplementation, parse_command

    return CommandImplementation(parse_command(wanted.rest, wanted.spec), wanted.spec, pass_env=wanted.pass_env)


def _http(wanted: _Wanted) -> Implementation:
    from .http import HttpImplementation

    return HttpImplementation(wanted.spec, **wanted.pool)


def _openai(wanted: _Wanted) -> Implementation:
    from .openai import OpenAIImplementation

    return OpenAIImplementation(wanted.rest, wanted.guideline, **wanted.pool)


_HTTP = Connector(_http, ("http(s)://HOST/PATH",), "POST each request as JSON to a triage service")

CONNECTORS: dict[str, Connector] = {
    "reference": Connector(_reference, ("reference",), "the bundled reference triage", bare=True),
    "python": Connector(
        _python,
        ("python:MODULE:CALLABLE", "python:path/to/file.py:CALLABLE"),
        "a triage callable or Implementation in this process",
    ),
    "cmd": Connector(_cmd, ("cmd:COMMAND",), "one subprocess speaking JSON lines (docs/implementing.md)"),
    "http": _HTTP,
    "https": _HTTP,
    "openai": Connector(
        _openai, ("openai:MODEL[@BASE_URL][#OPTIONS]",), "a chat-completions model, prompted with the guideline"
    ),
}
"""Every connector by kind (the text before the first ``:``, or the whole spec when ``bare``)."""

ENTRY_POINT_FORM = "NAME (an entry point in calfspec.implementations)"
"""The form no connector owns: a bare name looked up among installed entry points."""

SPEC_FORMS: tuple[str, ...] = (
    *dict.fromkeys(form for connector in CONNECTORS.values() for form in connector.forms),
    ENTRY_POINT_FORM,
)
"""The accepted forms, in table order, for help texts and hints."""


def spec_help(lead: str = "Implementation under test") -> str:
    """One sentence naming every accepted form, for ``--impl`` and ``--calfspec-impl``."""
    forms = [form for form in SPEC_FORMS if form != ENTRY_POINT_FORM]
    return f"{lead}: {', '.join(forms)}, or NAME, an entry point in calfspec.implementations."


def _forms_hint() -> str:
    return f"forms: {'; '.join(SPEC_FORMS)}"


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
    connector = CONNECTORS.get(spec if not sep else kind)
    if connector is not None and connector.bare == (not sep):
        return connector.factory(_Wanted(spec, rest, guideline, concurrency, pass_env))
    if not sep and spec:
        from .entrypoints import installed_names, load_entry_point

        found = load_entry_point(spec)
        if found is not None:
            return found
        names = installed_names()
        installed = f"installed entry points: {', '.join(names)}" if names else "none is installed"
        raise SpecError(
            f"unknown implementation {spec!r}: not a spec form and no entry point of that name",
            hint=f"{installed}; {_forms_hint()}",
        )
    raise SpecError(f"unknown implementation spec {spec!r}", hint=_forms_hint())


def implementation_for(
    impl: object,
    guideline: GuidelineIndex | None = None,
    *,
    concurrency: int | None = None,
    pass_env: Sequence[str] = (),
) -> Implementation:
    """An :class:`Implementation` from a spec string, an Implementation, or a triage callable.

    A callable is resolved as a ``python:`` target is (see
    :mod:`calfspec._internal.adapters.python_`): a function taking one
    ``TriageRequest`` (or its JSON dict) and returning a ``TriageDecision`` (or a
    dict), sync or async; a zero-argument factory; or an Implementation class.
    """
    if isinstance(impl, str):
        return load_implementation(impl, guideline, concurrency=concurrency, pass_env=pass_env)
    from .base import Implementation
    from .python_ import callable_name, implementation_from_object

    if not callable(impl) and not isinstance(impl, Implementation):
        raise SpecError(
            f"cannot run a {type(impl).__name__}: give a spec string, an Implementation or a triage function",
            hint=_forms_hint(),
        )
    name = callable_name(impl)
    return implementation_from_object(impl, name, what=name.removeprefix("python:"))
