"""Safe YAML loading that keeps positions for error messages.

Guideline and scenario files are written by people, so a mistake must be named
by file and line. This module reads them through libyaml (PyYAML's C parser)
and builds the data itself from its nodes or events, so it decides what is
allowed, node by node:

* files over a size limit and bytes that are not UTF-8 are refused;
* duplicate keys are refused at the repeated key's line;
* anchors and aliases are refused: no calfspec file needs them, and they make
  "billion laughs" alias bombs possible;
* nesting deeper than :data:`MAX_DEPTH` is refused (the builder keeps its own
  stack, so a hostile file cannot exhaust Python's or C's);
* numbers longer than :data:`MAX_NUMBER_CHARS` are refused, before Python's
  ``int()`` would raise on them or spend quadratic time;
* tags other than YAML's standard ones are refused, so no object but plain data
  ever comes out.

Plain scalars resolve as YAML 1.2 (core schema, as the files have always been
read): ``yes``/``no``/``on``/``off`` stay strings, ``010`` is ten, there are
no sexagesimal numbers; ISO dates and timestamps become ``date``/``datetime``.

The result is plain ``dict``/``list``/scalars for pydantic, plus a position
tree that maps a validation error's ``loc`` back to a line and column. Most
files need no position at all (they are valid), so a text without tags is read
as data alone and its positions are found again, from the text, when first
asked (:meth:`YamlDoc.locate`). When PyYAML was installed without its C
extension the pure-Python parser produces the same events, so every guarantee
holds, only slower (:data:`LIBYAML` says which one runs). The builders live in
:mod:`calfspec._internal._yaml._build`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .._io import read_user_text
from ..errors import InputError, ValidationFailed, YamlError
from ._build import (
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    Fail,
    Pos,
    compose_events,
    compose_nodes,
    compose_plain_data,
    libyaml_limits_nesting,
    may_hold_anchor,
)

try:
    from yaml import CSafeLoader as _Parser

    LIBYAML = True
    """True when libyaml's C parser is in use; False means the pure-Python fallback."""
except ImportError:  # pragma: no cover - PyYAML's wheels ship the C extension
    from yaml import SafeLoader as _Parser

    LIBYAML = False

__all__ = [
    "LIBYAML",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "YamlDoc",
    "load_yaml",
    "load_yaml_model",
    "load_yaml_text",
    "model_from_doc",
    "validate_doc",
    "validation_problems",
]

MAX_BYTES = 5 * 1024 * 1024
"""Largest YAML file calfspec will read (5 MiB); real files are a few KiB."""

_M = TypeVar("_M", bound=BaseModel)

_C_COMPOSE = libyaml_limits_nesting()
"""Use the C composer for texts that cannot hold anchors or aliases (the events builder reads the rest)."""


class YamlDoc:
    """A parsed YAML document: plain data plus the position of every node.

    :meth:`light` gives a copy that keeps neither and finds the positions again,
    from the file, when first asked: what a loader keeps for thousands of files.
    """

    __slots__ = ("_digest", "_source", "_text", "_tree", "data", "path")

    def __init__(self, path: str, data: Any, tree: Pos | None = None, *, text: str | None = None) -> None:
        if tree is None and text is None:
            raise ValueError("a YamlDoc needs its position tree or its text")
        self.path = path
        self.data = data
        self._tree = tree
        self._text = text
        self._source: str | None = None
        self._digest: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"YamlDoc(path={self.path!r})"

    @property
    def tree(self) -> Pos:
        """The position tree: ``(line, col, kids)`` for the document's root node.

        Raises :class:`LookupError` for a :meth:`light` document whose file has
        changed (or gone) since it was read: its positions are no longer known.
        """
        tree = self._positions()
        if tree is None:
            raise LookupError(f"{self.path} has changed since it was read: its positions are no longer known")
        return tree

    def _positions(self) -> Pos | None:
        if self._tree is None:
            text = self._text if self._text is not None else self._read_again()
            if text is None:
                return None
            self._tree = _positions(text)
        return self._tree

    def _read_again(self) -> str | None:
        """The file's text if it is still the text this document was parsed from, else None."""
        assert self._source is not None and self._digest is not None
        try:
            text = read_user_text(self._source, max_bytes=MAX_BYTES, kind="yaml", error=YamlError)
        except YamlError:
            return None
        return text if (len(text), hash(text)) == self._digest else None

    @property
    def text(self) -> str | None:
        """The text the document was parsed from, if kept (a document built from a position tree alone has none)."""
        return self._text

    def light(self) -> YamlDoc:
        """This document without its data, positions or text.

        :meth:`locate` reads the file again on first use (by its absolute path,
        so a later change of folder does not matter). A file that has changed
        since gives no position rather than a wrong one: the text's length and
        hash are kept to tell. A suite of thousands of files keeps a few hundred
        bytes per file instead of the text's few KiB.
        """
        if self._text is None:
            return self
        doc = YamlDoc(self.path, None, text=self._text)
        doc._text = None
        doc._source = os.path.abspath(self.path)  # noqa: PTH100 - a tenth of Path.absolute()'s cost, per file
        doc._digest = (len(self._text), hash(self._text))
        return doc

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, int | None]:
        """Best 1-based (line, col) for a pydantic-style ``loc`` path.

        Walks down the tree as far as the path exists; a missing key reports
        the position of the mapping that should have held it. ``(None, None)``
        when the positions are no longer known (a :meth:`light` document whose
        file has changed).
        """
        tree = self._positions()
        if tree is None:
            return None, None
        line, col, kids = tree
        for part in loc:
            if isinstance(kids, dict) and isinstance(part, str) and part in kids:
                line, col, (_, _, next_kids) = kids[part]
                # the key's position, but walk on into its value
                kids = next_kids
            elif isinstance(kids, list) and isinstance(part, int) and 0 <= part < len(kids):
                line, col, kids = kids[part]
            else:
                continue  # pydantic adds union/tag names to loc; skip them
        return line, col


def _fail_line(exc: yaml.YAMLError, text: str) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    position = getattr(exc, "position", None)  # a ReaderError: a character offset
    if isinstance(position, int):
        before = text[:position]
        return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
    return None, None


def load_yaml_text(text: str, path: str = "<string>", *, positions: bool = False) -> YamlDoc:
    """Parse YAML text safely; see :func:`load_yaml` for what is refused.

    With ``positions`` the position tree is built at once, for a caller that will
    :meth:`~YamlDoc.locate` every item; otherwise it is built when first asked.
    """
    if len(text) > MAX_BYTES:
        raise YamlError(
            f"file is larger than {MAX_BYTES} bytes",
            code="yaml-too-large",
            path=path,
            hint="calfspec YAML files are small; split the file or check it is the right one",
        )
    parser: Any = None
    tree: Pos | None = None
    try:
        if not _C_COMPOSE or may_hold_anchor(text):
            parser = _Parser(text)  # the pure-Python reader checks the characters here
            data, tree = compose_events(parser)
        elif positions or "!" in text:  # a tag can only be written with "!"
            data, tree = compose_nodes(text)
        else:
            data = compose_plain_data(text)
    except Fail as exc:
        raise YamlError(
            exc.message,
            code=exc.code,
            path=path,
            line=exc.mark.line + 1,
            col=exc.mark.column + 1,
            hint=exc.hint,
        ) from None
    except yaml.MarkedYAMLError as exc:
        line, col = _fail_line(exc, text)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(
            f"YAML syntax error: {problem}",
            code="yaml-syntax",
            path=path,
            line=line,
            col=col,
            hint="check indentation (spaces, not tabs), quotes and colons near this line",
        ) from None
    except yaml.YAMLError as exc:
        line, col = _fail_line(exc, text)
        raise YamlError(
            f"YAML error: {exc}".splitlines()[0],
            code="yaml-syntax",
            path=path,
            line=line,
            col=col,
            hint="fix the YAML syntax (control characters are not allowed)",
        ) from None
    finally:
        if parser is not None:
            parser.dispose()
    return YamlDoc(path, data, tree, text=text)


def _positions(text: str) -> Pos:
    """The position tree of a text that has loaded once already (so it parses again, the same way)."""
    if not _C_COMPOSE or may_hold_anchor(text):
        parser = _Parser(text)
        try:
            return compose_events(parser)[1]
        finally:
            parser.dispose()
    return compose_nodes(text)[1]


def load_yaml(path: str | Path, *, positions: bool = False) -> YamlDoc:
    """Read and parse a YAML file safely.

    Refuses files over :data:`MAX_BYTES`, bytes that are not UTF-8, duplicate
    keys, anchors/aliases, nesting over :data:`MAX_DEPTH`, numbers over
    :data:`MAX_NUMBER_CHARS` characters, non-standard tags and syntax errors,
    each as a :class:`YamlError` that names the file and (where known) the line.
    """
    text = read_user_text(
        path,
        max_bytes=MAX_BYTES,
        kind="yaml",
        error=YamlError,
        large_hint="calfspec YAML files are small; check this is the right file",
    )
    return load_yaml_text(text, str(path), positions=positions)


def validation_problems(doc: YamlDoc, exc: ValidationError) -> Iterator[ValidationFailed]:
    """Turn each pydantic error into a positioned :class:`ValidationFailed`."""
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        line, col = doc.locate(loc)
        where = ".".join(str(p) for p in loc) or "(document)"
        yield ValidationFailed(
            f"{where}: {err.get('msg', 'invalid')}",
            path=doc.path,
            line=line,
            col=col,
            hint="compare the field with the JSON Schema in schemas/ (see `calfspec schema`)",
        )


def validate_doc(model: type[_M], doc: YamlDoc) -> _M:
    """Validate ``doc.data`` against ``model``; raise the first positioned error."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = list(validation_problems(doc, exc))
        first = problems[0]
        if len(problems) > 1:
            first.message += f" (and {len(problems) - 1} more problem(s) in this file)"
        raise first from None


def load_yaml_model(
    path: str | Path, model: type[_M], *, what: str, hint: str, positions: bool = False
) -> tuple[YamlDoc, _M] | list[InputError]:
    """Read a YAML file holding one mapping and validate it as ``model``.

    Returns the document and the model, or every positioned problem found
    (unsafe YAML, a top level that is not a mapping, schema violations), so
    loaders can report all files' problems at once. ``what`` and ``hint``
    word the not-a-mapping error (e.g. "a scenario file").
    """
    try:
        doc = load_yaml(path, positions=positions)
    except YamlError as exc:
        return [exc]
    return model_from_doc(doc, model, what=what, hint=hint)


def model_from_doc(doc: YamlDoc, model: type[_M], *, what: str, hint: str) -> tuple[YamlDoc, _M] | list[InputError]:
    """Validate a parsed document holding one mapping as ``model``: :func:`load_yaml_model` after the parse."""
    if not isinstance(doc.data, dict):
        return [
            ValidationFailed(
                f"{what} must be a mapping",
                code="schema-invalid",
                path=doc.path,
                line=1,
                col=1,
                hint=hint,
            )
        ]
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        return list(validation_problems(doc, exc))
