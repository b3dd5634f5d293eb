"""The HTML report: one self-contained page that opens offline.

It is rendered from ``templates/report.html.j2`` (package data) with Jinja2
autoescaping on, so nothing from an implementation can become markup. The page
loads nothing: styles are inline, the confusion matrix is inline SVG whose
geometry is computed here, and a Content-Security-Policy forbids every external
fetch, so the file can be archived as a CI artifact and read years later.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..guideline import GuidelineIndex
from ..metrics import ERROR_COLUMN, range_label
from ..models.results import ConfusionMatrix, RunResult
from ..models.urgency import Urgency
from ._common import answer_text, build_view, case_name, case_status, pct

__all__ = ["MatrixCell", "MatrixLayout", "matrix_layout", "render_html"]

_CELL_W, _CELL_H, _LEFT, _TOP = 96, 40, 168, 56


@dataclass(frozen=True)
class MatrixCell:
    """One drawn cell: position, count, and how the given answer relates to the expected range."""

    x: int
    y: int
    count: int
    kind: str  # agree | under | over | error
    opacity: float
    row: str
    column: str


@dataclass(frozen=True)
class MatrixLayout:
    """Everything the template needs to draw the confusion matrix."""

    width: int
    height: int
    cell_w: int
    cell_h: int
    left: int
    top: int
    columns: tuple[tuple[int, str], ...]
    rows: tuple[tuple[int, str], ...]
    cells: tuple[MatrixCell, ...]


def matrix_layout(matrix: ConfusionMatrix) -> MatrixLayout:
    """Place every cell; shade by count relative to the largest cell, colour by agree/under/over/error."""
    biggest = max((n for row in matrix.rows for n in row.cells), default=0) or 1
    cells: list[MatrixCell] = []
    for r, row in enumerate(matrix.rows):
        for c, (column, count) in enumerate(zip(matrix.columns, row.cells, strict=True)):
            if column == ERROR_COLUMN:
                kind = "error"
            else:
                given = Urgency(column)
                kind = "under" if given < row.expected_min else "over" if given > row.expected_max else "agree"
            cells.append(
                MatrixCell(
                    x=_LEFT + c * _CELL_W,
                    y=_TOP + r * _CELL_H,
                    count=count,
                    kind=kind,
                    opacity=0.0 if count == 0 else round(0.25 + 0.75 * count / biggest, 3),
                    row=row.label,
                    column=column,
                )
            )
    return MatrixLayout(
        width=_LEFT + len(matrix.columns) * _CELL_W + 8,
        height=_TOP + max(len(matrix.rows), 1) * _CELL_H + 8,
        cell_w=_CELL_W,
        cell_h=_CELL_H,
        left=_LEFT,
        top=_TOP,
        columns=tuple((_LEFT + i * _CELL_W + _CELL_W // 2, col) for i, col in enumerate(matrix.columns)),
        rows=tuple((_TOP + i * _CELL_H + _CELL_H // 2, row.label) for i, row in enumerate(matrix.rows)),
        cells=tuple(cells),
    )


def render_html(run: RunResult, guideline: GuidelineIndex) -> str:
    """The HTML document."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("calfspec.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    view = build_view(run, guideline)
    template = env.get_template("report.html.j2")
    return template.render(
        view=view,
        run=run,
        m=view.metrics,
        matrix=matrix_layout(view.metrics.confusion),
        pct=pct,
        answer_text=answer_text,
        case_name=case_name,
        case_status=case_status,
        range_label=range_label,
        finished=len({c.scenario_id for c in run.cases}),
    )
