"""Safe YAML loading that keeps positions for error messages.

Guideline and scenario files are written by people, so a mistake must be named
by file and line. ruamel.yaml's round-trip loader keeps line/column on every
mapping and sequence and rejects duplicate keys; on top of it this module:

* refuses files over a size limit and bytes that are not UTF-8;
* refuses anchors and aliases, which no calfspec file needs and which make
  "billion laughs" alias bombs possible;
* converts the tree to plain ``dict``/``list``/scalars for pydantic, while the
  original tree stays available to map a validation error's ``loc`` back to a
  line and column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._io import read_user_text
from .errors import InputError, ValidationFailed, YamlError

__all__ = [
    "MAX_BYTES",
    "YamlDoc",
    "load_yaml",
    "load_yaml_model",
    "load_yaml_text",
    "validate_doc",
    "validation_problems",
]

MAX_BYTES = 5 * 1024 * 1024
"""Largest YAML file calfspec will read (5 MiB); real files are a few KiB."""

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document: plain data plus the positioned ruamel tree."""

    path: str
    data: Any
    tree: Any

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, int | None]:
        """Best 1-based (line, col) for a pydantic-style ``loc`` path.

        Walks down the tree as far as the path exists; a missing key reports
        the position of the mapping that should have held it.
        """
        node = self.tree
        line, col = _node_pos(node)
        for part in loc:
            pos: tuple[int | None, int | None] | None = None
            child: Any = None
            if isinstance(node, Mapping) and isinstance(part, str) and part in node:
                try:
                    kl, kc = node.lc.key(part)  # type: ignore[attr-defined]
                    pos = (kl + 1, kc + 1)
                except (AttributeError, KeyError, TypeError):
                    pos = None
                child = node[part]
            elif (
                isinstance(node, Sequence)
                and not isinstance(node, str)
                and isinstance(part, int)
                and 0 <= part < len(node)
            ):
                try:
                    il, ic = node.lc.item(part)  # type: ignore[attr-defined]
                    pos = (il + 1, ic + 1)
                except (AttributeError, KeyError, TypeError, IndexError):
                    pos = None
                child = node[part]
            else:
                continue  # pydantic adds union/tag names to loc; skip them
            if pos is not None:
                line, col = pos
            node = child
        return line, col


def _node_pos(node: Any) -> tuple[int | None, int | None]:
    lc = getattr(node, "lc", None)
    if lc is None or getattr(lc, "line", None) is None:
        return (1, 1)
    return (lc.line + 1, lc.col + 1)


def _make_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml_text(text: str, path: str = "<string>") -> YamlDoc:
    """Parse YAML text safely; see :func:`load_yaml` for what is refused."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(text) > MAX_BYTES:
        raise YamlError(
            f"file is larger than {MAX_BYTES} bytes",
            code="yaml-too-large",
            path=path,
            hint="calfspec YAML files are small; split the file or check it is the right one",
        )
    try:
        tree = _make_yaml().load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        raise YamlError(
            f"duplicate key: {(exc.problem or '').splitlines()[0]}",
            code="yaml-duplicate-key",
            path=path,
            line=mark.line + 1 if mark else None,
            col=mark.column + 1 if mark else None,
            hint="each key may appear once per mapping; remove or rename the repeated key",
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(
            f"YAML syntax error: {problem}",
            code="yaml-syntax",
            path=path,
            line=mark.line + 1 if mark else None,
            col=mark.column + 1 if mark else None,
            hint="check indentation (spaces, not tabs), quotes and colons near this line",
        ) from None
    except YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", code="yaml-syntax", path=path, hint="fix the YAML syntax") from None
    except RecursionError:
        raise YamlError(
            "YAML nesting is too deep",
            code="yaml-too-deep",
            path=path,
            hint="calfspec files are shallow; this file looks generated or hostile",
        ) from None
    data = _to_plain(tree, path, set(), 0)
    return YamlDoc(path=path, data=data, tree=tree)


def load_yaml(path: str | Path) -> YamlDoc:
    """Read and parse a YAML file safely.

    Refuses files over :data:`MAX_BYTES`, bytes that are not UTF-8, duplicate
    keys, anchors/aliases and syntax errors, each as a :class:`YamlError` that
    names the file and (where known) the line.
    """
    text = read_user_text(
        path,
        max_bytes=MAX_BYTES,
        kind="yaml",
        error=YamlError,
        large_hint="calfspec YAML files are small; check this is the right file",
    )
    return load_yaml_text(text, str(path))


_MAX_DEPTH = 64


def _to_plain(node: Any, path: str, seen: set[int], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise YamlError("YAML nesting is too deep", code="yaml-too-deep", path=path)
    anchor = getattr(node, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        line, col = _node_pos(node)
        raise YamlError(
            f"anchors and aliases are not allowed (&{anchor.value})",
            code="yaml-alias",
            path=path,
            line=line,
            col=col,
            hint="write the value out in full; calfspec files do not use anchors",
        )
    if isinstance(node, Mapping | list):
        if id(node) in seen:
            line, col = _node_pos(node)
            raise YamlError(
                "anchors and aliases are not allowed",
                code="yaml-alias",
                path=path,
                line=line,
                col=col,
                hint="write the value out in full; calfspec files do not use anchors",
            )
        seen.add(id(node))
    if isinstance(node, Mapping):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                line, col = _node_pos(node)
                raise YamlError(
                    "mapping keys must be plain scalars",
                    code="yaml-complex-key",
                    path=path,
                    line=line,
                    col=col,
                )
            out[str(key) if not isinstance(key, str) else key] = _to_plain(value, path, seen, depth + 1)
        return out
    if isinstance(node, list):
        return [_to_plain(v, path, seen, depth + 1) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    # dates and timestamps stay as they are; pydantic understands them
    return node


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
