"""``calfspec sources``: inspect the source documents (sentence coverage)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .._exit import ExitCode
from ._options import guideline_option, sources_option


@click.group("sources")
def sources() -> None:
    """Inspect the source documents the guideline is built from.

    \b
    Exit statuses: those of the subcommand (see `calfspec sources coverage --help`).

    \b
    Example:
      calfspec sources coverage --sources ../shared/seeds
    """


@sources.command("coverage")
@sources_option(required=True, help="Folder of the source texts named in sources.yaml.")
@guideline_option()
@click.option("--json", "as_json", is_flag=True, help="Print per-document coverage as JSON on stdout.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=100.0,
    show_default=True,
    help="Exit 1 when a document's coverage is below this percentage.",
)
def coverage(sources_dir: Path, guideline_dir: Path | None, as_json: bool, fail_under: float) -> None:
    """Share of each source's sentences that the guideline accounts for.

    A sentence (a heading, a bullet, or a sentence of a paragraph) is accounted
    for when a claim's excerpt points into it or an exclusion covers it.
    Sentences that are not are listed, so nothing is skipped silently.

    \b
    Exit statuses: 0 every document at or above --fail-under, 1 below it,
    4 invalid guideline or unreadable source text.

    \b
    Example:
      calfspec sources coverage --sources ../shared/seeds --fail-under 90
    """
    from ..guideline import load_guideline
    from ..sources import coverage as measure
    from ..sources import load_sources

    index = load_guideline(guideline_dir)
    texts = load_sources(index.guideline, sources_dir)
    docs = measure(index.guideline, texts)
    if as_json:
        payload = [
            {
                "id": d.source_id,
                "file": d.file,
                "sentences": d.sentences,
                "accounted": d.accounted,
                "percent": d.percent,
                "unaccounted": [{"line": s.line, "index": s.index, "text": s.text} for s in d.unaccounted],
            }
            for d in docs
        ]
        click.echo(json.dumps({"documents": payload}, indent=2, ensure_ascii=False))
    else:
        for d in docs:
            click.echo(
                f"{d.source_id} ({d.file}): {d.accounted}/{d.sentences} sentences accounted for ({d.percent:.2f}%)",
                err=True,
            )
            path = texts[d.source_id].path
            for s in d.unaccounted:
                click.echo(f"  {path}:{s.line}: not accounted for: {s.text}", err=True)
    below = [d for d in docs if d.percent < fail_under]
    sys.exit(ExitCode.FAILED if below else ExitCode.OK)
