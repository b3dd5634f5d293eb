"""pytest plugin for calfspec (registered through the ``pytest11`` entry point).

Imports lazily: nothing heavy is imported unless ``--calfspec-impl`` is given.
The scenario collection itself is being built (see the pytest plugin work in issue #4).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the calfspec option group."""
    group = parser.getgroup("calfspec", "calfspec conformance suite")
    group.addoption("--calfspec-impl", default=None, metavar="SPEC", help="Implementation spec to test.")
