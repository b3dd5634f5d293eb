"""calfspec's version is written once, in ``calfspec._internal._version``."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import calfspec
from calfspec._internal import _version

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_metadata_version_is_calfspec_version() -> None:
    assert version("calfspec") == calfspec.__version__, (
        "the installed metadata is older than src/calfspec/_internal/_version.py: reinstall with `pip install -e .`"
    )


def test_calfspec_version_is_the_one_in_the_version_module() -> None:
    assert calfspec.__version__ is _version.__version__


def test_pyproject_reads_the_version_from_the_version_module_and_writes_none_of_its_own() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    path = ROOT / project["tool"]["hatch"]["version"]["path"]
    assert path.resolve() == Path(_version.__file__).resolve()
