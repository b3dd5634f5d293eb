"""The benchmark's two outputs: the side-by-side table (stderr) and the JSON document (stdout)."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict

from .measurement import Measurement

BENCH_FORMAT_VERSION = "1"

MET, MISSED, INFORMATIONAL = "met", "missed", "n/a"
"""What the table's last column says of a row."""


def verdict(measurement: Measurement) -> str:
    """``met``, ``missed``, or ``n/a`` for an informational row."""
    if measurement.met is None:
        return INFORMATIONAL
    return MET if measurement.met else MISSED


def _figure(value: float, unit: str) -> str:
    if unit in ("cases/s", "/s"):
        return f"{value:,.0f} {unit}"
    if unit == "s":
        return f"{value:.3f} s"
    if unit in ("ms", "MB"):
        return f"{value:.0f} {unit}"
    return f"{value:.1f} {unit}"


def render_table(measurements: Sequence[Measurement], quick: bool) -> None:
    """The side-by-side table, on stderr (colour only on a terminal)."""
    from rich.console import Console
    from rich.table import Table

    # A pipe or a CI log is not a terminal: rich would assume 80 columns and fold every cell.
    console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)
    table = Table(title=f"calfspec bench{' --quick' if quick else ''}: harness cost against the implementation's own")
    for column in ("measurement", "harness", "baseline", "ratio", "target", "met"):
        # no_wrap on the titles: a reader (or grep) finds each row by its whole title on one line
        table.add_column(
            column,
            justify="right" if column in ("harness", "baseline", "ratio") else "left",
            no_wrap=column in ("measurement", "met"),
        )
    colour = {MET: "green", MISSED: "red", INFORMATIONAL: "dim"}
    for m in measurements:
        word = verdict(m)
        table.add_row(
            m.title,
            f"{_figure(m.harness, m.unit)}\n[dim]{m.harness_label}[/]",
            f"{_figure(m.baseline, m.unit)}\n[dim]{m.baseline_label}[/]",
            f"{m.ratio:.2f}x",
            m.target,
            f"[{colour[word]}]{word}[/]",
        )
    console.print(table)
    for m in measurements:
        if m.note:
            console.print(f"[dim]{m.title}: {m.note}[/]")
    missed = [m.title for m in measurements if m.met is False]
    if missed:
        # soft_wrap: one line however many rows missed, so logs and greps see it whole
        console.print(f"[yellow]targets missed: {', '.join(missed)}[/] (reported, not enforced)", soft_wrap=True)
    if quick:
        console.print("[dim]--quick: fewer iterations; figures are rougher[/]")


def to_json(measurements: Sequence[Measurement], quick: bool) -> str:
    """The machine-readable document: environment and every measurement."""
    document = {
        "kind": "calfspec-bench",
        "format_version": BENCH_FORMAT_VERSION,
        "quick": quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "measurements": [{**asdict(m), "ratio": m.ratio} for m in measurements],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
