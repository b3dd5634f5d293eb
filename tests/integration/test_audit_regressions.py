"""Evidence for the clinical audit's safety defects that does not come from the rules.

For each safety defect D01-D18 of ``../shared/reviews/clinical-audit.md``, the scenarios
tagged ``audit-dNN`` in ``scenarios/cases/audit/`` must

* FAIL on the guideline as it was at commit e6a2920, triaged by the reference as it was then
  (frozen copies: ``tests/fixtures/guideline_e6a2920/`` and ``tests/fixtures/reference_e6a2920.py``),
  talking to it the way an old implementation would be talked to: the findings its vocabulary
  does not know are dropped, and a finding split since then is sent as the old compound id
  (present if any part is present, absent if every part is absent);
* PASS on the current guideline, run through the real CLI (``calfspec run --impl reference``).

The tags are the machine-readable defect -> scenario map that docs/audit-resolution.md lists.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.judge import judge
from calfspec._internal.models.results import Verdict
from calfspec._internal.models.scenario import Scenario
from calfspec._internal.models.triage import FindingState, Presentation, Side, TriageDecision, TriageRequest
from calfspec._internal.scenarios import LoadedScenario, load_scenarios, with_answers
from tests.fixtures.reference_e6a2920 import reference_triage_e6a2920

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "scenarios" / "cases" / "audit"
OLD_GUIDELINE = ROOT / "tests" / "fixtures" / "guideline_e6a2920"
SAFETY_DEFECTS = [f"D{n:02d}" for n in range(1, 19)]
# D13 is a defect of the fuzz invariant ("not sure" read as "no"), not of the guideline or the
# reference: the e6a2920 reference never gave self-care on an unknown. No scenario can fail on
# it; the invariant's tests carry that evidence (docs/audit-resolution.md).
NOT_A_REFERENCE_DEFECT = {"D13"}
MAX_ROUNDS = 3


def _defect(tag: str) -> str | None:
    m = re.fullmatch(r"audit-d(\d\d)", tag)
    return f"D{m.group(1)}" if m else None


@pytest.fixture(scope="module")
def current() -> GuidelineIndex:
    return load_guideline(ROOT / "guideline")


@pytest.fixture(scope="module")
def old() -> GuidelineIndex:
    return load_guideline(OLD_GUIDELINE)


@pytest.fixture(scope="module")
def audit_cases(current: GuidelineIndex) -> dict[str, list[LoadedScenario]]:
    by_defect: dict[str, list[LoadedScenario]] = {}
    for loaded in load_scenarios(AUDIT, current):
        for tag in loaded.scenario.tags:
            defect = _defect(tag)
            if defect is not None:
                by_defect.setdefault(defect, []).append(loaded)
    return by_defect


@pytest.fixture(scope="module")
def current_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """One real `calfspec run` of the audit folder on the current reference."""
    out = tmp_path_factory.mktemp("audit") / "result.json"
    proc = subprocess.run(
        [sys.executable, "-m", "calfspec", "run", "--scenarios", str(AUDIT), "--report", f"json:{out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), proc.stderr
    cases = json.loads(out.read_text(encoding="utf-8"))["cases"]
    return {c["scenario_id"]: c for c in cases}


def _old_findings(
    current: GuidelineIndex, old: GuidelineIndex, findings: Mapping[str, FindingState]
) -> dict[str, FindingState]:
    """What an e6a2920 implementation is sent: known ids kept, split ids folded back, new ids dropped."""
    out = {k: v for k, v in findings.items() if k in old.findings}
    for (section, old_id), parts in current.aliases.items():
        if section != "findings" or old_id not in old.findings or old_id in out:
            continue
        states = [findings.get(p, FindingState.UNKNOWN) for p in parts]
        if FindingState.PRESENT in states:
            out[old_id] = FindingState.PRESENT
        elif states and all(s is FindingState.ABSENT for s in states):
            out[old_id] = FindingState.ABSENT
    return out


def _old_conversation(scenario: Scenario, current: GuidelineIndex, old: GuidelineIndex) -> TriageDecision:
    """The runner's follow-up rounds, against the frozen e6a2920 reference and guideline."""
    answered: dict[str, FindingState | Side] = {}
    decision: TriageDecision | None = None
    for _ in range(MAX_ROUNDS + 1):
        facts: Presentation = with_answers(scenario.presentation, answered)
        request = TriageRequest(
            **facts.model_dump(exclude={"findings"}),
            findings=_old_findings(current, old, facts.findings),
            narrative=scenario.narrative,
            case_id=scenario.id,
        )
        decision = reference_triage_e6a2920(request, old)
        new = {
            q: scenario.reveal_on_ask[q]
            for q in decision.questions
            if q in scenario.reveal_on_ask and q not in answered
        }
        if not new:
            break
        answered.update(new)
    assert decision is not None
    return decision


def test_every_safety_defect_has_evidence(audit_cases: dict[str, list[LoadedScenario]]) -> None:
    missing = [d for d in SAFETY_DEFECTS if d not in audit_cases and d not in NOT_A_REFERENCE_DEFECT]
    assert not missing, f"no audit-dNN scenario for {missing}"


@pytest.mark.parametrize("defect", [d for d in SAFETY_DEFECTS if d not in NOT_A_REFERENCE_DEFECT])
def test_audit_scenario_fails_at_e6a2920_and_passes_now(
    defect: str,
    audit_cases: dict[str, list[LoadedScenario]],
    current: GuidelineIndex,
    old: GuidelineIndex,
    current_verdicts: dict[str, dict[str, object]],
) -> None:
    cases = audit_cases.get(defect, [])
    assert cases, f"no scenario tagged audit-{defect.lower()}"
    for loaded in cases:
        s = loaded.scenario
        # Judged against the current guideline, whose ids the expectations use (the e6a2920
        # pathway ids are all still defined).
        before = judge(s.expect, _old_conversation(s, current, old), current)
        assert before.verdict is Verdict.FAIL, f"{s.id} already passed at e6a2920, so it is no evidence for {defect}"
        now = current_verdicts.get(s.id)
        assert now is not None, f"{s.id} was not run"
        assert now["verdict"] == "pass", f"{s.id} fails on the current guideline: {now['failures']}"
