"""Settings from ``calfspec.toml`` or ``[tool.calfspec]`` in ``pyproject.toml``.

The file is looked for in the current folder and then each parent, stopping at
the first ``calfspec.toml``, or ``pyproject.toml`` that has a ``[tool.calfspec]``
table (``calfspec --config FILE`` names one; ``--config none`` ignores them).
Keys, with the commands they apply to::

    impl = "cmd:node triage.mjs"           # run, fuzz, bench
    scenarios = "scenarios/cases"          # run
    guideline = "guideline"                # every command with --guideline
    reports = ["junit:out/junit.xml", "html:out/report.html"]   # run
    fail-on = "safety"                     # run
    concurrency = 8                        # run, bench
    timeout = 30                           # run, fuzz, bench
    repeat = 1                             # run
    max-rounds = 3                         # run, fuzz

Paths (``scenarios``, ``guideline``, a report's ``PATH``) are relative to the
folder of the file, so a setting means the same wherever calfspec is started.
A flag on the command line overrides the file. The values become the defaults
of click's options (``Context.default_map``), so they pass the same checks as
typed flags; before that this module checks them itself so that a bad value is
an :class:`~calfspec._internal.errors.InputError` (exit 4) naming ``file:line``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

__all__ = ["CONFIG_FILE", "SETTINGS", "Config", "Setting", "find_config", "load_config"]

CONFIG_FILE = "calfspec.toml"


def _str(value: object) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty string"


def _choice(*options: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value in options else "one of " + ", ".join(repr(o) for o in options)

    return check


def _int(lo: int, hi: int) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        return None if ok else f"a whole number from {lo} to {hi}"

    return check


def _number(lo: float, hi: float) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi
        return None if ok else f"a number of seconds from {lo:g} to {hi:g}"

    return check


def _reports(value: object) -> str | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return None
    return 'a list of "FORMAT:PATH" strings, e.g. ["junit:out/junit.xml"]'


@dataclass(frozen=True)
class Setting:
    """One key of the file: the click parameter it sets, on which commands, and its check."""

    key: str
    param: str
    commands: tuple[str, ...]
    check: Callable[[object], str | None]
    path: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("impl", "impl_spec", ("run", "fuzz", "bench"), _str),
    Setting("scenarios", "scenarios_path", ("run",), _str, path=True),
    Setting(
        "guideline", "guideline_dir", ("run", "check", "fuzz", "sources", "schema", "coverage", "ids"), _str, path=True
    ),
    Setting("reports", "reports", ("run",), _reports),
    Setting("fail-on", "fail_on", ("run",), _choice("safety", "quality")),
    Setting("concurrency", "concurrency", ("run", "bench"), _int(1, 1024)),
    Setting("timeout", "timeout", ("run", "fuzz", "bench"), _number(0.01, 3600)),
    Setting("repeat", "repeat", ("run",), _int(1, 1000)),
    Setting("max-rounds", "max_rounds", ("run", "fuzz"), _int(0, 20)),
)
"""Every key the file may hold."""

_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The settings read from one file, with the line each came from."""

    path: Path | None
    table: str = ""
    values: dict[str, object] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def origin(self, key: str) -> str:
        """``calfspec.toml:3`` for a key the file sets."""
        return f"{self.path}:{self.lines.get(key, 1)}"

    def default_map(self) -> dict[str, dict[str, object]]:
        """For :attr:`click.Context.default_map`: each command's parameter defaults from the file."""
        out: dict[str, dict[str, object]] = {}
        for key, value in self.values.items():
            s = _BY_KEY[key]
            for command in s.commands:
                out.setdefault(command, {})[s.param] = tuple(value) if isinstance(value, list) else value
        return out


def _has_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"(?m)^\s*\[\s*tool\s*\.\s*calfspec\s*\]", text) is not None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``calfspec.toml``, or ``pyproject.toml`` with ``[tool.calfspec]``, from ``start`` upwards."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
    return None


def _line_of(text: str, table: str, key: str) -> int:
    """The 1-based line where ``key`` is set inside ``table`` (tomllib keeps no positions)."""
    lines = text.splitlines()
    inside = table == ""
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table.split("."))) + r"\s*\]")
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("["):
            inside = bool(header.match(line)) if table else False
            continue
        if inside and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            return number
    return 1


def _resolve(value: object, base: Path, setting: Setting) -> object:
    if setting.path and isinstance(value, str):
        return str((base / value).resolve()) if not Path(value).is_absolute() else value
    if setting.key == "reports" and isinstance(value, list):
        out = []
        for spec in value:
            fmt, sep, target = str(spec).partition(":")
            if sep and target and target != "-" and not Path(target).is_absolute():
                target = str(base / target)
            out.append(f"{fmt}{sep}{target}")
        return out
    return value


def load_config(path: Path | None) -> Config:
    """Read and check the settings in ``path`` (``None``: no file, every value a default)."""
    if path is None:
        return Config(None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the configuration: {exc}", code="bad-config", path=str(path), hint="check the file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (None, None)
        if where is None and "end of document" in str(exc):
            rows = text.splitlines() or [""]
            line, col = len(rows), len(rows[-1]) + 1
        raise InputError(
            f"not valid TOML: {re.sub(r' [(]at (line|end of document).*', '', str(exc))}",
            code="bad-config",
            path=str(path),
            line=line,
            col=col,
            hint="see https://toml.io for the syntax",
        ) from None
    # pyproject.toml holds the settings under [tool.calfspec]; any other file (calfspec.toml, --config FILE) at the top.
    table = "tool.calfspec" if path.name == "pyproject.toml" else ""
    section: object = data if not table else data.get("tool", {}).get("calfspec", {})
    if not isinstance(section, dict):
        raise InputError(
            "[tool.calfspec] must be a table", code="bad-config", path=str(path), line=_line_of(text, "", "tool")
        )
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    for key, value in section.items():
        line = _line_of(text, table, key)
        setting = _BY_KEY.get(key)
        if setting is None:
            from ._suggest import suggest

            raise InputError(
                f"unknown setting {key!r}",
                code="bad-config",
                path=str(path),
                line=line,
                hint=suggest(key, _BY_KEY, listing="calfspec config") + "; settings: " + ", ".join(_BY_KEY),
            )
        problem = setting.check(value)
        if problem is not None:
            raise InputError(f"{key} must be {problem}, got {value!r}", code="bad-config", path=str(path), line=line)
        values[key] = _resolve(value, path.parent, setting)
        lines[key] = line
    return Config(path, table, values, lines)
