"""The ``calfspec`` command line.

Commands live one per module in :mod:`calfspec._internal.commands` and are imported only
when invoked, so ``calfspec --help`` starts fast. Errors derived from
:class:`~calfspec._internal.errors.CalfspecError` are printed as
``path:line:col: code: message`` with a hint, never as a traceback.

Exit statuses follow pytest (:class:`~calfspec._internal._exit.ExitCode`): 0 ok;
1 failures or errors; 2 interrupted; 3 internal error; 4 usage error or invalid
input; 5 nothing selected.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ._exit import ExitCode

__all__ = ["COMMANDS", "main"]

# name -> (module under calfspec._internal.commands, attribute, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("run", "run", "Run golden scenarios against an implementation and judge each answer."),
    "check": ("check", "check", "Load and lint the guideline (optionally against the source texts)."),
    "sources": ("sources", "sources", "Inspect the source documents (sentence coverage)."),
    "schema": ("schema", "schema", "Write or check the committed JSON Schemas."),
    "compare": ("compare", "compare", "Compare two JSON results: regressions, moved metrics, new flakes."),
    "report": ("report", "report", "Work with JSON results (merge shards, re-render reports)."),
    "fuzz": ("fuzz", "fuzz", "Search for safety-invariant violations with hypothesis."),
    "review": ("review", "review", "Clinical review: sign, verify and render scenarios."),
    "coverage": ("coverage", "coverage", "Traceability matrix, hazard log and coverage policy."),
    "bench": ("bench", "bench", "Measure the harness's cost against the implementation's own."),
    "ids": ("ids", "ids", "List every guideline id (findings, pathways, advice, conditions, rules) with its label."),
    "matrix": ("matrix", "matrix", "A conformance matrix of several implementations' JSON results."),
    "config": ("config", "config", "Show the effective settings and where each came from."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"calfspec._internal.commands.{entry[0]}")
        command = getattr(module, entry[1])
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"calfspec._internal.commands.{entry[0]}.{entry[1]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit statuses: 0 ok, 1 failures/errors, 2 interrupted, 3 internal error, "
    "4 usage error or invalid input, 5 nothing selected. "
    "Docs: docs/implementing.md, docs/reviewing.md, docs/ci.md.",
)
@click.version_option(version=None, package_name="calfspec", message="calfspec %(version)s")
@click.option(
    "--config",
    "config_file",
    metavar="FILE|none",
    default=None,
    help="Settings file (default: the nearest calfspec.toml or pyproject.toml with [tool.calfspec]; "
    "'none' ignores them). See `calfspec config`.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """calfspec: guideline-as-code conformance testing for calf-pain triage.

    The guideline (guideline/) encodes two public calf-pain documents as typed
    data with provenance. calfspec runs any triage implementation against golden
    scenarios and safety invariants derived from it.
    """
    from pathlib import Path

    from .config import find_config, load_config

    path = None if config_file == "none" else Path(config_file) if config_file else find_config()
    settings = load_config(path)
    # Settings become option defaults, so a flag given on the command line still wins.
    ctx.default_map = settings.default_map()
    ctx.meta["calfspec.config"] = settings


def _sigterm_interrupts() -> None:
    """SIGTERM before the run starts (loading files takes a second) is an interrupt: exit 2, not 143."""
    import signal
    import threading

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI and turn calfspec errors into exit statuses."""
    from .errors import CalfspecError, InputError

    _sigterm_interrupts()
    try:
        return cli.main(args=argv, prog_name="calfspec", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE_ERROR)
    except InputError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.USAGE_ERROR)
    except CalfspecError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
    except SystemExit:
        raise
    except BaseException as exc:
        import traceback

        click.echo(
            "calfspec: internal error (this is a bug in calfspec; please report it with the command you ran):",
            err=True,
        )
        traceback.print_exception(exc)
        sys.exit(ExitCode.INTERNAL_ERROR)
