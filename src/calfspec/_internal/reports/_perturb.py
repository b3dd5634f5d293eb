"""The narrative perturbation table (``calfspec run --perturb``) and the errors by kind, as the human reports show them.

The figures come from :func:`calfspec._internal.perturb.perturbation_tables` and
:func:`calfspec._internal.error_kinds.count_error_kinds`, computed from the cases exactly as
the JSON report carries them; this module only words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..perturb import perturbation_tables

if TYPE_CHECKING:
    from rich.console import Console

    from ..models.perturbation import PerturbationTable
    from ..models.results import RunResult

__all__ = [
    "PerturbationRow",
    "error_kind_rows",
    "markdown_lines",
    "perturbation_rows",
    "print_error_kinds",
    "print_perturbations",
]


@dataclass(frozen=True)
class PerturbationRow:
    """One family, worded."""

    family: str
    pairs: str
    drops: str
    drop_rate: str
    odds_ratio: str
    p_value: str
    dropped_emergencies: tuple[str, ...]
    failing: bool


def _num(value: float | None) -> str:
    if value is None:
        return "inf"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def _row(t: PerturbationTable) -> PerturbationRow:
    if t.odds_ratio is None:
        ratio = "- (no discordant pair)"
    else:
        ratio = f"{_num(t.odds_ratio)} (95% CI {_num(t.ci_low)}-{_num(t.ci_high)})"
    return PerturbationRow(
        family=t.family,
        pairs=f"{t.pairs}" + (f" (+{t.errors} with an error)" if t.errors else ""),
        drops=f"{t.drops} down, {t.rises} up",
        drop_rate="-" if t.drop_rate is None else f"{t.drop_rate:.1%}",
        odds_ratio=ratio,
        p_value="-" if t.p_value is None else f"{t.p_value:.3g}",
        dropped_emergencies=tuple(
            f"{d.scenario_id} (repeat {d.repeat}): {d.unperturbed.value} -> {d.perturbed.value}"
            for d in t.dropped_emergencies
        ),
        failing=t.drops > 0,
    )


def perturbation_rows(run: RunResult) -> list[PerturbationRow]:
    """One worded row per perturbation family in the run (empty without ``--perturb``)."""
    return [_row(t) for t in perturbation_tables(run.cases)]


def print_perturbations(run: RunResult, console: Console) -> None:
    """The per-family table and the emergencies that dropped; nothing when the run had no perturbation."""
    rows = perturbation_rows(run)
    if not rows:
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title="Narrative perturbations (perturbed vs unperturbed answer, same facts)",
        title_justify="left",
        show_edge=False,
    )
    for name, justify in (
        ("family", "left"),
        ("pairs", "right"),
        ("less / more urgent", "right"),
        ("drop rate", "right"),
        ("odds ratio of a less urgent answer", "right"),
        ("McNemar p", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            Text(r.family, style="bold red" if r.failing else ""),
            r.pairs,
            Text(r.drops, style="bold red" if r.failing else ""),
            r.drop_rate,
            r.odds_ratio,
            r.p_value,
        )
    console.print(table)
    for r in rows:
        for line in r.dropped_emergencies:
            console.print(Text(f"  emergency dropped under {r.family}: {line}", style="bold red"))


def error_kind_rows(run: RunResult) -> list[tuple[str, int]]:
    """(kind, errored trials) for every kind that occurred, in report order."""
    from ..error_kinds import count_error_kinds

    return list(count_error_kinds(run.cases).items())


def print_error_kinds(run: RunResult, console: Console) -> None:
    """One line splitting the errors by kind (unparseable, schema, refusal, ..., extraction); nothing without errors."""
    rows = error_kind_rows(run)
    if not rows:
        return
    from rich.text import Text

    console.print(Text("Errors by kind: " + ", ".join(f"{kind} {n}" for kind, n in rows), style="bold magenta"))


def markdown_lines(run: RunResult) -> list[str]:
    """The perturbation table and the errors by kind as Markdown (empty when there is neither)."""
    from .markdown import md_code, md_text

    out: list[str] = []
    kinds = error_kind_rows(run)
    if kinds:
        out += ["### Errors by kind", "", "| Kind | Trials |", "|---|---:|"]
        out += [f"| {md_code(kind)} | {n} |" for kind, n in kinds]
        out.append("")
    rows = perturbation_rows(run)
    if rows:
        out += [
            "### Narrative perturbations (perturbed vs unperturbed answer, same facts)",
            "",
            "| Family | Pairs | Less / more urgent | Drop rate | Odds ratio of a less urgent answer | McNemar p |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            family = f"**{md_code(r.family)}**" if r.failing else md_code(r.family)
            out.append(f"| {family} | {r.pairs} | {r.drops} | {r.drop_rate} | {md_text(r.odds_ratio)} | {r.p_value} |")
        out.append("")
        out += [
            f"- emergency dropped under {md_code(r.family)}: {md_text(line)}"
            for r in rows
            for line in r.dropped_emergencies
        ]
        if out[-1] != "":
            out.append("")
    return out
