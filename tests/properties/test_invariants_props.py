"""The reference triage satisfies every invariant derived from the guideline."""

from __future__ import annotations

import pytest

from calfspec._internal.adapters.reference import ReferenceImplementation
from calfspec._internal.guideline import load_guideline
from calfspec.invariants import check_invariant, derive_invariants
from tests.conftest import scaled

GUIDELINE = load_guideline()
NAMES = [inv.name for inv in derive_invariants(GUIDELINE)]


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_satisfies_the_invariant(name: str) -> None:
    examples = scaled(150, dev=60)  # every invariant is also fuzzed from the CLI (tests/integration)
    report = check_invariant(name, ReferenceImplementation(GUIDELINE), examples=examples, seed=11, guideline=GUIDELINE)
    assert report.violation is None, report.violation
    assert report.examples >= examples
