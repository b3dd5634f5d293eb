"""Shared test helpers: paths, and tools that may be missing on a developer's machine.

Hypothesis profiles (``dev`` by default, ``ci`` under ``CI=true``) and
:func:`scaled` set how hard property tests search.

A test that needs a system tool (node, chromium, xmllint, ssh-keygen) or the
source texts in ../shared calls :func:`require_tool` / uses ``seeds_dir``. On a
developer machine a missing tool skips with a clear reason; under ``CI=true``
it fails, because CI must run every test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
GUIDELINE_DIR = ROOT / "guideline"
SCENARIOS_DIR = ROOT / "scenarios"
SCHEMAS_DIR = ROOT / "schemas"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Hypothesis: the "dev" profile, with the slow tests deselected (addopts -m 'not slow'), keeps
# the README's test command under three minutes on two cores; "ci" (CI=true) searches harder.
# HYPOTHESIS_PROFILE picks one.
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def scaled(examples: int, dev: int) -> int:
    """An example count for a search a test runs itself: ``examples`` in CI, ``dev`` on a developer's machine.

    For searches whose property says the same with fewer examples; CI keeps the
    full count, so nothing is searched less where it gates a merge.
    """
    return examples if IN_CI else dev


def missing(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where every test must run."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


DEBIAN_PACKAGES = {"xmllint": "libxml2-utils", "ssh-keygen": "openssh-client", "node": "nodejs", "chromium": "chromium"}
"""The Debian package that provides each system tool the tests use (the tool's name is not always one)."""


def require_tool(name: str) -> str:
    """Path of a system tool, or skip (locally) / fail (CI) naming the package to install."""
    path = shutil.which(name)
    if path is None:
        package = DEBIAN_PACKAGES.get(name, name)
        missing(f"system tool {name!r} not found on PATH (install it, e.g. apt-get install {package})")
        raise AssertionError("unreachable")
    return path


@pytest.fixture
def seeds_dir() -> Path:
    """The source texts beside the checkout (../shared/seeds)."""
    if not SEEDS_DIR.is_dir():
        missing(f"source texts not found at {SEEDS_DIR}")
    return SEEDS_DIR


@pytest.fixture
def guideline_copy(tmp_path: Path) -> Path:
    """A writable copy of guideline/ for tests that break it on purpose."""
    dest = tmp_path / "guideline"
    shutil.copytree(GUIDELINE_DIR, dest)
    return dest
