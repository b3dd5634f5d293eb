"""The CSV report: one row per trial, for spreadsheets and notebooks.

The columns are every plain field of :class:`~calfspec._internal.models.results.CaseResult`
in model order (so a field added to the model becomes a column without an edit
here), id lists joined with ``;``, then what the human reports derive: the
``[safety]``/``[quality]``/``[error]`` tag, how many levels under the range the
answer was, the failure kinds, the final decision's ids and the number of
rounds. Rows are in run order; sort in the spreadsheet.

A cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``,
tab or carriage return first) gets a leading ``'``: text from an
implementation must not run as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import Iterator

from ..guideline import GuidelineIndex
from ..models.results import CaseResult, RunResult
from ._common import case_tag, under_by

__all__ = ["case_columns", "render_csv"]

_DERIVED = ("tag", "under_by", "failure_kinds", "pathways", "advice", "decision_conditions", "questions", "rounds")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(annotation: object) -> bool:
    """A scalar, enum or a tuple of them: something that fits in one cell."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _plain(typing.get_args(annotation)[0])
    if origin is tuple:
        return all(_plain(a) for a in typing.get_args(annotation) if a is not Ellipsis)
    if origin is not None:  # a union such as `str | None`
        return all(_plain(a) for a in typing.get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, (str, int, float, type(None)))


def case_columns() -> tuple[str, ...]:
    """The CSV header: CaseResult's one-cell fields, then the derived columns."""
    fields = tuple(name for name, info in CaseResult.model_fields.items() if _plain(info.annotation))
    return (*fields, *_DERIVED)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(run: RunResult) -> Iterator[list[str]]:
    fields = case_columns()[: -len(_DERIVED)]
    for case in run.cases:
        d = case.decision
        derived: tuple[object, ...] = (
            case_tag(case),
            under_by(case),
            tuple(f.kind.value for f in case.failures),
            d.pathways if d is not None else None,
            d.advice if d is not None else None,
            d.conditions if d is not None else None,
            d.questions if d is not None else None,
            max(len(case.transcript), 1 if d is not None else 0),
        )
        yield [_cell(getattr(case, name)) for name in fields] + [_cell(v) for v in derived]


def render_csv(run: RunResult, guideline: GuidelineIndex) -> str:
    """The CSV document (RFC 4180 quoting, ``\\r\\n`` line ends, a header row)."""
    del guideline  # every column comes from the result itself
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(case_columns())
    writer.writerows(_rows(run))
    return buffer.getvalue()
