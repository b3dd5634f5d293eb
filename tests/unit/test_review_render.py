"""The reviewer pack: content a clinician needs, escaped, in both formats."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from calfspec._internal.adapters.reference import ReferenceImplementation
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.review.models import ReviewerRegistry
from calfspec._internal.review.render import render_pack
from calfspec._internal.review.verify import review_scenarios
from calfspec._internal.runner import RunOptions, run_cases
from calfspec._internal.scenarios import LoadedScenario, load_scenarios
from tests.conftest import SCENARIOS_DIR

WHEN = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


@pytest.fixture(scope="module")
def loaded(guideline: GuidelineIndex) -> list[LoadedScenario]:
    items = load_scenarios(SCENARIOS_DIR, guideline)
    return [next(i for i in items if i.scenario.covers.red_flags and i.scenario.covers.near_miss)]


def _render(loaded: list[LoadedScenario], guideline: GuidelineIndex, fmt: str) -> str:
    report = review_scenarios([i.scenario for i in loaded], guideline, ReviewerRegistry(), [])
    results = asyncio.run(run_cases(ReferenceImplementation(guideline), loaded, guideline, RunOptions()))
    return render_pack(loaded, guideline, report, results, fmt=fmt, generated=WHEN)  # type: ignore[arg-type]


def test_html_pack_shows_the_case_its_claims_rules_and_reference_answer(
    loaded: list[LoadedScenario], guideline: GuidelineIndex
) -> None:
    html = _render(loaded, guideline, "html")
    s = loaded[0].scenario
    assert f'data-scenario="{s.id}"' in html
    assert 'data-status="unsigned"' in html
    for rule_id in (*s.covers.red_flags, *s.covers.near_miss):
        assert f"<code>{rule_id}</code>" in html
    assert "should fire (positive case)" in html
    assert "must not fire (near miss)" in html
    claim = guideline.claims[s.expect.claims[0]]
    assert claim.citations[0].section.replace("&", "&amp;").replace("'", "&#39;") in html
    assert "Reference triage" in html
    assert "generated 2025-03-01 12:00 UTC" in html
    assert "<script" not in html  # self-contained and static


def test_html_pack_escapes_scenario_text(loaded: list[LoadedScenario], guideline: GuidelineIndex) -> None:
    item = loaded[0]
    hostile = item.scenario.model_copy(update={"narrative": '<script>alert("x")</script> & more'})
    html = _render([LoadedScenario(hostile, item.path, item.doc)], guideline, "html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html


def test_markdown_pack_escapes_table_cells(loaded: list[LoadedScenario], guideline: GuidelineIndex) -> None:
    item = loaded[0]
    tricky = item.scenario.model_copy(
        update={"presentation": item.scenario.presentation.model_copy(update={"trigger": "fell | slipped"})}
    )
    md = _render([LoadedScenario(tricky, item.path, item.doc)], guideline, "md")
    assert "| Trigger | fell \\| slipped |" in md
    assert "### Rules exercised" in md
    assert f"`{tricky.id}`" in md
