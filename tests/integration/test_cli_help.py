"""Every command's ``--help`` shows at least one example and its exit statuses (the installed ``calfspec``)."""

from __future__ import annotations

import click
import pytest

from calfspec._internal.cli import COMMANDS, LazyGroup, cli
from tests.conftest import ROOT
from tests.fixtures.results.cli import calfspec


def command_paths() -> list[tuple[str, ...]]:
    """Every leaf and group command, as the words typed after ``calfspec``."""
    out: list[tuple[str, ...]] = []
    assert isinstance(cli, LazyGroup)
    ctx = click.Context(cli)
    for name in sorted(COMMANDS):
        command = cli.get_command(ctx, name)
        assert command is not None
        out.append((name,))
        if isinstance(command, click.Group):
            out += [(name, sub) for sub in sorted(command.list_commands(ctx))]
    return out


@pytest.mark.parametrize("words", command_paths(), ids=" ".join)
def test_help_has_an_example_and_the_exit_statuses(words: tuple[str, ...]) -> None:
    proc = calfspec(*words, "--help", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Example" in text, f"calfspec {' '.join(words)} --help has no example"
    assert "Exit" in text, f"calfspec {' '.join(words)} --help has no exit statuses"
    assert "``" not in text  # reST markup is printed literally by click


def test_the_command_list_includes_the_new_tools() -> None:
    text = calfspec("--help", cwd=ROOT).stdout
    for name in ("ids", "matrix", "config"):
        assert f"  {name} " in text
