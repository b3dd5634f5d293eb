"""``calfspec check``: load and lint the guideline, optionally against the source texts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .._exit import ExitCode
from ._options import guideline_option, sources_option


@click.command("check")
@guideline_option()
@sources_option(
    required=False, help="Folder of the source texts named in sources.yaml; checks every excerpt against them."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (counts and problems) on stdout.")
@click.option(
    "--pin",
    is_flag=True,
    help="With --sources: write the sentence pins (source-sentences.json) for the texts as they are now, "
    "and print each text's sha256 for sources.yaml. Do this only after re-reviewing a changed source.",
)
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Scenario file or folder to lint against the guideline (default: the bundled suite, "
    "when --guideline is not given).",
)
def check(
    guideline_dir: Path | None, sources_dir: Path | None, as_json: bool, pin: bool, scenarios_path: Path | None
) -> None:
    """Load and lint the guideline.

    Loading rejects unsafe or malformed YAML, duplicate keys and ids, schema
    violations and unknown ids. The lints add: rule and pathway urgencies that
    disagree, contradictory rules, unused vocabulary, incomplete conditions,
    interpretations nothing uses, and, with --sources, excerpts that are not
    found verbatim in the source texts and exclusions that cover cited text.
    Each problem is printed as path:line:col: code: message.

    With --sources, each text is also compared with the SHA-256 that
    sources.yaml pins; a changed text is reported with the claims whose
    excerpts the change touches.

    \b
    Exit statuses: 0 clean, 1 problems found, 4 usage error or unreadable
    source text.

    \b
    Examples:
      calfspec check
      calfspec check --sources ../shared/seeds --json
    """
    from ..check import check_guideline
    from ..guideline import data_dir

    gdir = guideline_dir or data_dir("guideline")
    if pin:
        _pin(gdir, sources_dir)
        return
    scenarios = scenarios_path or (data_dir("scenarios") if guideline_dir is None else None)
    report = check_guideline(gdir, sources_dir, scenarios)
    if as_json:
        payload = {
            "ok": report.ok,
            "sources_checked": report.sources_checked,
            "counts": report.counts or {"problems": len(report.problems)},
            "problems": [p.to_json() for p in report.problems],
            "notes": [p.to_json() for p in report.notes],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(problem.render(), err=True)
        # Notes do not fail the check; a suite still written with many old ids would bury the
        # problems, so only the first few are printed in full (--json lists every one).
        for note in report.notes[:_NOTES_SHOWN]:
            click.echo("note: " + note.render(), err=True)
        if len(report.notes) > _NOTES_SHOWN:
            by_id: dict[str, int] = {}
            for note in report.notes:
                key = note.subject or note.code
                by_id[key] = by_id.get(key, 0) + 1
            counts = ", ".join(f"{key} {n}" for key, n in sorted(by_id.items()))
            click.echo(
                f"note: {len(report.notes) - _NOTES_SHOWN} more use(s) of deprecated ids not shown "
                f"({len(report.notes)} in all: {counts}); --json lists every one",
                err=True,
            )
        click.echo(_summary(report.counts, len(report.problems), report.sources_checked), err=True)
    sys.exit(ExitCode.OK if report.ok else ExitCode.FAILED)


_NOTES_SHOWN = 10


def _pin(guideline_dir: Path, sources_dir: Path | None) -> None:
    from ..guideline import load_guideline
    from ..review.store import write_output
    from ..sources import SENTENCE_PINS, load_sources, pin_sources

    if sources_dir is None:
        raise click.UsageError("--pin needs --sources DIR (the folder of the source texts to pin)")
    index = load_guideline(guideline_dir)
    texts = load_sources(index.guideline, sources_dir)
    write_output(Path(guideline_dir) / SENTENCE_PINS, pin_sources(texts))
    for src in index.guideline.sources:
        mark = "" if src.sha256 == texts[src.id].sha256 else "  <- update sources.yaml"
        click.echo(f"{src.id}: sha256: {texts[src.id].sha256}{mark}", err=True)
    click.echo(f"sentence pins -> {Path(guideline_dir) / SENTENCE_PINS}", err=True)
    sys.exit(ExitCode.OK)


def _summary(counts: dict[str, int], problems: int, sources_checked: bool) -> str:
    if not counts:
        return f"guideline not loaded: {problems} problem(s)"
    shown = (
        ("sources", "source(s)"),
        ("claims", "claim(s)"),
        ("conditions", "condition(s)"),
        ("findings", "finding(s)"),
        ("red_flags", "red flag(s)"),
        ("routine_rules", "routine-review rule(s)"),
        ("pathways", "pathway(s)"),
        ("advice", "advice item(s)"),
        ("conflicts", "conflict/gap record(s)"),
        ("exclusions", "exclusion(s)"),
    )
    parts = ", ".join(f"{counts[key]} {label}" for key, label in shown)
    checked = "excerpts checked against the sources" if sources_checked else "excerpts not checked (no --sources)"
    verdict = "ok" if problems == 0 else f"{problems} problem(s)"
    return f"{verdict}: {parts}; {checked}"
