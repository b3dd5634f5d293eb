"""``calfspec bench``: run the benchmark in ``benchmarks/bench.py`` and print its table.

The measurement code lives with the benchmark's helper scripts (a trivial
JSON-lines implementation, a slow HTTP server) in ``benchmarks/``, so the same
code runs as ``python benchmarks/bench.py`` and as this command. The folder is
found like the other data folders: beside ``src/`` in a checkout, or as
package data in an installed wheel.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import cast

import click

from ..cli import EXIT_OK


def _bench_main() -> Callable[[Sequence[str]], int]:
    from ..errors import InputError
    from ..guideline import data_dir

    script = data_dir("benchmarks") / "bench.py"
    if not script.is_file():
        raise InputError(
            "the benchmark is not installed with this copy of calfspec",
            code="file-not-found",
            path=str(script),
            hint="run it from a source checkout or the sdist: python benchmarks/bench.py",
        )
    spec = importlib.util.spec_from_file_location("_calfspec_bench", script)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        raise InputError(f"cannot load {script}", code="file-not-found", path=str(script))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return cast("Callable[[Sequence[str]], int]", module.main)


@click.command("bench")
@click.option("--quick", is_flag=True, help="Fewer iterations: a rough figure in a few seconds (CI smoke runs).")
@click.option("--json", "as_json", is_flag=True, help="Also write the measurements as JSON to stdout.")
def bench(quick: bool, as_json: bool) -> None:
    """Measure the harness's cost against the implementation's own, side by side.

    \b
    From one run, each against a baseline measured in the same run:
      in-process   the python: adapter vs a bare loop calling the same function
      JSON lines   cases/s over cmd: (one long-running process) vs a process per case
      HTTP         wall time at concurrency 64 vs the ideal, server adding 50 ms per request
      whole suite  the golden suite against reference (in process, and as `calfspec run`)
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
    argv = [*(["--quick"] if quick else []), *(["--json"] if as_json else [])]
    status = _bench_main()(argv)
    sys.exit(status if status else EXIT_OK)
