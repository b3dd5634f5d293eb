"""The HTML report: self-contained, escaped, with the matrix geometry right (calfspec.reports.html)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from calfspec import load_guideline
from calfspec.metrics import compute_metrics
from calfspec.reports.html import matrix_layout, render_html
from tests.fixtures.results import case, run, sample_run


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Collect()
    parser.feed(html)
    return parser.tags


def test_page_is_self_contained_no_scripts_no_external_references() -> None:
    html = render_html(sample_run(), load_guideline())
    found = tags(html)
    assert not [t for t, _ in found if t in ("script", "link", "iframe", "img")]
    urls = [v for _, a in found for k, v in a.items() if k in ("src", "href") and v]
    assert urls == []
    # the only URL is the SVG namespace, which is an identifier, not a request
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"]
    assert "default-src 'none'" in html
    # nor CSS that fetches: no url(), no @import, no web font
    assert "url(" not in html and "@import" not in html and "@font-face" not in html


def test_confusion_matrix_cells_match_the_metrics() -> None:
    r = sample_run()
    html = render_html(r, load_guideline())
    cells = [a for t, a in tags(html) if t == "g" and "data-count" in a]
    m = compute_metrics(r)
    assert len(cells) == len(m.confusion.rows) * len(m.confusion.columns)
    assert sum(int(a["data-count"] or 0) for a in cells) == 7
    under = {(a["data-row"], a["data-column"]) for a in cells if a["data-kind"] == "under" and a["data-count"] != "0"}
    assert under == {("emergency", "urgent"), ("urgent..emergency", "self_care")}


def test_matrix_layout_colours_by_range_not_by_minimum() -> None:
    r = run([case("a", "emergency", ("urgent", "emergency")), case("b", "routine", ("urgent", "emergency"))])
    layout = matrix_layout(compute_metrics(r).confusion)
    kinds = {c.column: c.kind for c in layout.cells}
    assert kinds == {
        "self_care": "under",
        "routine": "under",
        "urgent": "agree",
        "emergency": "agree",
        "error": "error",
    }
    assert {c.opacity for c in layout.cells if c.count} == {1.0}


def test_red_flag_table_and_every_failing_case_with_diff_and_excerpts() -> None:
    html = render_html(sample_run(), load_guideline())
    rows = [a["data-rule"] for t, a in tags(html) if t == "tr" and a.get("class") == "red-flag-row"]
    assert rows == [
        "cold-or-pale-leg",
        "dvt-swollen-warm-red-calf",
        "pe-breathlessness-chest-pain-haemoptysis",
        "tear-sudden-pop-difficulty-walking",
    ]
    failing = [a["data-scenario"] for t, a in tags(html) if t == "article"]
    assert failing == ["gym-strain-but-warm-swollen", "pe-chest-pain", "tear-pop", "cold-pale-leg", "cramp-at-night"]
    assert '<td class="expected">urgent..emergency</td>' in html
    assert "especially in one leg" in html


def test_everything_from_an_implementation_is_escaped() -> None:
    r = run([case("a", None, error='<img src=x onerror="alert(1)">')], implementation="<b>impl</b>")
    html = render_html(r, load_guideline())
    assert "<img" not in html and "<b>impl" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_empty_run_renders_without_a_matrix() -> None:
    html = render_html(run([]), load_guideline())
    assert "No trials finished." in html
    assert 'id="confusion-matrix"' not in html


def test_repeat_table_appears_only_with_repeats() -> None:
    assert 'id="repeat-stats"' not in render_html(sample_run(), load_guideline())
    r = run([case("a", "urgent", repeat=0), case("a", "routine", repeat=1)], repeat=2)
    html = render_html(r, load_guideline())
    assert 'id="repeat-stats"' in html and "flaky" in html


def test_incomplete_run_is_flagged_in_the_title_status_and_body() -> None:
    html = render_html(run([case("a", "urgent")], complete=False, selected=3), load_guideline())
    assert "<title>calfspec INCOMPLETE:" in html
    assert 'id="status">INCOMPLETE<' in html
    assert "Incomplete run: 1 of 3 selected scenario(s) finished" in html
    assert 'id="incomplete"' not in render_html(run([case("a", "urgent")]), load_guideline())
