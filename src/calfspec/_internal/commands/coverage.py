"""``calfspec coverage``: traceability matrix, hazard log, coverage policy, re-review after a guideline change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._exit import ExitCode
from ._options import guideline_option

if TYPE_CHECKING:  # annotations only; imported inside the command
    from ..models.results import RunResult
    from ..review.coverage import GuidelineChange, MatrixRow

_POLICY_NAMES = (
    "red-flag-positive",
    "red-flag-negative",
    "red-flag-alternatives",
    "hazard-verification",
    "interpretation-claims",
    "routine-positive",
    "all-claims",
    "results-pass",
    "default",
    "none",
)


@click.command("coverage")
@click.option(
    "--results",
    "results_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A JSON result (calfspec run --report json:PATH) for the 'last result' column.",
)
@click.option("--csv", "csv_out", type=click.Path(path_type=Path, dir_okay=False), help="Write the matrix as CSV.")
@click.option(
    "--markdown", "md_out", type=click.Path(path_type=Path, dir_okay=False), help="Write the matrix as Markdown."
)
@click.option(
    "--hazard-log",
    "hazard_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the hazard log (CSV if the name ends in .csv, else Markdown).",
)
@click.option(
    "--changed-since",
    "rev",
    default=None,
    metavar="REV",
    help="List the approvals a guideline change since git revision REV invalidates.",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    type=click.Choice(_POLICY_NAMES),
    help="Coverage checks to enforce (repeatable). default = red-flag-positive, red-flag-negative, "
    "red-flag-alternatives (each alternative of a red flag's condition has a scenario where it alone "
    "makes the rule true), hazard-verification (what each system hazard's controls name exists), "
    "interpretation-claims; none = report only.",
)
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Scenario file or folder (default: the bundled suite).",
)
@guideline_option("Guideline folder (default: the bundled guideline).")
@click.option(
    "--signoffs",
    "signoffs_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Sign-off records, for --changed-since (default: signoffs/ beside the scenarios).",
)
def coverage(
    results_file: Path | None,
    csv_out: Path | None,
    md_out: Path | None,
    hazard_out: Path | None,
    rev: str | None,
    policies: tuple[str, ...],
    scenarios_path: Path | None,
    guideline_dir: Path | None,
    signoffs_dir: Path | None,
) -> None:
    """Trace source passages to claims, rules, scenarios and results; enforce coverage.

    \b
    Exit statuses:
      0  the coverage policy is met
      1  it is not; each uncovered rule or claim is named with its file and line
      4  an invalid guideline, scenario or result file, or an output that cannot be written

    \b
    Examples:
      calfspec coverage --results out/result.json --markdown out/trace.md
      calfspec coverage --hazard-log out/hazards.csv --policy none
    """
    from ..guideline import load_guideline
    from ..review.coverage import (
        DEFAULT_POLICY,
        PolicyCheck,
        changed_since,
        check_policy,
        hazard_log,
        hazard_log_csv,
        hazard_log_markdown,
        matrix_csv,
        matrix_markdown,
        traceability,
    )
    from ..review.store import SIGNOFFS_DIR, load_records, review_root, write_output
    from ..scenarios import load_scenarios

    guideline = load_guideline(guideline_dir)
    loaded = load_scenarios(scenarios_path, guideline)
    scenarios = [s.scenario for s in loaded]
    results = _load_results(results_file) if results_file is not None else None

    checks: set[PolicyCheck] = set()
    for name in policies or ("default",):
        if name == "default":
            checks.update(DEFAULT_POLICY)
        elif name != "none":
            checks.add(PolicyCheck(name))

    rows = traceability(guideline, scenarios, results)
    title = f"{guideline.meta.title} {guideline.meta.version}"
    if csv_out is not None:
        write_output(csv_out, matrix_csv(rows))
    if md_out is not None:
        write_output(md_out, matrix_markdown(rows, title))
    if hazard_out is not None:
        hazards = hazard_log(guideline, scenarios, results)
        text = hazard_log_csv(hazards) if hazard_out.suffix.lower() == ".csv" else hazard_log_markdown(hazards, title)
        write_output(hazard_out, text)

    change = None
    if rev is not None:
        folder = signoffs_dir or review_root(scenarios_path) / SIGNOFFS_DIR
        change = changed_since(rev, guideline, scenarios, load_records(folder))

    failures = check_policy(guideline, scenarios, checks, results)
    _print(rows, results, change, failures, sorted(c.value for c in checks), len(scenarios))
    for label, path in (("matrix (CSV)", csv_out), ("matrix (Markdown)", md_out), ("hazard log", hazard_out)):
        if path is not None:
            click.echo(f"{label} -> {path}", err=True)
    sys.exit(ExitCode.FAILED if failures else ExitCode.OK)


def _load_results(path: Path) -> RunResult:
    from pydantic import ValidationError

    from ..errors import InputError
    from ..models.results import RunResult

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read results: {exc}", code="file-unreadable", path=path) from None
    try:
        return RunResult.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(document)"
        raise InputError(
            f"not a calfspec JSON result: {where}: {first.get('msg')}",
            code="results-invalid",
            path=path,
            hint="pass the file written by `calfspec run --report json:PATH`",
        ) from None


def _print(
    rows: list[MatrixRow],
    results: RunResult | None,
    change: GuidelineChange | None,
    failures: list[str],
    checks: list[str],
    n_scenarios: int,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ..reports.console import stderr_console

    console = stderr_console(width=200)  # logs and CI: wide enough that ids are not cut
    table = Table(title="Traceability: claim -> rules/pathways -> scenarios -> last result", show_lines=False)
    for col in ("claim", "basis", "passages", "rules / pathways", "scenarios", "last results"):
        table.add_column(col)
    seen: dict[str, list[MatrixRow]] = {}
    for row in rows:
        seen.setdefault(row.claim, []).append(row)
    for claim, group in seen.items():
        first = group[0]
        results_text = "-"
        if results is not None:
            outcomes = [r.split(": ", 1)[1] for r in first.results]
            passed = sum(1 for o in outcomes if o == "pass")
            results_text = f"{passed}/{len(outcomes)} pass" if outcomes else "-"
        table.add_row(
            escape(claim),
            first.basis,
            str(len(group)),
            escape(", ".join((*first.rules, *first.pathways)) or "-"),
            str(len(first.scenarios)),
            results_text,
        )
    console.print(table)
    if change is not None:
        console.print(
            f"guideline changes since {escape(change.rev)}: {len(change.files)} file(s), "
            f"{len(change.claims)} claim(s) changed, {len(change.scenarios)} scenario(s) affected, "
            f"{len(change.approvals)} approval(s) to re-review"
        )
        for cid in change.claims:
            console.print(f"  claim changed: {escape(cid)}")
        for sid in change.scenarios:
            console.print(f"  scenario affected: {escape(sid)}")
        for f in change.approvals:
            rec = f.record
            assert rec is not None
            console.print(
                f"  [yellow]re-review[/] {escape(rec.scenario_id)}: approved by {escape(rec.reviewer)} "
                f"on {rec.date.isoformat()} ({escape(str(f.path))})"
            )
    policy = ", ".join(checks) or "none"
    if failures:
        console.print(f"[bold red]coverage policy not met[/] ({policy}; {n_scenarios} scenarios):")
        for line in failures:
            console.print(f"  {escape(line)}")
    else:
        console.print(f"[green]coverage policy met[/] ({policy}; {n_scenarios} scenarios)")
