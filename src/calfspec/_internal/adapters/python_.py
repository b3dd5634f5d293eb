"""The ``python:`` adapter: a triage callable (or an Implementation) in this process.

The Python API (``calfspec.run(func)``) wraps a callable the same way, by
:func:`implementation_from_object`.

``python:MODULE:CALLABLE`` imports ``MODULE``; ``python:path/to/file.py:CALLABLE``
loads a file. ``CALLABLE`` may be dotted (``Triage.run``). What it names is
resolved by :func:`implementation_from_object`, shared with entry points:

1. an object that already implements :class:`~calfspec._internal.adapters.base.Implementation`
   is used as it is;
2. a class with ``start``, ``triage`` and ``close`` is instantiated with no arguments;
3. a callable that takes no arguments is a *factory*: it is called once and must
   return 1 or 4;
4. a callable that takes one argument is the *triage callable*: sync or async, it
   receives a :class:`~calfspec._internal.models.triage.TriageRequest` when its first
   parameter is annotated as one (or as ``Presentation``), else the request's JSON
   dict; it returns a :class:`~calfspec._internal.models.triage.TriageDecision` or a dict.

A sync callable runs directly on the event loop: it is the cheapest path (the
adapter adds a few microseconds), but it cannot be interrupted, so its timeout is
not enforced. Use ``cmd:`` for code that may hang. An exception raised by the
callable becomes an error for that case only.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import types
import typing
from collections.abc import Awaitable, Callable
from pathlib import Path

from ..errors import ImplementationError, SpecError
from ..models.triage import Presentation, TriageDecision, TriageRequest
from ._decode import decision_from_data
from .base import Implementation, Reply

__all__ = ["PythonImplementation", "callable_name", "implementation_from_object", "load_python"]

TriageCallable = Callable[[typing.Any], object]

_LOAD_ERRORS = (Exception, SystemExit, KeyboardInterrupt)
"""What importing a target or calling its factory may raise and still be a usage error (exit 4).

``SystemExit`` and ``KeyboardInterrupt`` too: a module that calls ``sys.exit(0)`` or
parses ``sys.argv`` with argparse at import must not set calfspec's exit status."""
_REQUEST_TYPES = (TriageRequest, Presentation)
_REQUEST_NAMES = frozenset(t.__name__ for t in _REQUEST_TYPES)


def _wants_model(func: TriageCallable) -> bool:
    """Whether the first parameter is annotated as a request model (else it gets a dict)."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return False
    first = params[0]
    hinted = func if inspect.isfunction(func) or inspect.ismethod(func) else type(func).__call__
    try:
        annotation: object = typing.get_type_hints(hinted).get(first.name, first.annotation)
    except Exception:  # unresolvable forward refs: fall back to the raw annotation text
        annotation = first.annotation
    if isinstance(annotation, str):
        names = {part.strip().rsplit(".", 1)[-1] for part in annotation.split("|")}
        return bool(names) and names <= _REQUEST_NAMES
    # A union of request models (``TriageRequest | Presentation``) also wants the model.
    members = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else ()
    if members:
        return all(m in _REQUEST_TYPES for m in members)
    return annotation in _REQUEST_TYPES


def _is_async(func: TriageCallable) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - objects with an async __call__
    )


class PythonImplementation:
    """Wraps a triage callable as an :class:`Implementation`."""

    def __init__(self, func: TriageCallable, name: str) -> None:
        self._func = func
        self._name = name
        self._wants_model = _wants_model(func)
        self._is_async = _is_async(func)

    @property
    def name(self) -> str:
        """The spec the callable was loaded from."""
        return self._name

    async def start(self) -> None:
        """Nothing to acquire: the callable is already loaded."""

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """Call the callable; its exceptions and bad answers become an error for this case."""
        argument: object = request if self._wants_model else request.model_dump(mode="json")
        try:
            if self._is_async:
                result = await _with_timeout(self._func(argument), timeout)  # type: ignore[arg-type]
            else:
                result = self._func(argument)
                if inspect.isawaitable(result):
                    result = await _with_timeout(result, timeout)
        except ImplementationError:
            raise
        except Exception as exc:
            raise ImplementationError(
                f"the callable raised {type(exc).__name__}: {exc}",
                code="implementation-raised",
            ) from exc
        if isinstance(result, TriageDecision):
            return Reply(result)
        return Reply(decision_from_data(result))

    async def close(self) -> None:
        """Nothing to release."""


async def _with_timeout(awaitable: Awaitable[object], timeout: float) -> object:
    try:
        async with asyncio.timeout(timeout) as scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise ImplementationError(f"no answer within {timeout:g} s", code="implementation-timeout") from None
        raise


def _looks_like_implementation_class(obj: object) -> bool:
    return inspect.isclass(obj) and all(callable(getattr(obj, attr, None)) for attr in ("start", "triage", "close"))


def _required_positional(func: Callable[..., object]) -> int | None:
    """How many positional arguments ``func`` needs, or ``None`` if it cannot be told."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    accepts_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if not positional and accepts_varargs:
        return 1
    return len(positional)


def callable_name(obj: object) -> str:
    """The spec a Python object would be loaded by, as its implementation name: ``python:MODULE:QUALNAME``.

    For an object handed to the API directly (``calfspec.run(my_triage)``); the
    reports then name it as if it had been given with ``--impl``.
    """
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    module = getattr(target, "__module__", None) or "__main__"
    qualname = getattr(target, "__qualname__", None) or type(obj).__name__
    return f"python:{module}:{qualname}"


def implementation_from_object(obj: object, name: str, *, what: str) -> Implementation:
    """Resolve a loaded object into an :class:`Implementation` (see the module docstring).

    ``what`` names where the object came from, for error messages.
    """
    if isinstance(obj, Implementation) and not inspect.isclass(obj):
        return obj
    if _looks_like_implementation_class(obj):
        assert inspect.isclass(obj)
        try:
            instance = obj()
        except _LOAD_ERRORS as exc:
            raise SpecError(
                f"{what}: creating {obj.__name__}() failed: {type(exc).__name__}: {exc}",
                hint="an Implementation class must be constructible without arguments",
            ) from exc
        if isinstance(instance, Implementation):
            return instance
    if not callable(obj):
        raise SpecError(
            f"{what} is a {type(obj).__name__}, not a callable or an Implementation",
            hint="point the spec at a function taking one request and returning a decision",
        )
    needed = _required_positional(obj)
    if needed == 0:
        try:
            made = obj()
        except _LOAD_ERRORS as exc:
            raise SpecError(
                f"{what}: the factory raised {type(exc).__name__}: {exc}",
                hint="a zero-argument callable is treated as a factory for the triage callable",
            ) from exc
        if isinstance(made, Implementation) and not inspect.isclass(made):
            return made
        if callable(made) and _required_positional(made) in (1, None):
            return PythonImplementation(made, name)
        raise SpecError(
            f"{what}: the factory returned {type(made).__name__}, not a triage callable or an Implementation",
            hint="return a function taking one request, or an object with start/triage/close",
        )
    if needed not in (1, None):
        raise SpecError(
            f"{what} needs {needed} arguments; a triage callable takes exactly one (the request)",
            hint="wrap it: def triage(request): return mine(request, other_args)",
        )
    return PythonImplementation(obj, name)


def _import_module(module: str) -> object:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        cwd = str(Path.cwd())
        # Like uvicorn or gunicorn: a module next to where the user runs calfspec
        # should be found even when the console script did not put "." on sys.path.
        if module.split(".")[0] == missing.split(".")[0] and cwd not in sys.path and "" not in sys.path:
            sys.path.insert(0, cwd)
            try:
                return importlib.import_module(module)
            except ModuleNotFoundError:
                sys.path.remove(cwd)
        raise SpecError(
            f"cannot import module {module!r}: no module named {missing!r}",
            hint="check the spelling; run from the folder that holds it, install it, "
            "or give a file: python:path/to/file.py:CALLABLE",
        ) from None
    except _LOAD_ERRORS as exc:
        raise SpecError(
            f"importing module {module!r} failed: {type(exc).__name__}: {exc}",
            hint=f"the module raised while being imported; run `python -c 'import {module}'` to see the traceback",
        ) from exc


def _load_file(path_text: str) -> object:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise SpecError(
            f"no such Python file: {path_text}",
            path=path_text,
            hint="give a path relative to the current folder, e.g. python:impls/mine.py:triage",
        )
    resolved = path.resolve()
    # A stable, unique module name per file, so two files called triage.py do not clash.
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", resolved.stem)
    mod_name = f"_calfspec_impl_{digest}_{stem}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, resolved)
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot load {path_text} as a Python module", path=path_text)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except _LOAD_ERRORS as exc:
        del sys.modules[mod_name]
        raise SpecError(
            f"running {path_text} failed: {type(exc).__name__}: {exc}",
            path=path_text,
            hint=f"run `python {path_text}` to see the traceback",
        ) from exc
    return module


def _own_callables(owner: object, limit: int = 20) -> list[str]:
    """Public callables defined in ``owner`` itself (not imported into it), for hints."""
    home = getattr(owner, "__name__", None)
    names = sorted(
        n
        for n in dir(owner)
        if not n.startswith("_") and callable(value := getattr(owner, n)) and getattr(value, "__module__", home) == home
    )
    return names[:limit] + (["..."] if len(names) > limit else [])


def load_python(target: str, name: str) -> Implementation:
    """Load ``MODULE:CALLABLE`` or ``path/to/file.py:CALLABLE`` (the part after ``python:``)."""
    module_text, sep, attr_path = target.rpartition(":")
    if not sep or not module_text or not attr_path:
        raise SpecError(
            f"python spec {name!r} must be python:MODULE:CALLABLE or python:FILE.py:CALLABLE",
            hint="e.g. python:mypackage.triage:decide or python:impls/mine.py:decide",
        )
    is_file = module_text.endswith(".py") or "/" in module_text or os.sep in module_text
    owner = _load_file(module_text) if is_file else _import_module(module_text)
    obj: object = owner
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            listed = ", ".join(_own_callables(owner))
            raise SpecError(
                f"{module_text} has no attribute {attr_path!r}",
                hint=f"callables it defines: {listed}" if listed else "it defines no callables",
            ) from None
    return implementation_from_object(obj, name, what=f"{module_text}:{attr_path}")
