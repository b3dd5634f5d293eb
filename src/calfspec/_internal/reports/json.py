"""The JSON report: the :class:`~calfspec._internal.models.results.RunResult` with its metrics filled in.

The document is versioned by ``kind`` and ``format_version`` and described by
``schemas/run-result.schema.json`` (generated from the model). It holds every
trial's request, decision, verdict, timing, raw reply and transcript, so
``calfspec compare`` and ``calfspec report`` can work from it alone.

A run of thousands of cases makes a document of tens of megabytes, so it is
never built as one string: :func:`write_json` writes it case by case (the same
bytes as :func:`render_json`), and :class:`JsonReportStream` appends each case
to a file beside the report as soon as it is judged, so that even a run killed
outright leaves every finished case on disk. Either way the report itself
appears atomically: a temporary file beside it, renamed over it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ..metrics import compute_metrics
from ..models.results import CaseResult, RunResult

if TYPE_CHECKING:
    from ..models.perturbation import PerturbationTable

__all__ = ["JsonReportStream", "render_json", "spool_path", "with_metrics", "write_json"]

_CASES_MARK = '\n  "cases": [],\n'


def with_metrics(run: RunResult) -> RunResult:
    """The run with ``metrics`` recomputed from its cases (a stored copy is never trusted)."""
    from ..error_kinds import count_error_kinds

    tables: tuple[PerturbationTable, ...] = ()
    if any(c.perturbation is not None for c in run.cases):  # the perturbation module is big: only when needed
        from ..perturb import perturbation_tables

        tables = perturbation_tables(run.cases)
    return run.model_copy(
        update={
            "metrics": compute_metrics(run),
            "perturbations": tables,
            "errors_by_kind": count_error_kinds(run.cases),
        }
    )


def render_json(run: RunResult) -> str:
    """The JSON document, indented, ending in a newline."""
    return with_metrics(run).model_dump_json(indent=2) + "\n"


def _case_block(case: CaseResult) -> str:
    """One case as it sits in the top-level ``cases`` list of ``model_dump_json(indent=2)``.

    Lone surrogates and registered secrets are removed, as ``encodable`` does for a whole run.
    """
    from . import encodable_json

    text = encodable_json(case, indent=2)[1]
    return "    " + text.replace("\n", "\n    ")


def _pieces(run: RunResult, stream: JsonReportStream | None = None) -> Iterator[str]:
    """The document of :func:`render_json`, in pieces of at most one case each.

    Cases ``stream`` already wrote are copied from its spool file, not serialised again.
    """
    # The same figures as with_metrics, on a copy without the cases (they are written one by one).
    from . import encodable

    # The shell (implementation name, metadata) is cleaned like any case: an implementation
    # can report a name with a lone surrogate or a secret in it.
    shell = encodable(with_metrics(run).model_copy(update={"cases": ()}))
    head_text = shell.model_dump_json(indent=2)
    if not run.cases:
        yield head_text + "\n"
        return
    if head_text.count(_CASES_MARK) != 1:  # pragma: no cover - the model's layout is fixed
        yield render_json(run)
        return
    head, tail = head_text.split(_CASES_MARK)
    yield head + '\n  "cases": [\n'
    last = len(run.cases) - 1
    for i, case in enumerate(run.cases):
        block = stream.block(case) if stream is not None else None
        yield (block if block is not None else _case_block(case)) + (",\n" if i < last else "\n")
    yield "  ],\n" + tail + "\n"


def write_json(target: str | Path | TextIO, run: RunResult, stream: JsonReportStream | None = None) -> None:
    """Write the JSON report of ``run`` to a path (atomically) or a stream, one case at a time.

    The bytes are those of :func:`render_json`; memory holds one case's text at
    a time instead of the whole document. With ``stream``, the cases it already
    spooled are copied from its file.
    """
    if not isinstance(target, str | Path):
        for piece in _pieces(run, stream):
            target.write(piece)
        target.flush()
        return
    from .._io import atomic_open

    with atomic_open(target, text=True) as out:
        for piece in _pieces(run, stream):
            out.write(piece)


def spool_path(report: str | Path) -> Path:
    """Where :class:`JsonReportStream` keeps the finished cases of a run writing ``report``."""
    path = Path(report)
    return path.with_name(f".{path.name}.cases.part")


class JsonReportStream:
    """The JSON report's cases, written to a spool file beside the report as each is judged.

    ``add`` serialises a case once, when it finishes, and appends it (flushed)
    to :func:`spool_path`; so a run killed outright still leaves every finished
    case on disk, each as it would appear in the report. :func:`write_json`
    then copies the spooled cases into the report in run order and the spool
    is removed by :meth:`close`. Memory keeps only each case's offset.
    """

    def __init__(self, report: str | Path) -> None:
        self.path = spool_path(report)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w+", encoding="utf-8", newline="\n")
        self._reader: BinaryIO | None = None
        self._where: dict[int, tuple[CaseResult, int, int]] = {}
        self._end = 0

    def add(self, case: CaseResult, *, kept: CaseResult | None = None) -> None:
        """Append one finished case to the spool.

        ``kept`` is what the run holds in the case's place, if not the case itself
        (a copy without its transcript): :meth:`block` then knows the case by that
        copy, and the stream holds no reference to the whole case.
        """
        block = _case_block(case)
        data = block + ",\n"
        self._fh.seek(0, os.SEEK_END)
        self._fh.write(data)
        self._fh.flush()
        size = len(data.encode("utf-8"))
        held = case if kept is None else kept
        self._where[id(held)] = (held, self._end, size - 2)
        self._end += size

    def block(self, case: CaseResult) -> str | None:
        """The spooled text of ``case`` (this very object, or the ``kept`` copy it was added with), or None."""
        found = self._where.get(id(case))
        if found is None or found[0] is not case:
            return None
        _, offset, size = found
        self._fh.flush()
        if self._reader is None:
            self._reader = self.path.open("rb")
        self._reader.seek(offset)
        return self._reader.read(size).decode("utf-8")

    def close(self) -> None:
        """Close and remove the spool (call once the report is written, or the run failed before it)."""
        if not self._fh.closed:
            self._fh.close()
        if self._reader is not None:
            self._reader.close()
        self.path.unlink(missing_ok=True)
