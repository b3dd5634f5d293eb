"""``calfspec report``: work with JSON results after a run (merge shards, re-render reports)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._options import guideline_option

if TYPE_CHECKING:
    from ..guideline import GuidelineIndex

__all__ = ["report"]

_REPORT_HELP = "Write a report: console, json, junit, md, html; PATH '-' is stdout (repeatable)."

_guideline_option = guideline_option(
    "Guideline folder for the source excerpts in human reports (default: the bundled one)."
)


@click.group("report")
def report() -> None:
    """Work with JSON results: merge shard results, re-render reports.

    \b
    Exit statuses: those of the subcommand (0 written, 4 an invalid result file or report path).

    \b
    Example:
      calfspec report render out/result.json --report html:out/report.html
    """


@report.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--report", "reports", multiple=True, metavar="FORMAT:PATH", help=_REPORT_HELP + " Default: json:-.")
@_guideline_option
def merge(shards: tuple[Path, ...], reports: tuple[str, ...], guideline_dir: Path | None) -> None:
    """Join the JSON results of `calfspec run --shard K/N` jobs into one result.

    The shards must share implementation, guideline, protocol and --repeat, and
    no scenario may be in two of them. The result is complete only if every
    shard is complete and all of 1/N..N/N are present.

    \b
    Exit statuses:
      0  merged and written (whatever the verdicts in it)
      4  a shard is missing or invalid, the shards do not fit together, or a report cannot be written

    \b
    Example:
      calfspec report merge shard-*.json --report json:all.json --report junit:junit.xml --report html:report.html
    """
    from ..compare import load_run_result
    from ..reports import parse_report_spec, write_report
    from ..reports.merge import merge_runs

    specs = [parse_report_spec(r) for r in (reports or ("json:-",))]
    merged = merge_runs([load_run_result(p) for p in shards], names=shards)
    for warning in merged.warnings:
        click.echo(f"warning: {warning}", err=True)
    guideline = _guideline(guideline_dir)
    for spec in specs:
        write_report(spec, merged.result, guideline)
    r = merged.result
    click.echo(
        f"merged {len(shards)} shard(s): {len({c.scenario_id for c in r.cases})} scenario(s), {len(r.cases)} trial(s)"
        + ("" if r.complete else ", incomplete"),
        err=True,
    )


@report.command("render")
@click.argument("result", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--report", "reports", multiple=True, required=True, metavar="FORMAT:PATH", help=_REPORT_HELP)
@_guideline_option
def render(result: Path, reports: tuple[str, ...], guideline_dir: Path | None) -> None:
    """Re-render a JSON result in other formats (metrics are recomputed from its cases).

    \b
    Exit statuses:
      0  written (whatever the verdicts in it)
      4  the result file is missing or invalid, or a report cannot be written

    \b
    Example:
      calfspec report render result.json --report html:report.html --report md:-
    """
    from ..compare import load_run_result
    from ..reports import parse_report_spec, write_report

    specs = [parse_report_spec(r) for r in reports]
    run = load_run_result(result)
    guideline = _guideline(guideline_dir)
    if (run.guideline_id, run.guideline_version) != (guideline.meta.id, guideline.meta.version):
        click.echo(
            f"warning: {result} is for guideline {run.guideline_id} {run.guideline_version}, "
            f"the loaded guideline is {guideline.meta.id} {guideline.meta.version}; excerpts may not match",
            err=True,
        )
    for spec in specs:
        write_report(spec, run, guideline)


def _guideline(path: Path | None) -> GuidelineIndex:
    from ..guideline import load_guideline

    return load_guideline(path)
