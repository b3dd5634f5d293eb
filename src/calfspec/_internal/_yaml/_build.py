"""Plain data and positions from libyaml's output, decided node by node.

:mod:`calfspec._internal._yaml` chooses a builder for each text; this module holds
the builders and the rules they share:

* :func:`compose_events` builds from the parser's events with an explicit stack.
  It reads any text, anchors included (to refuse them at their line), and is
  the only builder when PyYAML has no C extension;
* :func:`compose_nodes` walks the node tree libyaml's C composer built. It gives
  data and positions; :func:`compose_plain_data` gives the data alone, for texts
  with no tag at all (no ``!``), and is what most files go through. Neither is
  used on a text that may hold an anchor or alias (:func:`may_hold_anchor`):
  the C composer would follow an alias silently.

Plain scalars resolve as YAML 1.2 (core schema, as the files have always been
read): ``yes``/``no``/``on``/``off`` stay strings, ``010`` is ten, there are
no sexagesimal numbers; ISO dates and timestamps become ``date``/``datetime``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

import yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "Fail",
    "Pos",
    "compose_events",
    "compose_nodes",
    "compose_plain_data",
    "libyaml_limits_nesting",
    "may_hold_anchor",
]

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted; real files nest about six deep."""

MAX_NUMBER_CHARS = 64
"""Longest plain scalar read as a number. A 5,000-digit integer is refused here, at its line."""

Pos = tuple[int, int, Any]
"""A node's position: ``(line, col, kids)``, 1-based; ``kids`` is None for a scalar,
a ``{key: (key_line, key_col, child)}`` dict for a mapping, a list of children for a sequence."""


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
_NOT_TEXT = frozenset(_BOOL) | _NULL
"""Plain scalars not starting like a number that are not strings either."""
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


class Fail(Exception):
    """A refusal at a mark, turned into a :class:`~calfspec._internal.errors.YamlError` by the loader."""

    def __init__(self, message: str, code: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.mark, self.hint = message, code, mark, hint


_ALIAS_HINT = "write the value out in full; calfspec files do not use anchors"
_NO_KEY = object()

_PLAIN, _QUOTED, _COLLECTION = "calfspec:plain", "calfspec:quoted", "calfspec:collection"
"""What an untagged node resolves to: values are computed once, when the tree is walked."""


def _too_deep(mark: Any) -> Fail:
    return Fail(
        f"YAML nesting is deeper than {MAX_DEPTH} levels",
        "yaml-too-deep",
        mark,
        "calfspec files are shallow; this file looks generated or hostile",
    )


def _bad_tag(tag: str, mark: Any) -> Fail:
    return Fail(f"tag {tag} is not allowed", "yaml-tag", mark, "remove the tag; write plain data")


def _complex_key(mark: Any) -> Fail:
    return Fail("mapping keys must be plain scalars", "yaml-complex-key", mark, "write each key as a plain word")


def _duplicate_key(key: str, first_line: int, mark: Any) -> Fail:
    return Fail(
        f"duplicate key {key!r} (first at line {first_line})",
        "yaml-duplicate-key",
        mark,
        "each key may appear once per mapping; remove or rename the repeated key",
    )


def _scalar(tag: str, text: str, mark: Any) -> Any:
    """A scalar's value: ``tag`` is :data:`_PLAIN`, :data:`_QUOTED` or an explicit tag."""
    if tag is _QUOTED or tag == _QUOTED:  # quoted or block scalar without a tag: a string
        return text
    if tag != _PLAIN and tag not in _SCALAR_TAGS:
        raise _bad_tag(tag, mark)
    if (
        len(text) > MAX_NUMBER_CHARS
        and text[:1] in _NUMBER_START
        and tag != f"{_STD}str"
        and (_INT.fullmatch(text) or _FLOAT.fullmatch(text))
    ):
        # refused before int() would raise (over 4,300 digits) or spend quadratic time on it
        raise Fail(
            f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_CHARS})",
            "yaml-number-too-long",
            mark,
            "no calfspec field needs such a number; quote it if it is meant as text",
        )
    try:
        return _plain(text) if tag == _PLAIN else _tagged(tag, text)
    except ValueError as exc:
        raise Fail(f"invalid scalar: {exc}", "yaml-syntax", mark, "quote the value to make it text") from None


# --- the events builder: any text, anchors refused at their line -----------------------------


def _check_node_event(event: Any, depth: int) -> None:
    if event.anchor is not None:
        raise Fail(
            f"anchors and aliases are not allowed (&{event.anchor})", "yaml-alias", event.start_mark, _ALIAS_HINT
        )
    tag = event.tag
    if tag is not None and tag not in _COLLECTION_TAGS and not isinstance(event, yaml.ScalarEvent):
        raise _bad_tag(tag, event.start_mark)
    if depth > MAX_DEPTH:
        raise _too_deep(event.start_mark)


def _event_scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _PLAIN if event.implicit[0] else _QUOTED
    return _scalar(tag, event.value, event.start_mark)


def compose_events(parser: Any) -> tuple[Any, Pos]:
    """Build plain data and the position tree from the parser's events, with an explicit stack."""
    # Each frame: [container, kids, pending key or _NO_KEY, pending key position]
    stack: list[list[Any]] = []
    root: tuple[Any, Pos] | None = None
    documents = 0
    while parser.check_event():
        event = parser.get_event()
        if isinstance(event, yaml.StreamStartEvent | yaml.StreamEndEvent | yaml.DocumentEndEvent):
            continue
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise Fail(
                    "expected a single document, found another one",
                    "yaml-syntax",
                    event.start_mark,
                    "a calfspec file holds one document; remove the '---' line or split the file",
                )
            continue
        if isinstance(event, yaml.AliasEvent):
            raise Fail(
                f"anchors and aliases are not allowed (*{event.anchor})", "yaml-alias", event.start_mark, _ALIAS_HINT
            )
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = stack.pop()
            done: tuple[Any, Pos] = (frame[0], frame[4])
        else:
            _check_node_event(event, len(stack))
            mark = event.start_mark
            if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY:
                # a key: it must be a plain scalar
                if not isinstance(event, yaml.ScalarEvent):
                    raise _complex_key(mark)
                # A key is the text written: `1:` and `null:` are the keys "1" and "null".
                key = event.value
                frame = stack[-1]
                if key in frame[1]:
                    raise _duplicate_key(key, frame[1][key][0], mark)
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

_BEFORE_ANCHOR = "[]{},:?-\ufeff"
"""Besides white space, what may stand right before an anchor (``&a``) or an alias (``*a``)."""


def may_hold_anchor(text: str) -> bool:
    """False only when ``text`` can hold no anchor and no alias, so the C composer may read it.

    An anchor or alias is a ``&`` or ``*`` followed by a name character, right after the
    start of the text, white space or an indicator. Inside quotes or a comment the same
    characters are no anchor, but counting them too only costs speed, never safety.
    """
    for mark in "&*":
        i = text.find(mark)
        while i != -1:
            after = text[i + 1 : i + 2]
            if after and not after.isspace() and (i == 0 or text[i - 1].isspace() or text[i - 1] in _BEFORE_ANCHOR):
                return True
            i = text.find(mark, i + 1)
    return False


def libyaml_limits_nesting() -> bool:
    """Whether libyaml refuses deep nesting itself (0.2.5+), so its recursive C composer is safe to call."""
    if _CParser is None:
        return False
    parser = _CParser("[" * 2000)
    try:
        parser.get_single_node()
    except yaml.YAMLError as exc:
        return "nesting" in str(exc)
    finally:
        parser.dispose()
    return False


_CParser: Any = None
_CPlainParser: Any = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser

    class _TaggingCParser(CParser):  # type: ignore[misc]
        """libyaml's composer with the tag resolution left to :func:`compose_nodes` (no per-node Python resolver)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else _QUOTED
            return _COLLECTION

        def descend_resolver(self, *_: Any) -> None:
            return None

        def ascend_resolver(self, *_: Any) -> None:
            return None

    class _UntaggedCParser(CParser):  # type: ignore[misc]
        """libyaml's composer for a text without tags: nothing to resolve, so no Python call per node.

        ``"".format`` takes any arguments and returns ``""``: a C function that stands in for
        the resolver hooks. Without tags a scalar is plain exactly when its style is ``""``.
        """

        resolve = descend_resolver = ascend_resolver = "".format

    _CParser, _CPlainParser = _TaggingCParser, _UntaggedCParser

_ScalarNode, _MappingNode = yaml.ScalarNode, yaml.MappingNode


def _walk(node: Any, depth: int) -> tuple[Any, Pos]:
    """Plain data and positions from a composed node (no aliases: the text has no anchor)."""
    mark = node.start_mark
    kind = type(node)
    if kind is _ScalarNode:
        return _scalar(node.tag, node.value, mark), (mark.line + 1, mark.column + 1, None)
    if node.tag is not _COLLECTION and node.tag != _COLLECTION and node.tag not in _COLLECTION_TAGS:
        raise _bad_tag(node.tag, mark)
    if depth > MAX_DEPTH:
        raise _too_deep(mark)
    if kind is _MappingNode:
        data: dict[str, Any] = {}
        kids: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            if type(key_node) is not _ScalarNode:
                raise _complex_key(key_mark)
            key = key_node.value
            if key in kids:
                raise _duplicate_key(key, kids[key][0], key_mark)
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


def _compose_node(parser_class: Any, text: str) -> Any:
    parser = parser_class(text)
    try:
        return parser.get_single_node()
    finally:
        parser.dispose()


def compose_nodes(text: str) -> tuple[Any, Pos]:
    """Data and positions through the C composer (``text`` must not :func:`may_hold_anchor`)."""
    node = _compose_node(_CParser, text)
    if node is None:
        return None, (1, 1, None)
    return _walk(node, 0)


_intern = sys.intern
_INTERNED = 48
"""Keys, and string values up to this long, are interned: ids repeat across thousands of scenario files,
and a loaded suite keeps one copy of each instead of one per file."""


def _plain_value(node: Any) -> Any:
    # Untagged: a plain scalar resolves (YAML 1.2 core), any other style is a string.
    text = node.value
    if node.style != "" or (text[:1] not in _NUMBER_START and text not in _NOT_TEXT):
        return _intern(text) if len(text) <= _INTERNED else text
    return _scalar(_PLAIN, text, node.start_mark)


def _data(node: Any, depth: int) -> Any:
    """Plain data from a composed node of a text without tags or anchors; refusals as :func:`_walk`'s."""
    kind = type(node)
    if kind is _ScalarNode:
        return _plain_value(node)
    if depth > MAX_DEPTH:
        raise _too_deep(node.start_mark)
    if kind is _MappingNode:
        data: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not _ScalarNode:
                raise _complex_key(key_node.start_mark)
            key = _intern(key_node.value)
            if key in data:
                first = next(k for k, _ in node.value if type(k) is _ScalarNode and k.value == key)
                raise _duplicate_key(key, first.start_mark.line + 1, key_node.start_mark)
            data[key] = _plain_value(value_node) if type(value_node) is _ScalarNode else _data(value_node, depth + 1)
        return data
    return [_plain_value(item) if type(item) is _ScalarNode else _data(item, depth + 1) for item in node.value]


def compose_plain_data(text: str) -> Any:
    """The data alone through the C composer, for a text with no ``!`` that does not :func:`may_hold_anchor`.

    Positions are not built: the caller finds them again (:func:`compose_nodes`) if asked.
    """
    node = _compose_node(_CPlainParser, text)
    return None if node is None else _data(node, 0)
