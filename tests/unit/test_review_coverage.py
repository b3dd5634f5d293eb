"""Coverage policy, traceability and hazard log on small, hand-picked suites."""

from __future__ import annotations

import datetime as dt

import pytest

from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.guideline import Basis, RuleKind
from calfspec._internal.models.results import CaseResult, RunResult, Severity, Verdict
from calfspec._internal.models.scenario import Scenario
from calfspec._internal.models.triage import TriageRequest
from calfspec._internal.review.coverage import (
    PolicyCheck,
    check_policy,
    hazard_log,
    matrix_markdown,
    result_summary,
    traceability,
)
from calfspec._internal.review.digest import cited_claim_ids
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import SCENARIOS_DIR


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


@pytest.fixture(scope="module")
def suite(guideline: GuidelineIndex) -> list[Scenario]:
    return [i.scenario for i in load_scenarios(SCENARIOS_DIR, guideline)]


def _result(*cases: tuple[str, Verdict, Severity | None]) -> RunResult:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return RunResult(
        calfspec_version="0",
        protocol_version="1.0",
        guideline_id="g",
        guideline_version="0.1.0",
        implementation="test",
        started_at=now,
        finished_at=now,
        complete=True,
        selected=len(cases),
        cases=tuple(
            CaseResult(
                scenario_id=sid,
                repeat=i,
                verdict=verdict,
                severity=sev,
                expected_min="urgent",
                expected_max="urgent",
                request=TriageRequest(),
            )
            for i, (sid, verdict, sev) in enumerate(cases)
        ),
    )


def test_an_empty_suite_fails_every_red_flag_both_ways(guideline: GuidelineIndex) -> None:
    failures = check_policy(guideline, [], [PolicyCheck.RED_FLAG_POSITIVE, PolicyCheck.RED_FLAG_NEGATIVE])
    assert len(failures) == 2 * len(guideline.red_flags)
    rule = guideline.red_flags[0]
    assert any(f"red-flag rule {rule.id!r} has no positive scenario" in f for f in failures)
    assert any(f"red-flag rule {rule.id!r} has no near-miss scenario" in f for f in failures)


def test_an_empty_suite_fails_every_interpretation_claim(guideline: GuidelineIndex) -> None:
    failures = check_policy(guideline, [], [PolicyCheck.INTERPRETATION_CLAIMS])
    interpretations = [c for c in guideline.guideline.claims if c.basis is Basis.INTERPRETATION]
    assert len(failures) == len(interpretations)


def test_a_scenario_covering_a_rule_covers_its_interpretation_claims(
    guideline: GuidelineIndex, suite: list[Scenario]
) -> None:
    positive = next(s for s in suite if s.covers.red_flags)
    failures_without = check_policy(guideline, [], [PolicyCheck.INTERPRETATION_CLAIMS])
    failures_with = check_policy(guideline, [positive], [PolicyCheck.INTERPRETATION_CLAIMS])
    covered = {c for c in cited_claim_ids(positive, guideline) if guideline.claims[c].basis is Basis.INTERPRETATION}
    assert len(failures_without) - len(failures_with) == len(covered)


def test_results_pass_needs_results(guideline: GuidelineIndex, suite: list[Scenario]) -> None:
    assert check_policy(guideline, suite[:1], [PolicyCheck.RESULTS_PASS]) == [
        "policy results-pass needs --results RESULT.json"
    ]
    sid = suite[0].id
    failing = _result((sid, Verdict.FAIL, Severity.SAFETY))
    assert check_policy(guideline, suite[:1], [PolicyCheck.RESULTS_PASS], failing) == [
        f"scenario {sid!r}: last result fail (safety)"
    ]


def test_result_summary_shows_the_worst_outcome_of_repeats() -> None:
    summary = result_summary(
        _result(
            ("a", Verdict.PASS, None),
            ("a", Verdict.FAIL, Severity.QUALITY),
            ("a", Verdict.PASS, None),
            ("b", Verdict.ERROR, None),
            ("c", Verdict.PASS, None),
        )
    )
    assert summary == {"a": "fail (quality) 1/3", "b": "error", "c": "pass"}


def test_matrix_traces_each_citation_to_scenarios_and_results(guideline: GuidelineIndex, suite: list[Scenario]) -> None:
    scenario = next(s for s in suite if s.covers.red_flags)
    rows = traceability(guideline, [scenario], _result((scenario.id, Verdict.PASS, None)))
    assert len(rows) == sum(len(c.citations) for c in guideline.guideline.claims)
    cited = set(cited_claim_ids(scenario, guideline))
    for row in rows:
        if row.claim in cited:
            assert row.scenarios == (scenario.id,)
            assert row.results == (f"{scenario.id}: pass",)
        else:
            assert row.scenarios == ()
    text = matrix_markdown(rows, "t")
    assert text.count("\n|") == len(rows) + 2  # header, separator, one line per row


def test_hazard_log_status_follows_verification(guideline: GuidelineIndex, suite: list[Scenario]) -> None:
    rule = guideline.red_flags[0]
    pos = [s for s in suite if rule.id in s.covers.red_flags][:1]
    neg = [s for s in suite if rule.id in s.covers.near_miss][:1]
    assert pos and neg, "the shipped suite lacks a positive or near-miss case for the first red flag"

    def status(scenarios: list[Scenario], results: RunResult | None = None) -> str:
        row = next(h for h in hazard_log(guideline, scenarios, results) if h.hazard_id == f"HAZ-{rule.id}")
        return row.status

    assert status([]).startswith("gap: no scenario shows the control firing")
    assert status(pos).startswith("gap: no scenario shows where the control must not fire")
    assert status(pos + neg).startswith("scenarios exist; no results")
    passing = _result(*((s.id, Verdict.PASS, None) for s in pos + neg))
    assert status(pos + neg, passing) == "verified"
    failing = _result((pos[0].id, Verdict.FAIL, Severity.SAFETY), (neg[0].id, Verdict.PASS, None))
    assert status(pos + neg, failing).startswith("open")


def test_hazard_log_has_one_row_per_rule_plus_the_policy(guideline: GuidelineIndex) -> None:
    rows = hazard_log(guideline, [])
    assert len(rows) == len(guideline.guideline.rules) + 1 + len(guideline.guideline.hazards)
    red = next(r for r in rows if r.hazard_id == f"HAZ-{guideline.red_flags[0].id}")
    assert red.hazard.startswith("Under-triage")
    assert guideline.red_flags[0].id in red.control
    routine = [r for r in guideline.guideline.rules if r.kind is RuleKind.ROUTINE_REVIEW]
    if routine:
        row = next(r for r in rows if r.hazard_id == f"HAZ-{routine[0].id}")
        assert "must not fire" not in row.verification


def test_every_disjunct_of_a_red_flag_condition_is_an_alternative(guideline: GuidelineIndex) -> None:
    from calfspec._internal.review.coverage import rule_alternatives

    rule = guideline.rules["pe-breathlessness-chest-pain-haemoptysis"]
    alts = rule_alternatives(rule)
    assert [a.where for a in alts] == [f"any[{i}]" for i in range(len(rule.when.any))]  # type: ignore[union-attr]


def test_an_alternative_is_covered_only_by_a_scenario_where_it_alone_makes_the_rule_true(
    guideline: GuidelineIndex,
) -> None:
    from calfspec._internal.models.triage import FindingState, Side
    from calfspec._internal.review.coverage import alternative_scenarios

    P, A = FindingState.PRESENT, FindingState.ABSENT

    def scenario(sid: str, **findings: FindingState) -> Scenario:
        return Scenario.model_validate(
            {
                "id": sid,
                "title": "t",
                "presentation": {"side": Side.LEFT, "findings": findings},
                "narrative": "n",
                "expect": {
                    "urgency": {"min": "emergency", "max": "emergency"},
                    "claims": ["pe-symptoms-call-emergency"],
                },
            }
        )

    both = scenario("both", chest_pain=P, coughing_blood=P)
    chest_only = scenario("chest-only", chest_pain=P, coughing_blood=A)

    def alone(scenarios: list[Scenario]) -> dict[str, list[str]]:
        return {
            alt.where: sids
            for alt, sids in alternative_scenarios(guideline, scenarios)
            if alt.rule.id == "pe-breathlessness-chest-pain-haemoptysis"
        }

    rule = guideline.rules["pe-breathlessness-chest-pain-haemoptysis"]
    chest = next(f"any[{i}]" for i, e in enumerate(rule.when.any) if getattr(e, "finding", None) == "chest_pain")  # type: ignore[union-attr]
    assert alone([both])[chest] == []  # coughing blood would hold the rule up anyway
    assert alone([chest_only])[chest] == ["chest-only"]
    failures = check_policy(guideline, [both], [PolicyCheck.RED_FLAG_ALTERNATIVES])
    assert any("'pe-breathlessness-chest-pain-haemoptysis'" in f and "Chest pain" in f for f in failures)
    fewer = check_policy(guideline, [both, chest_only], [PolicyCheck.RED_FLAG_ALTERNATIVES])
    assert len(fewer) == len(failures) - 1


def test_the_hazard_log_holds_the_system_level_hazards_with_empty_risk_columns(
    guideline: GuidelineIndex, suite: list[Scenario]
) -> None:
    from calfspec._internal.review.coverage import HazardRow

    rows = {r.hazard_id: r for r in hazard_log(guideline, suite)}
    for hid in (
        "haz-word-mapping",
        "haz-unknown-handling",
        "haz-advice-harm",
        "haz-unrepresentable-risk",
        "haz-source-change",
        "haz-alarm-fatigue",
    ):
        row = rows[f"HAZ-{hid}"]
        assert row.cause and row.control and row.verification
        assert row.cells()[-3:] == ("", "", "")
    assert HazardRow.HEADER[-3:] == ("severity", "likelihood", "risk")
    assert "exclusion-before-self-care" in rows["HAZ-haz-unknown-handling"].verification


def test_a_hazard_naming_a_missing_scenario_invariant_or_check_fails_the_policy(
    guideline: GuidelineIndex, suite: list[Scenario]
) -> None:
    from calfspec._internal.models.guideline import Hazard, HazardControl

    assert check_policy(guideline, suite, [PolicyCheck.HAZARD_VERIFICATION]) == []
    bogus = Hazard(
        id="haz-test",
        title="t",
        effect="e",
        causes=("c",),
        controls=(
            HazardControl(
                control="x", scenarios=("no-such-case",), invariants=("no-such-inv",), checks=("no-such-check",)
            ),
        ),
    )
    g2 = type(guideline)(
        guideline=guideline.guideline.model_copy(update={"hazards": (*guideline.guideline.hazards, bogus)}),
        root=guideline.root,
        positions=guideline.positions,
    )
    failures = check_policy(g2, suite, [PolicyCheck.HAZARD_VERIFICATION])
    assert len(failures) == 3
    assert any("scenario 'no-such-case'" in f for f in failures)
    assert any("invariant 'no-such-inv'" in f for f in failures)
    assert any("check 'no-such-check'" in f for f in failures)
