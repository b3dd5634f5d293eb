"""Reports of a run: ``--report FORMAT:PATH`` parsing, dispatch, and atomic writing.

Formats:

* ``console``: the human summary (rich), colour only on a TTY; ``console``
  alone goes to stderr, ``console:-`` to stdout (like every other format), and
  ``console:FILE`` writes plain text with every failure in detail. ``calfspec
  run`` prints the summary to stderr anyway unless ``-q``.
* ``json``: the :class:`~calfspec._internal.models.results.RunResult` with its metrics,
  described by ``schemas/run-result.schema.json``;
* ``junit``: JUnit XML for GitLab and Jenkins;
* ``md`` (or ``markdown``): for a pull-request comment;
* ``html``: one self-contained page that opens offline;
* ``csv``: one row per trial, for spreadsheets and notebooks.

``PATH`` ``-`` means stdout. A file is written
to a temporary file in the same folder and moved into place with
:func:`os.replace`, so a reader never sees half a report, even after Ctrl-C.
The renderers in the submodules only build text; this module owns where it goes.

Text from implementations can hold lone surrogates (an exception message built
from undecodable bytes, a result file with a ``"\\ud800"`` escape). UTF-8 cannot
encode them, so every report would fail to write; :func:`encodable` replaces
them with U+FFFD before any renderer sees the run.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from .. import _io
from ..errors import InputError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..guideline import GuidelineIndex
    from ..models.results import RunResult
    from .json import JsonReportStream

__all__ = [
    "ReportFormat",
    "ReportSpec",
    "atomic_write_text",
    "check_target",
    "encodable",
    "encodable_json",
    "parse_report_spec",
    "render_report",
    "write_report",
]

_M = TypeVar("_M", bound="BaseModel")

_SURROGATE = re.compile("[\ud800-\udfff]")


class ReportFormat(StrEnum):
    """The report formats ``--report`` accepts."""

    CONSOLE = "console"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "md"
    HTML = "html"
    CSV = "csv"


_ALIASES = {"markdown": ReportFormat.MARKDOWN}
_HINT = (
    "write --report FORMAT:PATH with FORMAT one of console, json, junit, md, html, csv "
    "(e.g. junit:out/junit.xml, json:-)"
)


@dataclass(frozen=True)
class ReportSpec:
    """A parsed ``FORMAT:PATH``; ``path`` is None for a standard stream (stdout, or stderr for a bare ``console``)."""

    format: ReportFormat
    path: Path | None
    stderr: bool = False

    def __str__(self) -> str:
        if self.stderr:
            return self.format.value
        return f"{self.format.value}:{self.path if self.path is not None else '-'}"


def parse_report_spec(text: str) -> ReportSpec:
    """Parse ``FORMAT:PATH`` (``console`` alone is allowed); raise :class:`InputError` with a hint otherwise."""
    name, sep, path = text.partition(":")
    key = name.strip().lower()
    fmt = _ALIASES.get(key)
    if fmt is None:
        try:
            fmt = ReportFormat(key)
        except ValueError:
            raise InputError(
                f"unknown report format {name!r} in {text!r}", code="bad-report-spec", hint=_HINT
            ) from None
    if not sep:
        if fmt is ReportFormat.CONSOLE:
            return ReportSpec(fmt, None, stderr=True)
        raise InputError(f"report {text!r} has no PATH", code="bad-report-spec", hint=_HINT)
    if not path:
        raise InputError(f"report {text!r} has an empty PATH", code="bad-report-spec", hint=_HINT)
    return ReportSpec(fmt, None if path == "-" else Path(path))


def atomic_write_text(path: Path, text: str) -> None:
    """Write a report file atomically (:func:`calfspec._internal._io.atomic_write_text`); OS failures become InputError.

    Missing parent folders are created (CI recipes write to ``reports/``). On
    failure the temporary file is removed and the old file, if any, is untouched.
    """
    try:
        _io.atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(
            f"cannot write report: {exc.strerror or exc}",
            code="report-unwritable",
            path=str(path),
            hint="check that the folder is writable and the path is not a folder",
        ) from None


def check_target(spec: ReportSpec) -> None:
    """Raise the :class:`InputError` :func:`atomic_write_text` would raise, before any work is done.

    ``calfspec run`` calls this for every ``--report`` before the first case, so
    a typo in a report path costs a second, not a whole run whose results are
    then lost. A folder that does not exist yet is fine if it can be created.
    """
    if spec.path is None:
        return
    problem = None
    if spec.path.is_dir():
        problem = "the path is a folder"
    else:
        parent = spec.path.absolute().parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            problem = f"{parent} is not a folder"
        elif not os.access(parent, os.W_OK | os.X_OK):
            problem = f"the folder {parent} is not writable"
        else:
            # os.access says yes to root and knows nothing of read-only mounts or /proc:
            # try what the atomic write will do, a temporary file beside the target.
            import tempfile

            try:
                with tempfile.TemporaryFile(dir=parent, prefix=".calfspec-check-"):
                    pass
            except OSError as exc:
                problem = f"the folder {parent} is not writable ({exc.strerror or exc})"
    if problem is not None:
        raise InputError(
            f"cannot write report: {problem}",
            code="report-unwritable",
            path=str(spec.path),
            hint="check that the folder is writable and the path is not a folder",
        )


def _scrub(value: object) -> object:
    if isinstance(value, str):
        from .._secrets import redact

        # Every secret an adapter was given, in every form, whichever text carries it.
        return redact(_SURROGATE.sub("\ufffd", value))
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def encodable_json(model: _M, *, indent: int | None = None) -> tuple[_M, str]:
    """``model`` (or a cleaned copy: lone surrogates replaced by U+FFFD, held secrets removed) and its JSON text."""
    from pydantic_core import PydanticSerializationError

    from .._secrets import holding_secrets, redact

    try:
        # The fast path: serialising to JSON is exactly the check that fails on a surrogate.
        text = model.model_dump_json(indent=indent)
    except PydanticSerializationError:
        pass
    else:
        if not holding_secrets() or redact(text) == text:
            return model, text
        # Otherwise a secret an adapter holds is in it (echoed by a server or a child): remove it.
    clean = type(model).model_validate(_scrub(model.model_dump()))
    return clean, clean.model_dump_json(indent=indent)


def encodable(run: RunResult) -> RunResult:
    """``run`` itself if all its text encodes as UTF-8 and holds no secret, else a copy cleaned as :func:`_scrub` does.

    Checked a case at a time, so a run of thousands of cases is never one JSON string
    of tens of megabytes; only the parts that need it are cleaned (cleaning the rest
    would change nothing).
    """
    shell = run.model_copy(update={"cases": ()})
    clean_shell = encodable_json(shell)[0]
    cases = tuple(encodable_json(case)[0] for case in run.cases)
    if clean_shell is shell and all(a is b for a, b in zip(cases, run.cases, strict=True)):
        return run
    return clean_shell.model_copy(update={"cases": cases})


def render_report(
    fmt: ReportFormat, run: RunResult, guideline: GuidelineIndex, *, max_failures: int | None = None
) -> str:
    """The whole report as text (console is rendered without colour; ``max_failures`` applies to it only)."""
    run = encodable(run)
    if fmt is ReportFormat.JSON:
        from .json import render_json

        return render_json(run)
    if fmt is ReportFormat.JUNIT:
        from .junit import render_junit

        return render_junit(run)
    if fmt is ReportFormat.MARKDOWN:
        from .markdown import render_markdown

        return render_markdown(run, guideline)
    if fmt is ReportFormat.HTML:
        from .html import render_html

        return render_html(run, guideline)
    if fmt is ReportFormat.CSV:
        from .csv import render_csv

        return render_csv(run, guideline)
    from .console import render_console

    return render_console(run, guideline, max_failures=max_failures)


def write_report(
    spec: ReportSpec,
    run: RunResult,
    guideline: GuidelineIndex,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    max_failures: int | None = None,
    json_stream: JsonReportStream | None = None,
) -> None:
    """Write one report where ``spec`` says; ``stdout``/``stderr`` default to the process streams.

    ``max_failures`` limits the failures a console report shows in detail.
    ``json_stream`` holds the cases a JSON report already spooled as they finished.
    """
    if spec.format is ReportFormat.JSON:
        # Written case by case (each case cleaned as `encodable` would): a run of
        # thousands of cases never becomes one string of tens of megabytes.
        from .json import write_json

        target = spec.path if spec.path is not None else (stdout if stdout is not None else sys.stdout)
        write_json(target, run, json_stream)
        return
    run = encodable(run)
    if spec.path is None:
        if spec.format is ReportFormat.CONSOLE:
            from .console import print_summary

            stream = (stderr if stderr is not None else sys.stderr) if spec.stderr else stdout
            print_summary(run, guideline, stream if stream is not None else sys.stdout, max_failures=max_failures)
            return
        out = stdout if stdout is not None else sys.stdout
        out.write(render_report(spec.format, run, guideline))
        out.flush()
        return
    atomic_write_text(spec.path, render_report(spec.format, run, guideline))
