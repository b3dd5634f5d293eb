"""The code in docs/invariants.md runs: every ``python`` block executes and its tests pass."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "invariants.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_doc_has_runnable_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs_and_its_tests_pass(index: int) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_invariants_example_{index}"}
    # Our own documentation, executed on purpose: the examples must keep working.
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), namespace)
    tests = [obj for name, obj in namespace.items() if name.startswith("test_") and callable(obj)]
    assert tests, "each example defines at least one test"
    for test in tests:
        test()
