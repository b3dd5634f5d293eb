"""``calfspec review``: sign scenarios, verify sign-offs, render the reviewer pack.

See docs/reviewing.md for the workflow. Signing writes one new record file under
the sign-offs folder and never touches the scenario itself.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from .._exit import ExitCode
from ._options import guideline_option

if TYPE_CHECKING:  # annotations only; the modules are imported inside the commands
    from ..review.verify import ReviewReport
    from ..scenarios import LoadedScenario

_F = TypeVar("_F", bound=Callable[..., object])


def _common(func: _F) -> _F:
    """The options every review subcommand shares: where the suite and its review files are."""
    options = [
        click.option(
            "--scenarios",
            "scenarios_path",
            type=click.Path(path_type=Path),
            default=None,
            help="Scenario file or folder (default: the bundled suite).",
        ),
        guideline_option(),
        click.option(
            "--reviewers",
            "reviewers_file",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Reviewers registry (default: reviewers.yaml beside the scenarios).",
        ),
        click.option(
            "--signoffs",
            "signoffs_dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Sign-off records folder (default: signoffs/ beside the scenarios).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class _Paths:
    """Where everything is, with the defaults resolved once."""

    def __init__(
        self,
        scenarios_path: Path | None,
        guideline_dir: Path | None,
        reviewers_file: Path | None,
        signoffs_dir: Path | None,
    ) -> None:
        from ..review.store import REVIEWERS_FILE, SIGNOFFS_DIR, review_root

        root = review_root(scenarios_path)
        self.scenarios = scenarios_path
        self.guideline = guideline_dir
        self.reviewers = reviewers_file or root / REVIEWERS_FILE
        self.signoffs = signoffs_dir or root / SIGNOFFS_DIR
        self.root = root


@click.group("review")
def review() -> None:
    """Clinical review: sign scenarios, verify sign-offs, render the reviewer pack.

    A sign-off binds a reviewer's decision to a digest of the parsed scenario and
    the guideline claims it cites, and is signed with the reviewer's SSH key
    (`ssh-keygen -Y sign`). See docs/reviewing.md.

    \b
    Exit statuses: those of the subcommand (see each one's --help).

    \b
    Example:
      calfspec review verify --require approved
    """


@review.command("sign")
@click.argument("scenario_refs", metavar="SCENARIO...", nargs=-1, required=True)
@click.option("--reviewer", "reviewer_id", required=True, help="Your reviewer id in the registry.")
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Your SSH private key (or its .pub, with the private key in ssh-agent).",
)
@click.option(
    "--decision",
    type=click.Choice(["approved", "changes_requested"]),
    default="approved",
    show_default=True,
    help="Your verdict on the scenario as it is now.",
)
@click.option("--comment", default=None, help="Why; required in spirit for changes_requested.")
@click.option(
    "--date",
    "date_text",
    default=None,
    metavar="YYYY-MM-DD",
    help="Date of the review (default: today).",
)
@_common
def sign(
    scenario_refs: tuple[str, ...],
    reviewer_id: str,
    key: Path,
    decision: str,
    comment: str | None,
    date_text: str | None,
    scenarios_path: Path | None,
    guideline_dir: Path | None,
    reviewers_file: Path | None,
    signoffs_dir: Path | None,
) -> None:
    """Sign SCENARIO... (ids or file paths) as they are now, one record each.

    The record goes to the sign-offs folder as
    `<scenario>.<reviewer>.<date>.json`; the scenario file is not changed.

    \b
    Exit statuses:
      0  every record was written
      4  an unknown scenario or reviewer, a key ssh-keygen cannot use, ssh-keygen
         missing (apt-get install openssh-client), or this exact content already signed

    \b
    Example:
      calfspec review sign dvt-long-flight-left-calf-swollen-warm --reviewer dr-a --key ~/.ssh/id_ed25519
    """
    from ..errors import InputError
    from ..guideline import load_guideline
    from ..review.models import Decision
    from ..review.signing import create_signoff
    from ..review.store import load_records, load_registry, write_record
    from ..scenarios import load_scenarios

    paths = _Paths(scenarios_path, guideline_dir, reviewers_file, signoffs_dir)
    date = _parse_date(date_text)
    guideline = load_guideline(paths.guideline)
    loaded = load_scenarios(paths.scenarios, guideline)
    chosen = _pick(scenario_refs, loaded)
    registry = load_registry(paths.reviewers)
    existing = [f.record for f in load_records(paths.signoffs) if f.record is not None]
    for item in chosen:
        record = create_signoff(
            item.scenario,
            guideline,
            registry,
            reviewer_id=reviewer_id,
            key=key,
            decision=Decision(decision),
            date=date,
            comment=comment,
        )
        twin = next(
            (
                r
                for r in existing
                if (r.scenario_id, r.reviewer, r.digest) == (record.scenario_id, record.reviewer, record.digest)
            ),
            None,
        )
        if twin is not None:
            raise InputError(
                f"{reviewer_id!r} already signed this exact content of {item.id!r} "
                f"({twin.decision.value} on {twin.date.isoformat()})",
                code="duplicate-signoff",
                path=item.path,
                hint="to change your decision, delete your earlier record file in the same commit",
            )
        target = write_record(paths.signoffs, record)
        existing.append(record)
        click.echo(f"{item.id}: {decision} by {reviewer_id} -> {target}", err=True)


def _parse_date(text: str | None) -> dt.date:
    from ..errors import InputError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"invalid date {text!r}", code="bad-date", hint="write --date YYYY-MM-DD, e.g. --date 2025-03-01"
        ) from None


def _pick(refs: Sequence[str], loaded: Sequence[LoadedScenario]) -> list[LoadedScenario]:
    from ..errors import InputError

    by_id = {s.id: s for s in loaded}
    by_path = {s.path.resolve(): s for s in loaded}
    out: list[LoadedScenario] = []
    for ref in refs:
        found = by_id.get(ref) or by_path.get(Path(ref).resolve())
        if found is None:
            raise InputError(
                f"no scenario {ref!r} in the suite",
                code="unknown-scenario",
                hint="give a scenario id or the path of a scenario file (see --scenarios)",
            )
        if found not in out:
            out.append(found)
    return out


@review.command("verify")
@click.option(
    "--require",
    "require",
    type=click.Choice(["approved"]),
    default=None,
    help="Fail unless every scenario is approved as it is now.",
)
@click.option(
    "--quorum",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Distinct reviewers each scenario needs; above 1 implies --require approved.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the full report as JSON to stdout.")
@_common
def verify(
    require: str | None,
    quorum: int,
    as_json: bool,
    scenarios_path: Path | None,
    guideline_dir: Path | None,
    reviewers_file: Path | None,
    signoffs_dir: Path | None,
) -> None:
    """Check every sign-off and report each scenario as approved, stale, unsigned or invalid.

    \b
    Exit statuses:
      0  no invalid record (and, with --require approved, every scenario approved
         by --quorum reviewers)
      1  an invalid record, or the required approvals are missing; each failing
         scenario or record is named with the reason
      4  the reviewers registry is missing or malformed, or a scenario or the
         guideline cannot be loaded

    \b
    Examples:
      calfspec review verify
      calfspec review verify --require approved --quorum 2 --json
    """
    from ..guideline import load_guideline
    from ..review.store import load_records, load_registry
    from ..review.verify import review_scenarios
    from ..scenarios import load_scenarios

    paths = _Paths(scenarios_path, guideline_dir, reviewers_file, signoffs_dir)
    guideline = load_guideline(paths.guideline)
    loaded = load_scenarios(paths.scenarios, guideline)
    registry = load_registry(paths.reviewers)
    records = load_records(paths.signoffs)
    report = review_scenarios(
        [s.scenario for s in loaded], guideline, registry, records, paths={s.id: s.path for s in loaded}
    )
    require_approved = require == "approved" or quorum > 1
    failures = report.policy_failures(require_approved=require_approved, quorum=quorum)
    if as_json:
        click.echo(json.dumps(_report_json(report, failures, require_approved, quorum), indent=2))
    _print_report(report, failures)
    sys.exit(ExitCode.FAILED if failures else ExitCode.OK)


def _report_json(report: ReviewReport, failures: list[str], require_approved: bool, quorum: int) -> dict[str, object]:
    return {
        "kind": "calfspec-review-verify",
        "guideline_version": report.guideline_version,
        "policy": {"require_approved": require_approved, "quorum": quorum, "ok": not failures},
        "failures": failures,
        "counts": dict(report.counts),
        "scenarios": [
            {
                "id": s.scenario_id,
                "path": str(s.path) if s.path else None,
                "status": s.status.value,
                "digest": s.digest,
                "approvers": list(s.approvers),
                "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in s.changes],
                "invalid_records": [str(r.path) for r in s.invalid],
            }
            for s in report.scenarios
        ],
        "records": [
            {
                "path": str(r.path),
                "status": r.status.value,
                "scenario_id": r.record.scenario_id if r.record else None,
                "reviewer": r.record.reviewer if r.record else None,
                "decision": r.record.decision.value if r.record else None,
                "date": r.record.date.isoformat() if r.record else None,
                "problems": list(r.problems),
            }
            for r in report.records
        ],
    }


def _print_report(report: ReviewReport, failures: list[str]) -> None:
    from rich.markup import escape

    from ..reports.console import stderr_console
    from ..review.verify import RecordStatus, ScenarioStatus

    console = stderr_console(width=None)
    style = {
        ScenarioStatus.APPROVED: "green",
        ScenarioStatus.CHANGES_REQUESTED: "yellow",
        ScenarioStatus.STALE: "yellow",
        ScenarioStatus.UNSIGNED: "dim",
        ScenarioStatus.INVALID: "bold red",
    }
    for s in report.scenarios:
        if s.status is ScenarioStatus.UNSIGNED:
            continue  # summarised below; a list of 85 "unsigned" lines hides what matters
        who = f" by {', '.join(s.approvers)}" if s.approvers else ""
        console.print(f"[{style[s.status]}]{s.status.value:<17}[/] {escape(s.scenario_id)}{escape(who)}")
        for change in s.changes:
            console.print(f"    {escape(change.render())}")
    for r in report.records:
        if r.status is RecordStatus.INVALID:
            console.print(f"[bold red]invalid record[/]    {escape(str(r.path))}")
            for problem in r.problems:
                console.print(f"    {escape(problem)}")
        elif r.status is RecordStatus.ORPHAN:
            console.print(f"[yellow]orphan record[/]     {escape(str(r.path))} (no such scenario any more)")
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in report.counts.items())
    console.print(f"{len(report.scenarios)} scenario(s): {counts}; {len(report.records)} record(s)")
    if failures:
        console.print(f"[bold red]review policy not met[/] ({len(failures)} problem(s)):")
        for line in failures:
            console.print(f"  {escape(line)}")
    else:
        console.print("[green]review policy met[/]")


@review.command("render")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default=None,
    help="Pack format (default: from the --out extension, else html).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write ('-' for stdout).",
)
@_common
def render(
    fmt: str | None,
    out: Path,
    scenarios_path: Path | None,
    guideline_dir: Path | None,
    reviewers_file: Path | None,
    signoffs_dir: Path | None,
) -> None:
    """Write the reviewer pack: each scenario beside its sources, rules and reference answer.

    \b
    Exit statuses:
      0  written
      4  a scenario, the guideline or the registry cannot be loaded, or --out cannot be written

    \b
    Examples:
      calfspec review render --out pack.html
      calfspec review render --out pack.md
    """
    import asyncio

    from ..adapters.reference import ReferenceImplementation
    from ..guideline import load_guideline
    from ..review.render import render_pack
    from ..review.store import load_records, load_registry, write_output
    from ..review.verify import review_scenarios
    from ..runner import RunOptions, run_cases
    from ..scenarios import load_scenarios

    paths = _Paths(scenarios_path, guideline_dir, reviewers_file, signoffs_dir)
    guideline = load_guideline(paths.guideline)
    loaded = load_scenarios(paths.scenarios, guideline)
    registry = load_registry(paths.reviewers)
    report = review_scenarios(
        [s.scenario for s in loaded],
        guideline,
        registry,
        load_records(paths.signoffs),
        paths={s.id: s.path for s in loaded},
    )
    chosen = fmt or ("md" if out.suffix.lower() in (".md", ".markdown") else "html")
    # The pack shows the reference's answer as `calfspec run --impl reference` gets it, follow-ups included.
    results = asyncio.run(run_cases(ReferenceImplementation(guideline), loaded, guideline, RunOptions(concurrency=4)))
    text = render_pack(
        loaded, guideline, report, results, fmt="md" if chosen == "md" else "html", root=paths.root.parent
    )
    if str(out) == "-":
        sys.stdout.write(text)
    else:
        write_output(out, text)
        click.echo(f"reviewer pack ({chosen}, {len(loaded)} scenario(s)) -> {out}", err=True)
