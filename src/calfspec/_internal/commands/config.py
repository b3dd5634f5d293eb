"""``calfspec config``: the effective settings of ``calfspec run`` and where each came from."""

from __future__ import annotations

import json
import sys

import click


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print {setting: {value, origin}} as JSON.")
@click.pass_context
def config(ctx: click.Context, as_json: bool) -> None:
    """Show each setting of `calfspec run`, its effective value and its origin.

    The origin is `FILE:LINE` for a value from calfspec.toml or [tool.calfspec]
    in pyproject.toml (the nearest one from the current folder up, or the one
    `calfspec --config FILE` names), else `default`. A flag given to
    `calfspec run` overrides both.

    \b
    Exit statuses:
      0  shown
      4  the configuration file is invalid (the message names file:line)

    \b
    Examples:
      calfspec config
      calfspec --config ci/calfspec.toml config --json
    """
    from ..config import SETTINGS, Config
    from .run import run as run_command

    root = ctx.find_root()
    loaded = root.meta.get("calfspec.config")
    cfg = loaded if isinstance(loaded, Config) else Config(None)
    defaults = {p.name: p.default for p in run_command.params if p.name}
    rows: dict[str, dict[str, object]] = {}
    for s in SETTINGS:
        if s.key in cfg.values:
            rows[s.key] = {"value": cfg.values[s.key], "origin": cfg.origin(s.key)}
        else:
            value = defaults.get(s.param)
            if isinstance(value, tuple):
                value = list(value)
            elif not isinstance(value, (str, int, float, type(None))):  # click's "no default" sentinel
                value = [] if s.key == "reports" else None
            rows[s.key] = {"value": value, "origin": "default"}
    if as_json:
        json.dump({"file": str(cfg.path) if cfg.path else None, "settings": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    click.echo(f"configuration file: {cfg.path if cfg.path else '(none found)'}")
    width = max(len(k) for k in rows)
    for key, row in rows.items():
        value = row["value"]
        shown = "(console summary only)" if key == "reports" and not value else value
        if key == "scenarios" and value is None:
            shown = "(the bundled suite)"
        if key == "guideline" and value is None:
            shown = "(the bundled guideline)"
        click.echo(f"{key.ljust(width)}  {shown}  [{row['origin']}]")
