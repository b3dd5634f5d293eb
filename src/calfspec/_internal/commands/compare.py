"""``calfspec compare BASELINE.json CURRENT.json``: the release gate between two runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._options import guideline_option

__all__ = ["compare"]


@click.command("compare")
@click.argument("baseline", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("current", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT:PATH",
    help="Also write the comparison: console, json or md; PATH '-' is stdout (repeatable).",
)
@guideline_option(
    "Guideline whose red-flag rules decide which scenarios are red-flag cases (default: the bundled one)."
)
def compare(baseline: Path, current: Path, reports: tuple[str, ...], guideline_dir: Path | None) -> None:
    """Compare two JSON results: regressions, moved scores, newly flaky cases.

    A scenario regresses when its worst trial got worse
    (pass < quality failure < error < safety failure). The summary goes to
    stderr; --report writes it elsewhere too.

    \b
    Exit statuses:
      0  no new safety failure, no new error on a red-flag scenario, and
         the current run is complete
      1  a new safety failure, a new error on a red-flag scenario, or an
         incomplete current run (interrupted, or a shard missing)
      4  a file is missing, not a calfspec result, or of another result format
    \b
    Example:
      calfspec compare main.json branch.json --report md:comparison.md
    """
    from .._exit import ExitCode
    from ..compare import compare_runs, load_run_result
    from ..reports import ReportFormat, parse_report_spec
    from ..reports.comparison import COMPARISON_FORMATS, write_comparison

    specs = [parse_report_spec(r) for r in reports]
    for spec in specs:
        if spec.format not in COMPARISON_FORMATS:
            from ..errors import InputError

            raise InputError(
                f"a comparison has no {spec.format.value} report",
                code="bad-report-spec",
                hint="use console, json or md with compare; for JUnit/HTML of a run use `calfspec report render`",
            )
    from ..guideline import load_guideline

    comparison = compare_runs(load_run_result(baseline), load_run_result(current), load_guideline(guideline_dir))
    if not any(s.format is ReportFormat.CONSOLE and s.path is None for s in specs):
        specs.insert(0, parse_report_spec("console"))  # the human summary on stderr
    for spec in specs:
        write_comparison(spec, comparison, stdout=sys.stdout, stderr=sys.stderr)
    sys.exit(ExitCode.FAILED if comparison.gate_failed else ExitCode.OK)
