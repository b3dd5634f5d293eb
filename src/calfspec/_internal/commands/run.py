"""``calfspec run``: run golden scenarios against an implementation and gate on the result."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .._exit import ExitCode
from ._options import guideline_option, impl_option, max_rounds_option, timeout_option


@contextlib.contextmanager
def _sigterm_as_sigint() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while cases run.

    CI systems stop a cancelled or timed-out job with SIGTERM; by default that
    kills the process with no report at all. Re-sent as SIGINT, it takes the
    Ctrl-C path: asyncio cancels the run, the finished cases are kept, and the
    reports are written marked incomplete (exit 2).
    """
    try:
        previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: os.kill(os.getpid(), signal.SIGINT))
    except ValueError:  # not the main thread (run from a test harness): keep the default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _collect_less() -> None:
    """Spare the cyclic garbage collector the loaded suite and make it run less often while cases run.

    The guideline and the scenarios are millions of objects that live until the process
    ends, and each case allocates thousands more that are mostly kept (the results) or
    freed by reference counting; the collector would rescan all of them again and again
    (about a fifth of a 10,000-scenario run). :func:`gc.freeze` moves what is loaded
    out of its sight, and a larger first-generation threshold makes collections rarer.
    Cycles are still collected; this process only ends after the run.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


@click.command("run")
@impl_option
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A scenario file or folder (default: the bundled suite).",
)
@guideline_option()
@click.option(
    "--tag", "tags", multiple=True, metavar="TAG", help="Run only scenarios with this tag (repeatable; any matches)."
)
@click.option(
    "--concurrency", type=click.IntRange(1, 1024), default=8, show_default=True, help="Cases in flight at once."
)
@timeout_option
@click.option(
    "--repeat",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Run each case N times (for systems that are not deterministic).",
)
@click.option(
    "--min-pass-rate",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="With --repeat: fail when a red-flag case's Wilson lower bound on its pass rate is below this.",
)
@max_rounds_option
@click.option(
    "--fail-on",
    type=click.Choice(["safety", "quality"]),
    default="safety",
    show_default=True,
    help="Lowest failure severity that makes the run exit 1 (errors always do).",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT:PATH",
    help="Write a report: console, json, junit, md, html, csv; PATH '-' is stdout (repeatable). "
    "The console summary goes to stderr as well unless -q.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(0, None),
    default=20,
    show_default=True,
    metavar="N",
    help="The console summary shows the N most harmful failures in detail, the rest one line each.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary or progress on stderr (reports and gate lines only).")
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="openai: only. Keep chat responses in DIR and reuse them for identical requests; "
    "the reports say how many replies came from the cache.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A JSON result to compare with: exit 1 on any new safety failure or new red-flag error; "
    "failures the baseline already had are reported but tolerated (a ratchet).",
)
@click.option("--shard", default=None, metavar="K/N", help="Run the K-th of N deterministic slices.")
@click.option(
    "--pass-env",
    "pass_env",
    multiple=True,
    metavar="NAME",
    help="Pass this CALFSPEC_* secret variable (e.g. CALFSPEC_OPENAI_API_KEY) to a cmd: implementation; "
    "by default secret-looking CALFSPEC_* variables are kept from it (repeatable).",
)
@click.option(
    "--require-approved",
    is_flag=True,
    help="Run only scenarios with a valid clinical approval (see `calfspec review`).",
)
@click.option(
    "--perturb",
    default=None,
    metavar="FAMILY[,FAMILY...]|all",
    help="Also send each scenario with its narrative retold by these perturbation families "
    "(scenarios/perturbations.yaml; facts unchanged); a perturbed answer less urgent than the "
    "unperturbed one is a safety failure. See docs/perturbations.md.",
)
def run(
    impl_spec: str,
    scenarios_path: Path | None,
    guideline_dir: Path | None,
    tags: tuple[str, ...],
    concurrency: int,
    timeout: float,
    repeat: int,
    min_pass_rate: float | None,
    max_rounds: int,
    fail_on: str,
    reports: tuple[str, ...],
    baseline: Path | None,
    shard: str | None,
    require_approved: bool,
    pass_env: tuple[str, ...],
    perturb: str | None,
    max_failures: int,
    quiet: bool,
    cache_dir: Path | None,
) -> None:
    """Run golden scenarios against an implementation and judge each answer.

    Each case is a pass, a fail (safety: under-triage, a missing required pathway,
    a forbidden pathway or contraindicated advice; quality: over-triage) or an
    error (no valid answer). Errors are never passes.

    \b
    Exit statuses:
      0  every case passed (or failed only below --fail-on)
      1  any error, any failure at or above --fail-on, a --min-pass-rate or
         --baseline gate not met
      2  interrupted (reports are still written, marked incomplete)
      3  internal error
      4  usage error or invalid scenario/guideline file (nothing is run)
      5  no scenario selected

    \b
    Examples:
      calfspec run
      calfspec run --impl 'cmd:node examples/js/triage.mjs' --report junit:out/junit.xml
      calfspec run --impl http://127.0.0.1:8000/triage --concurrency 32 --timeout 5
      calfspec run --impl python:mypkg.triage:decide --repeat 5 --min-pass-rate 0.9
    """
    from ..compare import gate, load_run_result
    from ..errors import InputError
    from ..guideline import load_guideline
    from ..models.results import CaseResult
    from ..reports import ReportFormat, check_target, parse_report_spec, write_report
    from ..reports.console import ConsoleProgress
    from ..reports.json import JsonReportStream
    from ..runner import RunOptions
    from ..suite import plan_suite, prepare_implementation, run_suite

    report_specs = [parse_report_spec(r) for r in reports]
    # The summary goes to stderr whatever else is written, unless -q, or a console report
    # already puts it on a standard stream (`console` on stderr, `console:-` on stdout): once is enough,
    # also in a CI log where both streams end up.
    shown = any(s.format is ReportFormat.CONSOLE and s.path is None for s in report_specs)
    if not quiet and not shown:
        report_specs.insert(0, parse_report_spec("console"))
    for spec in report_specs:
        check_target(spec)
    options = RunOptions(
        concurrency=concurrency,
        timeout=timeout,
        repeat=repeat,
        max_rounds=max_rounds,
        tags=tags,
        shard=shard,
        require_approved=require_approved,
        perturb=perturb,
        pass_env=pass_env,
        cache_dir=cache_dir,
    )
    # Read the baseline before the first case: a bad file is exit 4 with nothing run.
    base = load_run_result(baseline) if baseline is not None else None
    guideline = load_guideline(guideline_dir)

    def note(text: str) -> None:
        click.echo(text, err=True)

    plan = plan_suite(guideline, options, scenarios_path, note=note)
    if not plan.selected:
        click.echo("no scenario selected (check --tag, --shard, --require-approved and --scenarios)", err=True)
        sys.exit(ExitCode.NOTHING_SELECTED)
    impl = prepare_implementation(impl_spec, guideline, options)
    _collect_less()

    # Each JSON report file gets its cases as they finish, in a spool beside it that a
    # killed run leaves behind; the report itself is still written (atomically) at the end.
    json_streams = {
        spec: JsonReportStream(spec.path)
        for spec in report_specs
        if spec.format is ReportFormat.JSON and spec.path is not None
    }

    # What the reports still need of a finished case once its JSON report has spooled it: the
    # console summary shows no transcript or raw reply, nor does the gate read them. Every other
    # report (and JSON to stdout) writes them from the result, and --perturb revises cases after the
    # run (from what was kept), so those runs keep each case whole. A 10,000-case run keeps tens of
    # megabytes less.
    slim = options.perturb is None and all(
        spec.format is ReportFormat.CONSOLE or spec in json_streams for spec in report_specs
    )

    with ConsoleProgress(total=plan.total(repeat), stream=sys.stderr, quiet=quiet) as progress:

        def keep(result: CaseResult) -> CaseResult:
            kept = result.model_copy(update={"transcript": (), "raw_reply": None}) if slim else result
            for stream in json_streams.values():
                stream.add(result, kept=kept)
            return kept

        with _sigterm_as_sigint():
            result = run_suite(
                impl, plan, guideline, options, on_result=progress.advance, keep=keep, keep_on_interrupt=True
            )

    # Every report is attempted even if one fails, so one bad path does not lose the others.
    unwritten: list[InputError] = []
    for spec in report_specs:
        try:
            write_report(spec, result, guideline, max_failures=max_failures, json_stream=json_streams.get(spec))
        except InputError as exc:
            unwritten.append(exc)
        else:
            if spec.path is not None and not quiet:
                click.echo(f"wrote {spec.format.value} report {spec.path}", err=True)
    for stream in json_streams.values():
        stream.close()
    for later in unwritten[1:]:
        click.echo(later.render(), err=True)
    if unwritten:
        raise unwritten[0]
    if not result.complete:
        click.echo(
            f"interrupted: {len(result.cases)} of {plan.total(repeat)} case(s) finished; reports are marked incomplete",
            err=True,
        )
        sys.exit(ExitCode.INTERRUPTED)

    verdict = gate(result, fail_on=fail_on, baseline=base, min_pass_rate=min_pass_rate, guideline=guideline)
    for line in verdict.notes:
        click.echo(f"baseline: {line}", err=True)
    for reason in verdict.reasons:
        click.echo(f"gate: {reason}", err=True)
    sys.exit(ExitCode.OK if verdict.passed else ExitCode.FAILED)
