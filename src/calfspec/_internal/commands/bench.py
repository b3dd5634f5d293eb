"""``calfspec bench``: take the benchmark's measurements and print them side by side.

The measurements live in :mod:`calfspec._internal.bench`; this module is the
command line over them.
"""

from __future__ import annotations

import click

from .._exit import ExitCode


@click.command("bench")
@click.option("--quick", is_flag=True, help="Fewer iterations: a rough figure in a few seconds (CI smoke runs).")
@click.option("--json", "as_json", is_flag=True, help="Also write the measurements as JSON to stdout.")
def bench(quick: bool, as_json: bool) -> None:
    """Measure the harness's cost against the implementation's own, side by side.

    \b
    From one run, each against a baseline measured in the same run:
      in-process   the python: adapter vs a bare loop calling the same function
      JSON lines   cases/s over cmd: (one long-running process) vs a process per case
      HTTP         wall time at concurrency 64 vs the ideal, server adding 50 ms
                   per request, beside a bare asyncio client against the same server
      whole suite  the golden suite against reference (in process, and as `calfspec run`)
      load         load and validate per scenario vs libyaml alone
      scale        10,000 generated scenarios vs the bundled run (time and peak memory)
      start-up     the cold start of `calfspec --help` vs `python -c pass`
      fuzz         invariant-search examples/s against reference

    The table goes to stderr. Missed targets are reported, never enforced: the
    exit status is 0 whatever the figures (a benchmark is not a timed test).

    \b
    Exit statuses:
      0  measured (whatever the figures)
      3  the benchmark itself failed (a bug)

    \b
    Examples:
      calfspec bench --quick
      calfspec bench --json > bench.json
    """
    import sys

    from ..bench.measure import run_benchmark
    from ..bench.output import render_table, to_json

    def progress(text: str) -> None:
        click.echo(f"bench: measuring {text} ...", err=True)

    measurements = run_benchmark(quick=quick, progress=progress)
    render_table(measurements, quick)
    if as_json:
        sys.stdout.write(to_json(measurements, quick) + "\n")
    sys.exit(ExitCode.OK)
