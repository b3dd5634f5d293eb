"""Safe YAML loading that keeps positions for error messages.

Guideline and scenario files are written by people, so a mistake must be named
by file and line. This module reads them through libyaml (PyYAML's C parser)
and builds the data itself from the parser's events, so it decides what is
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
tree that maps a validation error's ``loc`` back to a line and column. When
PyYAML was installed without its C extension the pure-Python parser produces
the same events, so every guarantee holds, only slower (:data:`LIBYAML` says
which one runs).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ._io import read_user_text
from .errors import InputError, ValidationFailed, YamlError

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
    "validate_doc",
    "validation_problems",
]

MAX_BYTES = 5 * 1024 * 1024
"""Largest YAML file calfspec will read (5 MiB); real files are a few KiB."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted; real files nest about six deep."""

MAX_NUMBER_CHARS = 64
"""Longest plain scalar read as a number. A 5,000-digit integer is refused here, at its line."""

_M = TypeVar("_M", bound=BaseModel)

_Pos = tuple[int, int, Any]
"""A node's position: ``(line, col, kids)``, 1-based; ``kids`` is None for a scalar,
a ``{key: (key_line, key_col, child)}`` dict for a mapping, a list of children for a sequence."""


class YamlDoc:
    """A parsed YAML document: plain data plus the position of every node.

    :meth:`light` gives a copy that keeps only the text and finds positions
    again when first asked: what a loader keeps for thousands of files.
    """

    __slots__ = ("_text", "_tree", "data", "path")

    def __init__(self, path: str, data: Any, tree: _Pos | None = None, *, text: str | None = None) -> None:
        if tree is None and text is None:
            raise ValueError("a YamlDoc needs its position tree or its text")
        self.path = path
        self.data = data
        self._tree = tree
        self._text = text

    def __repr__(self) -> str:
        return f"YamlDoc(path={self.path!r})"

    @property
    def tree(self) -> _Pos:
        """The position tree: ``(line, col, kids)`` for the document's root node."""
        if self._tree is None:
            assert self._text is not None
            self._tree = load_yaml_text(self._text, self.path)._tree
        assert self._tree is not None
        return self._tree

    def light(self) -> YamlDoc:
        """This document without its data or positions; :meth:`locate` parses the text again on first use."""
        return YamlDoc(self.path, None, text=self._text) if self._text is not None else self

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, int | None]:
        """Best 1-based (line, col) for a pydantic-style ``loc`` path.

        Walks down the tree as far as the path exists; a missing key reports
        the position of the mapping that should have held it.
        """
        line, col, kids = self.tree
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


# --- scalars: YAML 1.2 core schema, as ruamel.yaml read these files before -------------------

_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9_]+)")
_FLOAT = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?""",
    re.X,
)
_SPECIAL_FLOAT = {
    **{f"{sign}.{word}": float(f"{sign or '+'}inf") for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")},
    **{f".{word}": float("nan") for word in ("nan", "NaN", "NAN")},
}
_TIMESTAMP = re.compile(
    r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
     (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""",
    re.X,
)
_NUMBER_START = frozenset("0123456789+-.")
_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(f"{_STD}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp"))
_COLLECTION_TAGS = frozenset({"!", f"{_STD}map", f"{_STD}seq"})
_TIMESTAMPS = yaml.constructor.SafeConstructor()


def _int(text: str) -> int:
    body = text.replace("_", "")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    base = {"0b": 2, "0o": 8, "0x": 16}.get(body[:2], 10)
    # YAML 1.2: a leading zero is not octal ("010" is ten); only 0o is
    return sign * int(body[2:] if base != 10 else body, base)


def _timestamp(text: str) -> dt.date | dt.datetime:
    node = yaml.ScalarNode(f"{_STD}timestamp", text)
    value: dt.date | dt.datetime = _TIMESTAMPS.construct_yaml_timestamp(node)
    return value


def _plain(text: str) -> Any:
    """The value of an untagged plain scalar (YAML 1.2 core schema, plus timestamps)."""
    first = text[:1]
    if first in _NUMBER_START:
        if text in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[text]
        if _INT.fullmatch(text):
            return _int(text)
        if _FLOAT.fullmatch(text):
            return float(text.replace("_", ""))
        if _TIMESTAMP.fullmatch(text):
            return _timestamp(text)
        return text
    if first in "tTfF" and text in _BOOL:
        return _BOOL[text]
    if text in _NULL:
        return None
    return text


def _tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit standard tag (``!!str 12`` is the string "12")."""
    kind = tag[len(_STD) :]
    if kind == "str":
        return text
    value = _plain(text)
    expected: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (float, int),
        "bool": bool,
        "null": type(None),
        "timestamp": dt.date,
    }
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, expected[kind]) and (kind == "bool" or not isinstance(value, bool)):
        return value
    raise ValueError(f"{text!r} is not a valid !!{kind}")


# --- building data and positions from the parser's events ----------------------------------


class _Fail(Exception):
    """A refusal at a mark, turned into a :class:`YamlError` by :func:`load_yaml_text`."""

    def __init__(self, message: str, code: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.mark, self.hint = message, code, mark, hint


_ALIAS_HINT = "write the value out in full; calfspec files do not use anchors"
_NO_KEY = object()


def _check_node_event(event: Any, depth: int) -> None:
    if event.anchor is not None:
        raise _Fail(
            f"anchors and aliases are not allowed (&{event.anchor})", "yaml-alias", event.start_mark, _ALIAS_HINT
        )
    tag = event.tag
    if tag is not None and tag not in _COLLECTION_TAGS and not isinstance(event, yaml.ScalarEvent):
        raise _Fail(f"tag {tag} is not allowed", "yaml-tag", event.start_mark, "remove the tag; write plain data")
    if depth > MAX_DEPTH:
        raise _Fail(
            f"YAML nesting is deeper than {MAX_DEPTH} levels",
            "yaml-too-deep",
            event.start_mark,
            "calfspec files are shallow; this file looks generated or hostile",
        )


_PLAIN, _QUOTED, _COLLECTION = "calfspec:plain", "calfspec:quoted", "calfspec:collection"
"""What an untagged node resolves to: values are computed once, when the tree is walked."""


def _scalar(tag: str, text: str, mark: Any) -> Any:
    """A scalar's value: ``tag`` is :data:`_PLAIN`, :data:`_QUOTED` or an explicit tag."""
    if tag is _QUOTED or tag == _QUOTED:  # quoted or block scalar without a tag: a string
        return text
    if tag != _PLAIN and tag not in _SCALAR_TAGS:
        raise _Fail(f"tag {tag} is not allowed", "yaml-tag", mark, "remove the tag; write plain data")
    if (
        len(text) > MAX_NUMBER_CHARS
        and text[:1] in _NUMBER_START
        and tag != f"{_STD}str"
        and (_INT.fullmatch(text) or _FLOAT.fullmatch(text))
    ):
        # refused before int() would raise (over 4,300 digits) or spend quadratic time on it
        raise _Fail(
            f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_CHARS})",
            "yaml-number-too-long",
            mark,
            "no calfspec field needs such a number; quote it if it is meant as text",
        )
    try:
        return _plain(text) if tag == _PLAIN else _tagged(tag, text)
    except ValueError as exc:
        raise _Fail(f"invalid scalar: {exc}", "yaml-syntax", mark, "quote the value to make it text") from None


def _event_scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _PLAIN if event.implicit[0] else _QUOTED
    return _scalar(tag, event.value, event.start_mark)


def _compose(parser: Any) -> tuple[Any, _Pos]:
    """Build plain data and the position tree from the parser's events, with an explicit stack."""
    # Each frame: [container, kids, pending key or _NO_KEY, pending key position]
    stack: list[list[Any]] = []
    root: tuple[Any, _Pos] | None = None
    documents = 0
    while parser.check_event():
        event = parser.get_event()
        if isinstance(event, yaml.StreamStartEvent | yaml.StreamEndEvent | yaml.DocumentEndEvent):
            continue
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Fail(
                    "expected a single document, found another one",
                    "yaml-syntax",
                    event.start_mark,
                    "a calfspec file holds one document; remove the '---' line or split the file",
                )
            continue
        if isinstance(event, yaml.AliasEvent):
            raise _Fail(
                f"anchors and aliases are not allowed (*{event.anchor})", "yaml-alias", event.start_mark, _ALIAS_HINT
            )
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = stack.pop()
            done: tuple[Any, _Pos] = (frame[0], frame[4])
        else:
            _check_node_event(event, len(stack))
            mark = event.start_mark
            if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY:
                # a key: it must be a plain scalar
                if not isinstance(event, yaml.ScalarEvent):
                    raise _Fail(
                        "mapping keys must be plain scalars",
                        "yaml-complex-key",
                        mark,
                        "write each key as a plain word",
                    )
                # A key is the text written: `1:` and `null:` are the keys "1" and "null".
                key = event.value
                frame = stack[-1]
                if key in frame[1]:
                    first_line = frame[1][key][0]
                    raise _Fail(
                        f"duplicate key {key!r} (first at line {first_line})",
                        "yaml-duplicate-key",
                        mark,
                        "each key may appear once per mapping; remove or rename the repeated key",
                    )
                frame[2] = key
                frame[3] = (mark.line + 1, mark.column + 1)
                continue
            pos_line, pos_col = mark.line + 1, mark.column + 1
            if isinstance(event, yaml.ScalarEvent):
                done = (_event_scalar(event), (pos_line, pos_col, None))
            elif isinstance(event, yaml.MappingStartEvent):
                kids: dict[str, Any] = {}
                stack.append([{}, kids, _NO_KEY, None, (pos_line, pos_col, kids)])
                continue
            else:  # SequenceStartEvent
                items: list[Any] = []
                stack.append([[], items, None, None, (pos_line, pos_col, items)])
                continue
        value, pos = done
        if not stack:
            root = (value, pos)
            continue
        parent = stack[-1]
        if isinstance(parent[0], dict):
            key = parent[2]
            parent[0][key] = value
            parent[1][key] = (*parent[3], pos)
            parent[2] = _NO_KEY
        else:
            parent[0].append(value)
            parent[1].append(pos)
    return root if root is not None else (None, (1, 1, None))


# --- the fast path: libyaml composes the node tree in C, Python walks it once ----------------


def _libyaml_limits_nesting() -> bool:
    """Whether libyaml refuses deep nesting itself (0.2.5+), so its recursive C composer is safe to call."""
    if not LIBYAML:
        return False
    parser = _CParser("[" * 2000)
    try:
        parser.get_single_node()
    except yaml.YAMLError as exc:
        return "nesting" in str(exc)
    finally:
        parser.dispose()
    return False


if LIBYAML:
    from yaml.cyaml import CParser

    class _CParser(CParser):  # type: ignore[misc]
        """libyaml's composer with the tag resolution left to :func:`_walk` (no per-node Python resolver)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else _QUOTED
            return _COLLECTION

        def descend_resolver(self, *_: Any) -> None:
            return None

        def ascend_resolver(self, *_: Any) -> None:
            return None


_C_COMPOSE = _libyaml_limits_nesting()
"""Use the C composer for files without anchors or aliases (the event builder handles the rest)."""

_ScalarNode, _MappingNode = yaml.ScalarNode, yaml.MappingNode


def _walk(node: Any, depth: int) -> tuple[Any, _Pos]:
    """Plain data and positions from a composed node (no aliases: the text has no ``*``)."""
    mark = node.start_mark
    kind = type(node)
    if kind is _ScalarNode:
        return _scalar(node.tag, node.value, mark), (mark.line + 1, mark.column + 1, None)
    if node.tag is not _COLLECTION and node.tag != _COLLECTION and node.tag not in _COLLECTION_TAGS:
        raise _Fail(f"tag {node.tag} is not allowed", "yaml-tag", mark, "remove the tag; write plain data")
    if depth > MAX_DEPTH:
        raise _Fail(
            f"YAML nesting is deeper than {MAX_DEPTH} levels",
            "yaml-too-deep",
            mark,
            "calfspec files are shallow; this file looks generated or hostile",
        )
    if kind is _MappingNode:
        data: dict[str, Any] = {}
        kids: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            if type(key_node) is not _ScalarNode:
                raise _Fail(
                    "mapping keys must be plain scalars", "yaml-complex-key", key_mark, "write each key as a plain word"
                )
            key = key_node.value
            if key in kids:
                raise _Fail(
                    f"duplicate key {key!r} (first at line {kids[key][0]})",
                    "yaml-duplicate-key",
                    key_mark,
                    "each key may appear once per mapping; remove or rename the repeated key",
                )
            data[key], child = _walk(value_node, depth + 1)
            kids[key] = (key_mark.line + 1, key_mark.column + 1, child)
        return data, (mark.line + 1, mark.column + 1, kids)
    items: list[Any] = []
    positions: list[Any] = []
    for item in node.value:
        value, child = _walk(item, depth + 1)
        items.append(value)
        positions.append(child)
    return items, (mark.line + 1, mark.column + 1, positions)


def _compose_c(text: str) -> tuple[Any, _Pos]:
    parser = _CParser(text)
    try:
        node = parser.get_single_node()
    finally:
        parser.dispose()
    if node is None:
        return None, (1, 1, None)
    return _walk(node, 0)


def _fail_line(exc: yaml.YAMLError, text: str) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    position = getattr(exc, "position", None)  # a ReaderError: a character offset
    if isinstance(position, int):
        before = text[:position]
        return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
    return None, None


def load_yaml_text(text: str, path: str = "<string>") -> YamlDoc:
    """Parse YAML text safely; see :func:`load_yaml` for what is refused."""
    if len(text) > MAX_BYTES:
        raise YamlError(
            f"file is larger than {MAX_BYTES} bytes",
            code="yaml-too-large",
            path=path,
            hint="calfspec YAML files are small; split the file or check it is the right one",
        )
    parser: Any = None
    try:
        if _C_COMPOSE and "*" not in text and "&" not in text:
            # no anchor or alias can be written without these characters
            data, tree = _compose_c(text)
        else:
            parser = _Parser(text)  # the pure-Python reader checks the characters here
            data, tree = _compose(parser)
    except _Fail as exc:
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


def load_yaml(path: str | Path) -> YamlDoc:
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
    return load_yaml_text(text, str(path))


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
    path: str | Path, model: type[_M], *, what: str, hint: str
) -> tuple[YamlDoc, _M] | list[InputError]:
    """Read a YAML file holding one mapping and validate it as ``model``.

    Returns the document and the model, or every positioned problem found
    (unsafe YAML, a top level that is not a mapping, schema violations), so
    loaders can report all files' problems at once. ``what`` and ``hint``
    word the not-a-mapping error (e.g. "a scenario file").
    """
    try:
        doc = load_yaml(path)
    except YamlError as exc:
        return [exc]
    if not isinstance(doc.data, dict):
        return [
            ValidationFailed(
                f"{what} must be a mapping",
                code="schema-invalid",
                path=str(path),
                line=1,
                col=1,
                hint=hint,
            )
        ]
    try:
        return doc, model.model_validate(doc.data)
    except ValidationError as exc:
        return list(validation_problems(doc, exc))
