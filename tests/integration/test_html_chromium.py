"""The HTML report opens offline in real headless Chromium and shows the matrix, tables and failures."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from calfspec import load_guideline
from calfspec.reports import parse_report_spec, write_report
from tests.fixtures.results import case, run, sample_run
from tests.fixtures.results.browser import dump_dom, screenshot

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
    assert len(re.findall(r"<article class=\"case ", dom)) == 5
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
    assert "<script>" not in dom
    assert "&lt;script&gt;" in dom
