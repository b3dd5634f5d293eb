"""The conformance matrix: several implementations' results side by side (``calfspec matrix``).

Rows are scenarios (in the order they first appear), columns implementations,
and each cell the scenario's worst state over its trials in that result
(``pass``, ``quality``, ``error``, ``safety``, or ``—`` when the result does not
have the scenario) with the urgency given. A row *disagrees* when its cells are
not all the same state; those rows come first and are highlighted. Below the
matrix, each implementation's headline figures (the same ones every run report
shows, from :mod:`calfspec._internal.reports._common`) and Kopka et al.'s capability
comparison score across the set.

Renderers: HTML (self-contained like the run report, no script needed: the
disagreeing rows are marked in the markup), Markdown (a GFM table, sized for a
comment) and console text. Like the DMN TCK and Bowtie matrices, it reads only
JSON results, so implementations can run anywhere and be compared later.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..compare import State, case_state
from ..models.results import RunResult, Verdict
from ._common import Figure, build_view

if TYPE_CHECKING:
    from ..guideline import GuidelineIndex

__all__ = [
    "MATRIX_FORMATS",
    "MatrixCell",
    "MatrixColumn",
    "MatrixRow",
    "MatrixView",
    "build_matrix",
    "render_matrix",
]

_TAG = {State.PASS: "pass", State.QUALITY: "quality", State.ERROR: "error", State.SAFETY: "safety"}
_MD_MAX_CHARS = 60_000


@dataclass(frozen=True)
class MatrixCell:
    """One implementation's outcome on one scenario (``state`` None: not in that result)."""

    state: State | None
    given: str
    passed: int
    trials: int

    @property
    def tag(self) -> str:
        """``pass``, ``quality``, ``error``, ``safety`` or ``missing``."""
        return _TAG[self.state] if self.state is not None else "missing"

    @property
    def text(self) -> str:
        """``safety: self_care``, ``pass: urgent``, ``error``, ``—``; repeats add ``(2/3 passed)``."""
        if self.state is None:
            return "—"
        text = self.tag if self.state is State.ERROR else f"{self.tag}: {self.given}"
        if self.trials > 1:
            text += f" ({self.passed}/{self.trials} passed)"
        return text


@dataclass(frozen=True)
class MatrixRow:
    """A scenario across the implementations."""

    scenario_id: str
    expected: str
    red_flag: bool
    cells: tuple[MatrixCell, ...]

    @property
    def disagrees(self) -> bool:
        """Not every implementation ended in the same state (a missing scenario counts as different)."""
        return len({c.state for c in self.cells}) > 1


@dataclass(frozen=True)
class MatrixColumn:
    """One implementation: its result file, its figures, its verdict counts."""

    name: str
    path: str
    implementation: str
    status: str
    figures: tuple[Figure, ...]
    passed: int
    failed_safety: int
    failed_quality: int
    errors: int
    trials: int
    emergency_misses: int
    capability: float | None
    reported: str = ""
    """Self-reported name and version (a cmd: hello, or the model a chat endpoint named), with ``cached`` when
    any reply came from a response cache."""


@dataclass(frozen=True)
class MatrixView:
    """Everything a matrix report shows."""

    columns: tuple[MatrixColumn, ...]
    rows: tuple[MatrixRow, ...]
    guideline: str

    @property
    def disagreeing(self) -> int:
        """How many rows disagree."""
        return sum(1 for r in self.rows if r.disagrees)


def _names(results: list[tuple[Path, RunResult]]) -> list[str]:
    names = [r.implementation for _, r in results]
    # Two results of one implementation (e.g. two versions, or two models behind one name): tell them apart.
    return [f"{n} ({p.stem})" if names.count(n) > 1 else n for n, (p, _) in zip(names, results, strict=True)]


def _reported(run: RunResult) -> str:
    info = run.implementation_info
    if info is None:
        return ""
    text = " ".join(x for x in (info.name, info.version) if x)
    if info.cache_hits:
        text += f" (cached: {info.cache_hits} replies)"
    return text.strip()


def build_matrix(results: list[tuple[Path, RunResult]], guideline: GuidelineIndex) -> MatrixView:
    """Lay out the matrix; the disagreeing rows first, each group in first-appearance order."""
    from ..metrics import capability_comparison_scores, range_label

    names = _names(results)
    ccs = capability_comparison_scores({n: r for n, (_, r) in zip(names, results, strict=True)})
    columns = []
    for name, (path, run) in zip(names, results, strict=True):
        view = build_view(run, guideline)
        m = view.metrics
        columns.append(
            MatrixColumn(
                name=name,
                path=str(path),
                implementation=run.implementation,
                status=view.status,
                figures=view.figures,
                passed=m.passed,
                failed_safety=m.failed_safety,
                failed_quality=m.failed_quality,
                errors=m.errors,
                trials=m.trials,
                emergency_misses=len(view.emergency_misses),
                capability=ccs.get(name),
                reported=_reported(run),
            )
        )
    order: dict[str, tuple[str, bool]] = {}
    for _, run in results:
        for c in run.cases:
            order.setdefault(c.scenario_id, (range_label(c.expected_min, c.expected_max), bool(c.red_flags)))
    rows = []
    for sid, (expected, red_flag) in order.items():
        cells = []
        for _, run in results:
            trials = [c for c in run.cases if c.scenario_id == sid]
            if not trials:
                cells.append(MatrixCell(None, "", 0, 0))
                continue
            worst = max(trials, key=case_state)
            given = worst.given.value if worst.given is not None else "error"
            passed = sum(1 for c in trials if c.verdict is Verdict.PASS)
            cells.append(MatrixCell(case_state(worst), given, passed, len(trials)))
        rows.append(MatrixRow(sid, expected, red_flag, tuple(cells)))
    rows.sort(key=lambda r: not r.disagrees)
    label = ", ".join(sorted({f"{r.guideline_id} {r.guideline_version}" for _, r in results}))
    return MatrixView(tuple(columns), tuple(rows), label)


def _md_cell(text: str) -> str:
    from .markdown import md_text

    return md_text(text)


def render_matrix_markdown(view: MatrixView) -> str:
    """A GFM document: the per-implementation summary, then the matrix (disagreeing rows in bold)."""
    from .markdown import md_code

    out = [
        f"## calfspec conformance matrix: {len(view.columns)} implementation(s), {len(view.rows)} scenario(s)",
        "",
        f"Guideline {_md_cell(view.guideline)}. **{view.disagreeing}** scenario(s) where the implementations disagree"
        " are listed first, in bold.",
        "",
        "| Implementation | Self-reported | Status | Passed | Safety | Quality | Errors "
        "| Emergencies under-triaged | CCS |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in view.columns:
        ccs = "n/a" if c.capability is None else f"{c.capability:.3f}"
        out.append(
            f"| {md_code(c.name)} | {_md_cell(c.reported) or '–'} | {c.status} | {c.passed}/{c.trials} "
            f"| {c.failed_safety} | {c.failed_quality} | {c.errors} | {c.emergency_misses} | {ccs} |"
        )
    out += ["", "### Scores", "", "| Measure | " + " | ".join(md_code(c.name) for c in view.columns) + " |"]
    out.append("|---|" + "---:|" * len(view.columns))
    if view.columns:
        for i, f in enumerate(view.columns[0].figures):
            out.append(f"| {f.label} | " + " | ".join(c.figures[i].value for c in view.columns) + " |")
    out += ["", "### Matrix", "", "| Scenario | Expected | " + " | ".join(md_code(c.name) for c in view.columns) + " |"]
    out.append("|---|---|" + "---|" * len(view.columns))
    size = sum(len(line) + 1 for line in out)
    for n, row in enumerate(view.rows):
        cells = [_md_cell(c.text) for c in row.cells]
        if row.disagrees:
            cells = [f"**{c}**" for c in cells]
        line = f"| {md_code(row.scenario_id)} | {row.expected} | " + " | ".join(cells) + " |"
        if size + len(line) + 200 > _MD_MAX_CHARS:
            out += ["", f"*…and {len(view.rows) - n} more scenario(s); see the HTML matrix.*"]
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out).rstrip("\n") + "\n"


def render_matrix_console(view: MatrixView) -> str:
    """Plain text: one line per implementation, then the disagreeing rows."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, no_color=True, width=160, markup=False, highlight=False, emoji=False)
    summary = Table(title="Implementations", title_justify="left", show_edge=False)
    for column in ("implementation", "status", "passed", "safety", "quality", "errors", "emergencies under-triaged"):
        summary.add_column(column)
    for c in view.columns:
        summary.add_row(
            c.name,
            c.status,
            f"{c.passed}/{c.trials}",
            str(c.failed_safety),
            str(c.failed_quality),
            str(c.errors),
            str(c.emergency_misses),
        )
    console.print(summary)
    disagreeing = [r for r in view.rows if r.disagrees]
    console.print(f"{len(disagreeing)} of {len(view.rows)} scenario(s) disagree")
    if disagreeing:
        table = Table(show_edge=False)
        table.add_column("scenario")
        table.add_column("expected")
        for c in view.columns:
            table.add_column(c.name)
        for r in disagreeing:
            table.add_row(r.scenario_id, r.expected, *(c.text for c in r.cells))
        console.print(table)
    return buffer.getvalue()


def render_matrix_html(view: MatrixView) -> str:
    """The self-contained HTML matrix (no script; CSP forbids every fetch)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("calfspec._internal.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from .._version import __version__

    return env.get_template("matrix.html.j2").render(view=view, calfspec_version=__version__)


MATRIX_FORMATS = ("console", "md", "html")
"""The ``--report`` formats ``calfspec matrix`` writes."""


def render_matrix(fmt: str, view: MatrixView) -> str:
    """The matrix in ``fmt`` (one of :data:`MATRIX_FORMATS`)."""
    if fmt == "html":
        return render_matrix_html(view)
    if fmt == "md":
        return render_matrix_markdown(view)
    return render_matrix_console(view)
