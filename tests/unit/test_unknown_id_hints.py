"""Unknown ids in a scenario or a decision name the nearest known ids (_suggest, via scenarios and judge)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calfspec import load_guideline
from calfspec._internal.errors import ImplementationError, InputError
from calfspec._internal.judge import validate_decision
from calfspec._internal.models.triage import TriageDecision
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import SCENARIOS_DIR


def test_a_misspelt_finding_in_a_scenario_suggests_the_real_one(tmp_path: Path) -> None:
    g = load_guideline()
    source = next((SCENARIOS_DIR / "cases" / "red-flags").glob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    finding = next(f for f in g.findings if f"    {f}: " in text)
    typo = finding[:-1] + ("x" if finding[-1] != "x" else "y")
    broken = tmp_path / source.name
    broken.write_text(text.replace(f"    {finding}: ", f"    {typo}: ", 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenarios(broken, g)
    problem = next(p for p in getattr(info.value, "problems", [info.value]) if typo in p.message)
    assert problem.hint is not None
    assert f"did you mean {finding!r}" in problem.hint and "calfspec ids --kind finding" in problem.hint
    assert problem.line is not None


def test_a_decision_with_a_misspelt_pathway_names_the_nearest_id() -> None:
    g = load_guideline()
    pathway = g.guideline.pathways[0].id
    decision = TriageDecision(urgency=Urgency.URGENT, pathways=(pathway + "s",))
    with pytest.raises(ImplementationError) as info:
        validate_decision(decision, g)
    assert f"(did you mean {pathway!r}?)" in info.value.message
    assert info.value.hint is not None and "calfspec ids" in info.value.hint
