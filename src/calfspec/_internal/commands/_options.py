"""Click options shared by several commands, defined once so they read and behave the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..adapters.spec import spec_help

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = ["guideline_option", "impl_option", "max_rounds_option", "sources_option", "timeout_option"]

impl_option = click.option(
    "--impl",
    "impl_spec",
    default="reference",
    show_default=True,
    metavar="SPEC",
    help=spec_help(),
)


def guideline_option(help: str = "Guideline folder (default: the bundled guideline).") -> Callable[[_F], _F]:
    """``--guideline DIR``: an existing guideline folder; ``help`` may say what the command uses it for."""
    return click.option(
        "--guideline",
        "guideline_dir",
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        default=None,
        help=help,
    )


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(0.01, 3600),
    default=30.0,
    show_default=True,
    help="Seconds per answer before the case is an error.",
)

max_rounds_option = click.option(
    "--max-rounds",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Follow-up rounds: how often the questions a system asks are answered before it must decide.",
)


def sources_option(*, required: bool, help: str) -> Callable[[_F], _F]:
    """``--sources DIR``: the folder of source texts named in guideline/sources.yaml."""
    return click.option(
        "--sources",
        "sources_dir",
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        required=required,
        help=help,
    )
