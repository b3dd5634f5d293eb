"""``calfspec ids``: every id an implementation may send or receive, with its label, question and urgency."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._options import guideline_option

if TYPE_CHECKING:
    from ..guideline import GuidelineIndex

KINDS = ("finding", "pathway", "advice", "condition", "rule")


@dataclass(frozen=True)
class IdEntry:
    """One id as listed: which vocabulary it is in, its words, and its urgency where it has one."""

    kind: str
    id: str
    label: str
    question: str | None = None
    urgency: str | None = None
    detail: str | None = None


def id_entries(guideline: GuidelineIndex, kinds: tuple[str, ...] = KINDS) -> list[IdEntry]:
    """Every id of the given kinds, in guideline order."""
    g = guideline.guideline
    out: list[IdEntry] = []
    if "finding" in kinds:
        out += [IdEntry("finding", f.id, f.label, f.question, None, f.kind.value) for f in g.findings]
    if "pathway" in kinds:
        out += [IdEntry("pathway", p.id, p.title, None, p.urgency.value) for p in g.pathways]
    if "advice" in kinds:
        out += [IdEntry("advice", a.id, a.title, None, None, a.kind.value) for a in g.advice]
    if "condition" in kinds:
        out += [IdEntry("condition", c.id, c.name, None, None, "serious" if c.serious else None) for c in g.conditions]
    if "rule" in kinds:
        out += [IdEntry("rule", r.id, r.title, None, r.urgency.value, r.kind.value) for r in g.rules]
    return out


@click.command("ids")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(KINDS),
    help="Only ids of this kind (repeatable; default: every kind).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of {kind, id, label, question, urgency, detail}."
)
@guideline_option("Guideline folder whose ids to list (default: the bundled guideline).")
def ids(kinds: tuple[str, ...], as_json: bool, guideline_dir: Path | None) -> None:
    """List every guideline id an implementation may use: findings, pathways, advice, conditions, rules.

    Findings come with the plain-words question the harness asks a patient;
    pathways and rules with their urgency. Works from an installed wheel, no
    checkout needed.

    \b
    Exit statuses:
      0  listed
      4  the guideline folder is invalid

    \b
    Examples:
      calfspec ids --kind finding
      calfspec ids --kind pathway --kind advice --json > ids.json
    """
    from ..guideline import load_guideline

    entries = id_entries(load_guideline(guideline_dir), kinds or KINDS)
    if as_json:
        json.dump([asdict(e) for e in entries], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, emoji=False, markup=False, width=None if sys.stdout.isatty() else 160)
    table = Table(show_edge=False)
    for column in ("kind", "id", "label", "question", "urgency"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(e.kind, e.id, e.label, e.question or "", e.urgency or "")
    console.print(table)
    console.print(f"{len(entries)} id(s)")
