"""``calfspec schema``: write the JSON Schemas, or check that the committed ones are current."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .._exit import ExitCode
from ._options import guideline_option


@click.command("schema")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Do not write; exit 1 if a committed schema differs from what the models generate.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the schemas (default: the bundled schemas/).",
)
@guideline_option("Guideline whose ids the schemas list (default: the bundled guideline).")
def schema(check_only: bool, out_dir: Path | None, guideline_dir: Path | None) -> None:
    """Write or check the committed JSON Schemas (Draft 2020-12).

    Schemas are generated from the pydantic models; the request, decision,
    scenario and result schemas also list the guideline's finding, pathway,
    advice and condition ids. Run without --check after changing a model or
    the guideline vocabulary, and commit the result.

    \b
    Exit statuses: 0 up to date (or written), 1 a committed schema is stale,
    missing or extra (--check), 4 invalid guideline.

    \b
    Examples:
      calfspec schema --check
      calfspec schema --out my-schemas/
    """
    from ..guideline import data_dir, load_guideline
    from ..schemas import generate_schemas

    target = out_dir or data_dir("schemas")
    generated = generate_schemas(load_guideline(guideline_dir))
    if not check_only:
        from .._io import atomic_write_text

        target.mkdir(parents=True, exist_ok=True)
        for name, text in generated.items():
            atomic_write_text(target / name, text)
        for stale in sorted({p.name for p in target.glob("*.schema.json")} - set(generated)):
            (target / stale).unlink()
            click.echo(f"removed stale {target / stale}", err=True)
        click.echo(f"wrote {len(generated)} schema(s) to {target}", err=True)
        sys.exit(ExitCode.OK)
    problems: list[str] = []
    for name, text in generated.items():
        path = target / name
        if not path.is_file():
            problems.append(f"{path}: missing (run `calfspec schema` and commit)")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from what the models generate (run `calfspec schema` and commit)")
    for extra in sorted({p.name for p in target.glob("*.schema.json")} - set(generated)):
        problems.append(f"{target / extra}: no model generates it any more (delete it)")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(ExitCode.FAILED)
    click.echo(f"{len(generated)} schema(s) up to date in {target}", err=True)
    sys.exit(ExitCode.OK)
