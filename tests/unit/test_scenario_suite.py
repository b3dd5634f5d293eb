"""The bundled scenario suite as evidence: best answers, patient-like text, passage-written cases.

These tests load the suite shipped in ``scenarios/cases`` and pin properties that the loader
alone does not require of every scenario file, but that the bundled suite promises in
``scenarios/README.md``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.scenario import ReviewStatus
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.scenarios import LoadedScenario, ScenarioInvalid, load_scenarios

MIN_NON_ASCII_NARRATIVES = 15


@pytest.fixture(scope="module")
def suite() -> list[LoadedScenario]:
    return load_scenarios(None, load_guideline())


def test_every_bundled_scenario_names_its_single_best_answer(suite: list[LoadedScenario]) -> None:
    missing = [s.id for s in suite if s.scenario.expect.urgency.expected is None]
    assert missing == []


def test_every_best_answer_lies_inside_its_range(suite: list[LoadedScenario]) -> None:
    outside = [
        s.id
        for s in suite
        if (u := s.scenario.expect.urgency).expected is not None and not u.min <= u.expected <= u.max
    ]
    assert outside == []


def test_the_suite_scores_exact_answers_at_every_level(suite: list[LoadedScenario]) -> None:
    # Exact accuracy means something only if the gold answers are not all one level.
    levels = {s.scenario.expect.urgency.expected for s in suite}
    assert levels == set(Urgency)


def test_patients_text_arrives_with_curly_quotes_dashes_and_accents(suite: list[LoadedScenario]) -> None:
    non_ascii = [s.id for s in suite if not s.scenario.narrative.isascii()]
    assert len(non_ascii) >= MIN_NON_ASCII_NARRATIVES, non_ascii


def test_passage_written_cases_cite_a_claim_and_stay_draft(suite: list[LoadedScenario]) -> None:
    from_passage = [s for s in suite if "from-passage" in s.scenario.tags]
    assert from_passage, "the suite has no case written from a source passage"
    for s in from_passage:
        assert s.scenario.expect.claims, s.id
        assert s.scenario.status is ReviewStatus.DRAFT, s.id


def test_per_alternative_cases_name_the_rule_they_make_true(suite: list[LoadedScenario]) -> None:
    guideline = load_guideline()
    for s in (s for s in suite if "per-alternative" in s.scenario.tags):
        assert s.scenario.covers.red_flags, s.id
        for rule_id in s.scenario.covers.red_flags:
            assert rule_id in guideline.rules, (s.id, rule_id)


BAD_EXPECTED = """\
id: best-answer-outside-range
title: A best answer below the range it belongs to
status: draft
tags: [red-flag, dvt]
presentation:
  side: left
  findings:
    calf_swelling: present
narrative: My left calf is swollen.
expect:
  urgency: {min: urgent, max: emergency, expected: self_care}
  pathways_required: [urgent-dvt-assessment]
  claims: [dvt-red-flag-signs]
covers:
  red_flags: [dvt-swollen-warm-red-calf]
"""


def test_a_best_answer_outside_its_range_is_refused_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "best-answer-outside-range.yaml"
    bad.write_text(textwrap.dedent(BAD_EXPECTED), encoding="utf-8")
    with pytest.raises(ScenarioInvalid) as info:
        load_scenarios(tmp_path, load_guideline())
    [message] = [p.render() for p in info.value.problems]
    assert message.startswith(f"{bad}:11:")
    assert "expected urgency 'self_care' is outside urgent..emergency" in message


def test_the_same_file_loads_once_its_best_answer_is_in_range(tmp_path: Path) -> None:
    good = tmp_path / "best-answer-outside-range.yaml"
    good.write_text(textwrap.dedent(BAD_EXPECTED).replace("expected: self_care", "expected: urgent"), encoding="utf-8")
    [loaded] = load_scenarios(tmp_path, load_guideline())
    assert loaded.scenario.expect.urgency.expected is Urgency.URGENT
