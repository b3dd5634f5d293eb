"""``calfspec matrix``: several implementations' JSON results as one conformance matrix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._options import guideline_option


@click.command("matrix")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT:PATH",
    help="Write the matrix: html, md or console; PATH '-' is stdout (repeatable). "
    "A console summary goes to stderr as well unless -q.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@guideline_option("Guideline folder for the figures (default: the bundled guideline).")
def matrix(results: tuple[Path, ...], reports: tuple[str, ...], quiet: bool, guideline_dir: Path | None) -> None:
    """Lay several implementations' results side by side: scenarios x implementations.

    Each cell is that implementation's verdict on the scenario (its worst over
    repeats) and the urgency it gave; rows where the implementations disagree
    come first and are highlighted. Each implementation also gets its scores and
    the capability comparison score (Kopka et al.) across the set. RESULT files
    are written by `calfspec run --report json:FILE`.

    \b
    Exit statuses:
      0  the matrix was written (whatever the verdicts in it)
      4  a result file is missing or invalid, or a --report cannot be written

    \b
    Examples:
      calfspec matrix ref.json llm.json node.json --report html:out/matrix.html
      calfspec matrix results/*.json --report md:matrix.md
    """
    from ..compare import load_run_result
    from ..errors import InputError
    from ..guideline import load_guideline
    from ..reports import ReportFormat, atomic_write_text, check_target, parse_report_spec
    from ..reports.matrix import MATRIX_FORMATS, build_matrix, render_matrix

    specs = [parse_report_spec(r) for r in reports]
    for spec in specs:
        if spec.format.value not in MATRIX_FORMATS:
            raise InputError(
                f"a matrix has no {spec.format.value} report",
                code="bad-report-spec",
                hint="use html, md or console with matrix (e.g. --report html:matrix.html)",
            )
        check_target(spec)
    loaded = [(p, load_run_result(p)) for p in results]
    view = build_matrix(loaded, load_guideline(guideline_dir))
    for spec in specs:
        text = render_matrix(spec.format.value, view)
        if spec.path is None:
            stream = sys.stderr if spec.stderr else sys.stdout
            stream.write(text)
            stream.flush()
        else:
            atomic_write_text(spec.path, text)
            if not quiet:
                click.echo(f"wrote {spec.format.value} matrix {spec.path}", err=True)
    if not quiet and not any(s.format is ReportFormat.CONSOLE and s.path is None for s in specs):
        sys.stderr.write(render_matrix("console", view))
