"""``calfspec check``: load and lint the guideline, optionally against the source texts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..cli import EXIT_ERRORS, EXIT_OK
from ._options import guideline_option, sources_option


@click.command("check")
@guideline_option()
@sources_option(
    required=False, help="Folder of the source texts named in sources.yaml; checks every excerpt against them."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (counts and problems) on stdout.")
def check(guideline_dir: Path | None, sources_dir: Path | None, as_json: bool) -> None:
    """Load and lint the guideline.

    Loading rejects unsafe or malformed YAML, duplicate keys and ids, schema
    violations and unknown ids. The lints add: rule and pathway urgencies that
    disagree, contradictory rules, unused vocabulary, incomplete conditions,
    interpretations nothing uses, and, with --sources, excerpts that are not
    found verbatim in the source texts and exclusions that cover cited text.
    Each problem is printed as path:line:col: code: message.

    \b
    Exit statuses: 0 clean, 1 problems found, 4 usage error or unreadable
    source text.
    """
    from ..check import check_guideline
    from ..guideline import data_dir

    report = check_guideline(guideline_dir or data_dir("guideline"), sources_dir)
    if as_json:
        payload = {
            "ok": report.ok,
            "sources_checked": report.sources_checked,
            "counts": report.counts or {"problems": len(report.problems)},
            "problems": [p.to_json() for p in report.problems],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(problem.render(), err=True)
        click.echo(_summary(report.counts, len(report.problems), report.sources_checked), err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_ERRORS)


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
