"""``calfspec fuzz``: search for presentations that break a safety invariant, and shrink them.

Runs every invariant derived from the guideline (see :mod:`calfspec.invariants`)
against one implementation, prints each violated invariant's minimal
presentation in clinical words, and optionally writes it as a draft scenario
that ``calfspec run`` can replay.
"""

from __future__ import annotations

import shlex
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._exit import ExitCode
from ._options import guideline_option, impl_option, max_rounds_option, timeout_option

if TYPE_CHECKING:
    from rich.console import Console

    from ...invariants import Invariant, InvariantReport, Violation
    from ..guideline import GuidelineIndex
    from ..models.scenario import Scenario

__all__ = ["fuzz", "scenario_yaml"]


def scenario_yaml(scenario: Scenario, invariant: Invariant, found_by: str) -> str:
    """The scenario as a YAML file laid out like the hand-written ones, with a header comment."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    def flow(items: tuple[str, ...] | list[str]) -> CommentedSeq:
        # Short id lists on one line, as in the hand-written scenarios; long ones one per line.
        seq = CommentedSeq(items)
        if sum(len(i) + 2 for i in items) <= 72:
            seq.fa.set_flow_style()
        return seq

    data = CommentedMap()
    data["id"] = scenario.id
    data["title"] = scenario.title
    data["status"] = scenario.status.value
    data["tags"] = flow(list(scenario.tags))
    data["presentation"] = scenario.presentation.model_dump(mode="json", exclude_defaults=True)
    data["narrative"] = scenario.narrative
    data["reveal_on_ask"] = {k: v.value for k, v in scenario.reveal_on_ask.items()}
    expect = CommentedMap()
    urgency = CommentedMap(min=scenario.expect.urgency.min.value, max=scenario.expect.urgency.max.value)
    urgency.fa.set_flow_style()
    expect["urgency"] = urgency
    if scenario.expect.urgency.expected is not None:
        urgency["expected"] = scenario.expect.urgency.expected.value
    for name in ("pathways_required", "pathways_forbidden", "advice_forbidden", "advice_required", "claims"):
        values = getattr(scenario.expect, name)
        if values or name == "claims":
            expect[name] = flow(list(values))
    data["expect"] = expect
    covers = {
        name: flow(list(getattr(scenario.covers, name)))
        for name in ("red_flags", "near_miss", "conditions")
        if getattr(scenario.covers, name)
    }
    if covers:
        data["covers"] = covers
    if scenario.notes:
        data["notes"] = LiteralScalarString(scenario.notes + "\n")

    yaml = YAML()
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    header = [
        f"Draft scenario written by calfspec fuzz ({found_by}).",
        f"Violated invariant {invariant.name}: {invariant.description}",
        "Review the presentation and the expectations before keeping it: it is not signed off.",
    ]
    comment = "".join(
        "\n".join(textwrap.wrap(line, 98, initial_indent="# ", subsequent_indent="#   ")) + "\n" for line in header
    )
    return comment + out.getvalue()


def _prepare_dir(folder: Path) -> None:
    """Create ``folder`` and prove it writable before the search, not after it has run for minutes."""
    import tempfile

    from ..errors import InputError

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InputError(
            f"cannot write scenarios into this folder: {exc.strerror or exc}",
            code="scenarios-dir-unwritable",
            path=folder,
            hint="pass --write-scenarios a folder you can create and write to",
        ) from None


def _console() -> Console:
    from ..reports.console import stderr_console

    return stderr_console(width=120)


def _print_violation(
    console: Console, report: InvariantReport, violation: Violation, guideline: GuidelineIndex, reproduce: str
) -> None:
    from ...invariants import describe_decision, describe_presentation

    console.print(f"\nFAIL {report.name} ({violation.kind.value})", style="bold red", markup=False)
    console.print(textwrap.indent(textwrap.fill(report.description, 110), "  "), markup=False)
    if report.claims:
        console.print("  claims: " + ", ".join(report.claims), markup=False)
    for i, request in enumerate(violation.case.requests):
        heading = "minimal presentation" if i == 0 else f"second presentation ({violation.case.relation})"
        console.print(f"  {heading}:", style="bold", markup=False)
        for line in describe_presentation(request, guideline):
            console.print(f"    {line}", markup=False)
    for conversation in violation.conversations:
        answers = conversation.answers
        if answers:
            said = "; ".join(f"{guideline.label(q)}: {a.value}" for q, a in answers.items())
            console.print(f"  after asking ({said}):", markup=False)
        console.print(f"  answer: {describe_decision(conversation.decision)}", markup=False)
    console.print("  problems:", style="bold", markup=False)
    for problem in violation.problems:
        console.print(f"    - {problem}", markup=False)
    if not violation.reproducible:
        console.print(
            "  note: the shrunk case passed when replayed; the implementation is not deterministic",
            style="yellow",
            markup=False,
        )
    console.print(f"  reproduce: {reproduce}", markup=False)


@click.command("fuzz")
@impl_option
@click.option(
    "--examples",
    type=click.IntRange(1, 1_000_000),
    default=100,
    show_default=True,
    help="Examples generated per invariant (shrinking a failure adds more calls).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="The same seed and implementation give the same run."
)
@click.option(
    "--invariant",
    "invariant_names",
    multiple=True,
    metavar="NAME",
    help="Check only this invariant (repeatable; shell globs like 'red-flag-*' allowed). See --list.",
)
@click.option(
    "--write-scenarios",
    "scenarios_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write each minimal counterexample as a draft scenario YAML into this folder.",
)
@timeout_option
@max_rounds_option
@guideline_option()
@click.option("--list", "list_only", is_flag=True, help="List the invariants (name and meaning) and exit.")
def fuzz(
    impl_spec: str,
    examples: int,
    seed: int,
    invariant_names: tuple[str, ...],
    scenarios_dir: Path | None,
    timeout: float,
    max_rounds: int,
    guideline_dir: Path | None,
    list_only: bool,
) -> None:
    """Search for presentations that break a safety invariant, and shrink each to its minimum.

    The invariants are derived from the guideline: one per red-flag rule (at
    least its urgency, its pathway, none of the advice it contraindicates), one
    per advice item with a contraindication, and the relations monotonicity,
    laterality-symmetry, irrelevant-details, determinism and
    exclusion-before-self-care. The search is seeded and keeps no example
    database, so the same seed gives the same run in CI.

    \b
    Exit statuses:
      0  no invariant violated
      1  a violation, an implementation error on some case, or an
         implementation that does not start
      2  interrupted
      4  usage error, unknown --invariant name, invalid guideline or spec,
         a --write-scenarios folder that cannot be created or written
      5  no invariant selected (a --invariant glob matched nothing)

    \b
    Examples:
      calfspec fuzz --list
      calfspec fuzz --impl python:mypkg.triage:decide --examples 500
      calfspec fuzz --impl 'cmd:node triage.mjs' --invariant 'red-flag-*' --write-scenarios scenarios/fuzz
    """
    from ...invariants import Fuzzer, FuzzOptions, counterexample_scenarios, derive_invariants, select_invariants
    from ..adapters import load_implementation
    from ..errors import ImplementationError
    from ..guideline import load_guideline

    guideline = load_guideline(guideline_dir)
    invariants = derive_invariants(guideline)
    if list_only:
        for inv in invariants:
            click.echo(f"{inv.name}\t{inv.family.value}\t{inv.description}")
        sys.exit(ExitCode.OK)
    selected = select_invariants(invariants, invariant_names)
    if not selected:
        click.echo(
            f"no invariant matches {', '.join(invariant_names)}; invariants: "
            + ", ".join(inv.name for inv in invariants),
            err=True,
        )
        sys.exit(ExitCode.NOTHING_SELECTED)
    impl = load_implementation(impl_spec, guideline)
    if scenarios_dir is not None:
        _prepare_dir(scenarios_dir)
    options = FuzzOptions(examples=examples, seed=seed, timeout=timeout, max_rounds=max_rounds)
    console = _console()
    console.print(
        f"calfspec fuzz: {len(selected)} invariant(s) against {impl.name}, {examples} example(s) each, seed {seed}",
        markup=False,
    )
    reports: list[InvariantReport] = []
    interrupted = False
    started = time.perf_counter()
    try:
        with Fuzzer(impl, guideline, options) as fuzzer:
            for inv in selected:
                report = fuzzer.check(inv)
                reports.append(report)
                status, style = ("ok  ", "green") if report.passed else ("FAIL", "bold red")
                console.print(f"  {status} ", style=style, end="", markup=False)
                console.print(f"{inv.name} ({report.examples} examples, {report.elapsed_s:.1f} s)", markup=False)
    except KeyboardInterrupt:
        interrupted = True
    except ImplementationError as exc:
        console.print(f"the implementation failed to start: {exc.render()}", style="bold red", markup=False)
        sys.exit(ExitCode.FAILED)
    elapsed = time.perf_counter() - started

    by_name = {inv.name: inv for inv in selected}
    written: list[Path] = []
    for report in reports:
        violation = report.violation
        if violation is None:
            continue
        # Quoted for a POSIX shell: a cmd: spec holds spaces, and the line is meant to be pasted.
        reproduce = shlex.join(
            [
                "calfspec",
                "fuzz",
                "--impl",
                impl.name,
                "--seed",
                str(seed),
                "--examples",
                str(examples),
                "--invariant",
                report.name,
            ]
        )
        _print_violation(console, report, violation, guideline, reproduce)
        if scenarios_dir is not None:
            from .._io import atomic_write_text

            found_by = f"--impl {impl.name} --seed {seed} --examples {examples}"
            invariant = by_name[report.name]
            for scenario in counterexample_scenarios(violation, invariant, guideline, found_by=found_by):
                path = scenarios_dir / f"{scenario.id}.yaml"
                try:
                    atomic_write_text(path, scenario_yaml(scenario, invariant, found_by))
                except OSError as exc:
                    # The violation is already reported and the run exits 1; a lost file must not hide it.
                    console.print(f"  cannot write {path}: {exc.strerror or exc}", style="bold red", markup=False)
                    continue
                written.append(path)
                console.print(f"  scenario written: {path}", markup=False)

    violated = [r for r in reports if not r.passed]
    total = sum(r.examples for r in reports)
    rate = total / elapsed if elapsed > 0 else 0.0
    console.print(
        f"\n{len(violated)} of {len(reports)} invariant(s) violated; {total} examples in {elapsed:.1f} s "
        f"({rate:.0f}/s)",
        style="bold red" if violated else "bold green",
        markup=False,
    )
    if interrupted:
        console.print(f"interrupted after {len(reports)} of {len(selected)} invariant(s)", style="yellow", markup=False)
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(ExitCode.FAILED if violated else ExitCode.OK)
