"""Every report format names the scores as docs/metrics.md does, and none uses the old "agreement"."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from calfspec._internal.guideline import load_guideline
from calfspec._internal.reports.console import render_console
from calfspec._internal.reports.html import render_html
from calfspec._internal.reports.json import render_json
from calfspec._internal.reports.junit import METRIC_PROPERTIES, render_junit
from calfspec._internal.reports.markdown import render_markdown
from tests.fixtures.results import case, run

GUIDELINE = load_guideline()
FIELDS = ("in_range_rate", "exact_accuracy", "safety_of_advice", "comprehensiveness", "inclination_to_overtriage")
LABELS = ("In-range rate", "Exact accuracy", "Safety of advice", "Comprehensiveness", "Inclination to over-triage")
RUN = run(
    [
        case("a", "urgent", ("urgent", "emergency"), expected="urgent"),
        case("b", "emergency", ("urgent", "emergency"), expected="urgent"),
        case("c", "routine", ("urgent", "urgent"), expected="urgent"),
        case("d", None, ("routine", "routine"), expected="routine"),
    ]
)


def test_json_metrics_use_the_new_field_names_with_their_values() -> None:
    metrics = json.loads(render_json(RUN))["metrics"]
    assert set(FIELDS) <= set(metrics)
    assert not {"agreement", "agreed"} & set(metrics)
    assert (metrics["in_range"], metrics["exact"], metrics["exact_trials"]) == (2, 1, 4)
    assert metrics["exact_accuracy"] == 0.25 and metrics["inclination_to_overtriage"] == 0.5


def test_junit_carries_the_scores_as_metrics_properties() -> None:
    root = ET.fromstring(render_junit(RUN).encode())
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert {f"metrics.{f}" for f in METRIC_PROPERTIES} <= set(props)
    assert set(FIELDS) <= set(METRIC_PROPERTIES)
    assert props["metrics.exact_accuracy"] == "0.25" and props["metrics.in_range_rate"] == "0.5"
    assert not any("agreement" in (name or "") for name in props)


@pytest.mark.parametrize("render", [render_markdown, render_html, render_console])
def test_human_reports_label_the_scores_by_their_new_names(render: object) -> None:
    text = render(RUN, GUIDELINE)  # type: ignore[operator]
    for label in LABELS:
        assert label in text, label
    assert "agreement" not in text.lower()
