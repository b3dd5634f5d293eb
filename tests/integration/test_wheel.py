"""The built wheel carries guideline/, schemas/ and scenarios/, and works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [whl] = out.glob("calfspec-*.whl")
    return whl


def test_wheel_contains_the_data_folders(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("guideline", "schemas", "scenarios"):
        assert any(n.startswith(f"calfspec/_data/{folder}/") for n in names), folder
    assert "calfspec/py.typed" in names
    assert "calfspec/_data/guideline/guideline.yaml" in names


def test_installed_wheel_checks_and_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    calfspec = env_dir / "bin" / "calfspec"
    check = subprocess.run([str(calfspec), "check", "--json"], cwd=elsewhere, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert str(ROOT) not in check.stdout
    schema = subprocess.run([str(calfspec), "schema", "--check"], cwd=elsewhere, capture_output=True, text=True)
    assert schema.returncode == 0, schema.stderr
    assert "_data" in schema.stderr  # it checked the packaged schemas, not the checkout's
