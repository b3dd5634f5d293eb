"""The HTML report in real headless Chromium: the matrix, tables and failures, and its filters clicked for real."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from calfspec import load_guideline
from calfspec._internal.reports import parse_report_spec, write_report
from tests.fixtures.results import case, run, sample_run
from tests.fixtures.results.browser import dump_dom, live_page, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.needs_tool


def test_rendered_dom_holds_the_svg_matrix_red_flag_rows_and_failing_cases(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_report(parse_report_spec(f"html:{page}"), sample_run(), load_guideline())
    dom = dump_dom(page, tmp_path)
    assert re.search(r'<svg[^>]*id="confusion-matrix"', dom)
    cells = re.findall(r'<g class="cell" data-row="([^"]+)" data-column="([^"]+)" data-count="(\d+)"', dom)
    assert len(cells) == 4 * 5
    assert sum(int(n) for *_, n in cells) == 7
    assert ("emergency", "error", "1") in cells
    assert len(re.findall(r'<tr class="red-flag-row"', dom)) == 4
    assert len(re.findall(r"<article class=\"case ", dom)) == 7  # every trial, failing ones first
    assert "especially in one leg" in dom  # a source excerpt behind an expectation
    # escaped text stays text after parsing
    assert "timed out &lt;after&gt; 5 s &amp;" in dom


def test_screenshot_is_a_real_picture(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_report(parse_report_spec(f"html:{page}"), sample_run(), load_guideline())
    png = screenshot(page, tmp_path)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    # a blank page compresses to almost nothing; the report has text, tables and the matrix
    assert len(data) > 30_000


def test_hostile_text_from_an_implementation_is_not_executed(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    hostile = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    write_report(parse_report_spec(f"html:{page}"), run([case("a", None, error=hostile)]), load_guideline())
    dom = dump_dom(page, tmp_path)
    assert "pwned</title>" not in dom
    assert dom.count("<script>") == 1  # only the report's own, hashed script
    assert "<script>document" not in dom
    assert "&lt;script&gt;" in dom


def test_hostile_text_stays_inert_when_the_filters_run(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    hostile = "<img src=x onerror=\"document.title='pwned'\">"
    write_report(parse_report_spec(f"html:{page}"), run([case("a", None, error=hostile)]), load_guideline())
    with live_page(page) as tab:
        tab.fill("input[name=q]", "onerror")
        assert visible(tab) == ["a"]
        tab.select_option("select[name=sort]", "slowest")
        assert tab.title() != "pwned" and "pwned" not in tab.title()
        assert tab.eval_on_selector_all("img", "els => els.length") == 0


def visible(tab: Page) -> list[str]:
    """Ids of the trials the page shows now."""
    ids: list[str] = tab.eval_on_selector_all("article.case:not([hidden])", "els => els.map(e => e.id)")
    return ids


def test_filters_search_and_sort_change_the_visible_cases_in_real_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    sample = sample_run()
    write_report(parse_report_spec(f"html:{page}"), sample, load_guideline())
    every = [c.scenario_id for c in sample.cases]
    with live_page(page) as tab:
        # the script ran (the CSP allowed it by hash): the toolbar is shown and counts the trials
        assert tab.is_visible("#filters")
        assert tab.text_content("#shown-count") == f"{len(every)} of {len(every)} trial(s) shown"
        assert sorted(visible(tab)) == sorted(every)
        assert visible(tab)[0] == "pe-chest-pain"  # harm order: the emergency sent to a same-day slot first

        tab.select_option("select[name=verdict]", "error")
        assert visible(tab) == ["cold-pale-leg"]
        tab.select_option("select[name=verdict]", "")
        tab.select_option("select[name=severity]", "quality")
        assert visible(tab) == ["cramp-at-night"]
        tab.select_option("select[name=severity]", "")
        tab.select_option("select[name=tag]", "tricky")
        assert visible(tab) == ["gym-strain-but-warm-swollen"]
        tab.select_option("select[name=tag]", "")
        tab.select_option("select[name=condition]", "deep-vein-thrombosis")
        assert sorted(visible(tab)) == ["dvt-warm-swollen-left", "gym-strain-but-warm-swollen"]
        tab.select_option("select[name=condition]", "")
        tab.fill("input[name=q]", "story of cramp")
        assert visible(tab) == ["cramp-at-night"]
        assert tab.text_content("#shown-count") == f"1 of {len(every)} trial(s) shown"
        tab.fill("input[name=q]", "")

        tab.select_option("select[name=sort]", "id")
        assert visible(tab) == sorted(every)
        tab.select_option("select[name=sort]", "harm")
        assert visible(tab)[0] == "pe-chest-pain"


def test_matrix_cells_and_rule_rows_link_to_their_filtered_cases_in_real_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_report(parse_report_spec(f"html:{page}"), sample_run(), load_guideline())
    with live_page(page) as tab:
        # the red under-triage cell "expected urgent..emergency, given self_care"
        tab.click('a.cell-link[href="#filter?expected=urgent..emergency&given=self_care"]')
        tab.wait_for_function("location.hash.startsWith('#filter?')")
        assert visible(tab) == ["gym-strain-but-warm-swollen"]
        assert tab.input_value("select[name=given]") == "self_care"
        # a rule row: every trial covering the rule, positive or near miss
        tab.click('#red-flags a[href="#filter?rule=dvt-swollen-warm-red-calf"]')
        tab.wait_for_function("location.hash.includes('rule=')")
        assert sorted(visible(tab)) == [
            "cramp-at-night",
            "dvt-warm-swollen-left",
            "gym-strain-but-warm-swollen",
            "strain-no-swelling",
        ]
        # a scenario anchor is the scenario id
        tab.goto(page.as_uri() + "#tear-pop")
        assert tab.evaluate("document.getElementById('tear-pop').tagName") == "ARTICLE"


def test_without_javascript_every_trial_is_shown_and_the_toolbar_hidden(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_report(parse_report_spec(f"html:{page}"), sample_run(), load_guideline())
    dom = dump_dom(page, tmp_path)  # --dump-dom runs scripts; check the file itself for the no-JS view
    source = page.read_text(encoding="utf-8")
    assert '<form id="filters" hidden>' in source
    assert len(re.findall(r'<article class="case ', source)) == len(sample_run().cases)
    assert 'id="filters" hidden' not in dom  # and with JavaScript the toolbar is shown
