"""The pytest plugin costs nothing at import: only pytest and the standard library.

The plugin is imported by every pytest run in an environment where calfspec is
installed (``pytest11`` entry point), so importing it must not pull in
calfspec's pydantic models, adapters or runner, nor rich, httpx, hypothesis or
jinja2. Checked in a fresh interpreter, where nothing else has imported them.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pydantic", "rich", "httpx", "hypothesis", "jinja2", "ruamel", "jsonschema", "click")

FREE = {
    "calfspec._internal",
    "calfspec._internal._version",
    "calfspec._internal.adapters",
    "calfspec._internal.adapters.spec",
    "calfspec._internal.errors",
}
"""calfspec modules that need only the standard library: the package root reads its version from
``_version``, and the ``--calfspec-impl`` help is generated from the connector table in ``adapters.spec``."""

PROBE = """
import json, sys
before = set(sys.modules)
import calfspec.pytest_plugin
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def imported_by_plugin() -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60).stdout
    modules: list[str] = json.loads(out)
    return modules


def test_importing_the_plugin_imports_no_heavy_third_party_module() -> None:
    modules = imported_by_plugin()
    assert "calfspec.pytest_plugin" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the plugin imported {heavy[:10]} at import time"


def test_importing_the_plugin_imports_no_other_calfspec_module() -> None:
    # Not even the plugin's own submodules (_session, _items, _render): they load with --calfspec-impl.
    # FREE is what pytest_addoption adds; tests/integration/test_pytest_plugin.py runs that hook in a
    # real pytest and checks that it loads no pydantic.
    modules = imported_by_plugin()
    ours = sorted(m for m in modules if m.split(".")[0] == "calfspec" and m not in FREE)
    assert ours == ["calfspec", "calfspec.pytest_plugin"]


def test_the_plugins_public_names_load_on_first_use() -> None:
    import calfspec.pytest_plugin as plugin

    for name in plugin.__all__:
        assert getattr(plugin, name).__name__ == name
    assert plugin.__all__ == sorted(plugin.__all__)
