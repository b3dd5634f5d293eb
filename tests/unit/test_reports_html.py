"""The HTML report: self-contained, escaped, with the matrix geometry right (calfspec._internal.reports.html)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from calfspec import load_guideline
from calfspec._internal.metrics import compute_metrics
from calfspec._internal.reports.html import csp_hash, facets, matrix_layout, render_html
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


def test_page_is_self_contained_one_hashed_script_no_external_references() -> None:
    html = render_html(sample_run(), load_guideline())
    found = tags(html)
    assert not [t for t, _ in found if t in ("link", "iframe", "img")]
    scripts = [a for t, a in found if t == "script"]
    assert scripts == [{}]  # one inline script, no src
    body = re.search(r"<script>(.*)</script>", html, re.S)
    assert body is not None
    # the CSP allows exactly that script, by hash, and no other script source
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    assert f"script-src '{csp_hash(body.group(1))}'" in csp.group(1)
    assert "unsafe-inline'; img" in csp.group(1) and csp.group(1).count("unsafe-inline") == 1  # styles only
    urls = [v for _, a in found for k, v in a.items() if k in ("src", "href") and v]
    assert urls and all(u.startswith("#") for u in urls)  # in-page links only
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
        "urgent": "in_range",
        "emergency": "in_range",
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
    articles = [a for t, a in tags(html) if t == "article"]
    # every trial, most harmful first: the emergency sent to a same-day slot before the urgent case sent home
    assert [a["data-scenario"] for a in articles] == [
        "pe-chest-pain",
        "gym-strain-but-warm-swollen",
        "tear-pop",
        "cold-pale-leg",
        "cramp-at-night",
        "dvt-warm-swollen-left",
        "strain-no-swelling",
    ]
    assert [a["id"] for a in articles] == [a["data-scenario"] for a in articles]  # anchors are scenario ids
    assert [a["data-verdict"] for a in articles] == ["fail", "fail", "fail", "error", "fail", "pass", "pass"]
    assert [a["data-severity"] for a in articles] == ["safety", "safety", "safety", "", "quality", "", ""]
    assert '<td class="expected">urgent..emergency</td>' in html
    assert "especially in one leg" in html


def test_matrix_cells_and_rule_and_condition_rows_link_to_their_filtered_cases() -> None:
    html = render_html(sample_run(), load_guideline())
    links = [a["href"] for t, a in tags(html) if t == "a" and (a.get("href") or "").startswith("#filter?")]
    assert "#filter?expected=urgent..emergency&given=self_care" in links
    assert "#filter?rule=dvt-swollen-warm-red-calf" in links
    assert "#filter?condition=deep-vein-thrombosis" in links
    # each filter key a link uses is a field of the filter form, and each value one of its options
    names = {a["name"] for t, a in tags(html) if t in ("select", "input") and a.get("name")}
    assert {"verdict", "severity", "tag", "rule", "condition", "expected", "given", "q", "sort"} <= names
    f = facets(sample_run())
    assert "dvt-swollen-warm-red-calf" in f.rules and "urgent..emergency" in f.expected and "error" in f.given


def test_repeats_get_their_own_anchor_and_every_article_id_is_unique() -> None:
    r = run([case("a", "urgent", repeat=0), case("a", "routine", repeat=1)], repeat=2)
    ids = [a["id"] for t, a in tags(render_html(r, load_guideline())) if t == "article"]
    assert sorted(ids, key=str) == ["a", "a--r2"]


def test_each_case_shows_the_conversation_round_by_round() -> None:
    from calfspec._internal.models.results import Exchange
    from calfspec._internal.models.triage import TriageDecision
    from calfspec._internal.models.urgency import Urgency

    base = case("asks", "urgent")
    first = TriageDecision(urgency=Urgency.URGENT, questions=("leg_swollen",), rationale="need to know <swelling>")
    final = TriageDecision(urgency=Urgency.URGENT, pathways=("urgent-dvt-assessment",), rationale="swollen")
    transcript = (
        Exchange(request=base.request, decision=first, answered={"leg_swollen": "present"}),
        Exchange(request=base.request, decision=final),
    )
    html = render_html(run([base.model_copy(update={"transcript": transcript})]), load_guideline())
    rounds = re.findall(r'<li class="round">(.*?)</li>', html, re.S)
    assert len(rounds) == 2
    assert "asked about <code>leg_swollen</code>" in rounds[0] and "need to know &lt;swelling&gt;" in rounds[0]
    assert "Answered for the next round: <code>leg_swollen</code> present" in rounds[0]
    assert "urgent-dvt-assessment" in rounds[1]
    assert "Conversation (2 round(s))" in html


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


def test_passing_trials_link_to_their_claims_which_are_shown_once() -> None:
    claims = ("dvt-red-flag-signs",)
    r = run([case(f"p{i}", "urgent", claims=claims) for i in range(5)] + [case("f", "self_care", claims=claims)])
    html = render_html(r, load_guideline())
    assert html.count('href="#claim-dvt-red-flag-signs"') == 5  # each passing trial links
    assert html.count('id="claim-dvt-red-flag-signs"') == 1  # the claim is shown once
    # the failing trial keeps its evidence inline, beside the failure
    failing = html[html.index('id="f"') : html.index("</article>", html.index('id="f"'))]
    assert "Why this is expected (1 claim(s))" in failing and "especially in one leg" in failing
