"""The HTML report: one self-contained page that opens offline.

It is rendered from ``templates/report.html.j2`` (package data) with Jinja2
autoescaping on, so nothing from an implementation can become markup. The page
loads nothing: styles are inline, the confusion matrix is inline SVG whose
geometry is computed here, and a Content-Security-Policy forbids every external
fetch, so the file can be archived as a CI artifact and read years later.

Every trial is an ``<article id="<scenario-id>">`` (``--rK`` for later
repeats) in harm order, with its conversation round by round. One inline
script (``templates/report.js``), allowed by its SHA-256 hash in the CSP and by
nothing else, adds filters (verdict, severity, tag, rule, condition, expected
and given urgency), search and sort; matrix cells and rule and condition rows
link to ``#filter?KEY=VALUE``, which it applies. Without JavaScript the page
shows every trial and reads the same.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib import resources

from ..guideline import GuidelineIndex
from ..metrics import ERROR_COLUMN, range_label
from ..models.results import ConfusionMatrix, RunResult
from ..models.urgency import Urgency
from ._common import (
    CaseView,
    ClaimEvidence,
    answer_text,
    build_view,
    case_name,
    case_status,
    implementation_notes,
    pct,
)

__all__ = ["Facets", "MatrixCell", "MatrixLayout", "csp_hash", "facets", "matrix_layout", "render_html"]

_CELL_W, _CELL_H, _LEFT, _TOP = 96, 40, 168, 56


@dataclass(frozen=True)
class MatrixCell:
    """One drawn cell: position, count, and how the given answer relates to the expected range."""

    x: int
    y: int
    count: int
    kind: str  # in_range | under | over | error
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
    """Place every cell; shade by count relative to the largest cell, colour by in_range/under/over/error."""
    biggest = max((n for row in matrix.rows for n in row.cells), default=0) or 1
    cells: list[MatrixCell] = []
    for r, row in enumerate(matrix.rows):
        for c, (column, count) in enumerate(zip(matrix.columns, row.cells, strict=True)):
            if column == ERROR_COLUMN:
                kind = "error"
            else:
                given = Urgency(column)
                kind = "under" if given < row.expected_min else "over" if given > row.expected_max else "in_range"
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


@dataclass(frozen=True)
class Facets:
    """The values the filters offer: only those some trial has, sorted."""

    tags: tuple[str, ...]
    rules: tuple[str, ...]
    conditions: tuple[str, ...]
    expected: tuple[str, ...]
    given: tuple[str, ...]


def facets(run: RunResult) -> Facets:
    """Collect the filter options from the trials."""
    order = {u.value: u.rank for u in Urgency}
    expected = {
        (c.expected_min.rank, c.expected_max.rank): range_label(c.expected_min, c.expected_max) for c in run.cases
    }
    return Facets(
        tags=tuple(sorted({t for c in run.cases for t in c.tags})),
        rules=tuple(sorted({r for c in run.cases for r in (*c.red_flags, *c.near_miss)})),
        conditions=tuple(sorted({x for c in run.cases for x in c.conditions})),
        expected=tuple(label for _, label in sorted(expected.items(), reverse=True)),
        given=tuple(
            sorted({c.given.value if c.given else ERROR_COLUMN for c in run.cases}, key=lambda g: -order.get(g, -1))
        ),
    )


def _pass_claims(cases: tuple[CaseView, ...]) -> tuple[ClaimEvidence, ...]:
    """Each claim a passing trial cites, once, in order of first citation."""
    seen: dict[str, ClaimEvidence] = {}
    for cv in cases:
        if not cv.lines:
            for ev in cv.evidence:
                seen.setdefault(ev.claim_id, ev)
    return tuple(seen.values())


def _script() -> str:
    return resources.files("calfspec._internal.reports").joinpath("templates", "report.js").read_text(encoding="utf-8")


def csp_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script: ``sha256-<base64>``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def render_html(run: RunResult, guideline: GuidelineIndex) -> str:
    """The HTML document."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("calfspec._internal.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from ._perturb import error_kind_rows, perturbation_rows

    view = build_view(run, guideline)
    template = env.get_template("report.html.j2")
    script = _script()
    return template.render(
        script=script,
        script_hash=csp_hash(script),
        facets=facets(run),
        implementation_notes=implementation_notes(run),
        pass_claims=_pass_claims(view.cases),
        view=view,
        run=run,
        perturbations=perturbation_rows(run),
        error_kinds=error_kind_rows(run),
        m=view.metrics,
        matrix=matrix_layout(view.metrics.confusion),
        pct=pct,
        answer_text=answer_text,
        case_name=case_name,
        case_status=case_status,
        range_label=range_label,
        finished=len({c.scenario_id for c in run.cases}),
    )
