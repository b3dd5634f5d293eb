"""The conformance matrix: scenarios x implementations, disagreeing rows first (calfspec._internal.reports.matrix)."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from calfspec import load_guideline
from calfspec._internal.compare import State
from calfspec._internal.reports.matrix import build_matrix, render_matrix
from tests.fixtures.results import case, run


def three() -> list[tuple[Path, object]]:
    good = run(
        [
            case("a", "urgent"),
            case("b", "emergency", ("emergency", "emergency")),
            case("c", "routine", ("routine", "routine")),
        ],
        implementation="reference",
    )
    lazy = run(
        [
            case("a", "urgent"),
            case("b", "self_care", ("emergency", "emergency")),
            case("c", None, ("routine", "routine")),
        ],
        implementation="cmd:lazy",
    )
    partial = run([case("a", "urgent"), case("b", "emergency", ("emergency", "emergency"))], implementation="cmd:lazy")
    return [(Path("good.json"), good), (Path("lazy.json"), lazy), (Path("partial.json"), partial)]


def test_cells_rows_and_disagreement() -> None:
    view = build_matrix(three(), load_guideline())  # type: ignore[arg-type]
    assert [c.name for c in view.columns] == ["reference", "cmd:lazy (lazy)", "cmd:lazy (partial)"]
    # disagreeing rows first: b (pass / safety / pass), c (pass / error / missing); then a (all pass)
    assert [r.scenario_id for r in view.rows] == ["b", "c", "a"]
    assert [r.disagrees for r in view.rows] == [True, True, False]
    assert view.disagreeing == 2
    b = view.rows[0]
    assert [c.state for c in b.cells] == [State.PASS, State.SAFETY, State.PASS]
    assert [c.text for c in b.cells] == ["pass: emergency", "safety: self_care", "pass: emergency"]
    c = view.rows[1]
    assert [cell.text for cell in c.cells] == ["pass: routine", "error", "—"]
    lazy = view.columns[1]
    assert (lazy.passed, lazy.failed_safety, lazy.errors, lazy.emergency_misses) == (1, 1, 1, 1)
    assert [f.key for f in lazy.figures][:2] == ["pass_rate", "in_range_rate"]


def test_each_implementation_shows_what_it_reported_about_itself() -> None:
    from calfspec._internal.models.results import ImplementationInfo

    results = three()
    good = results[0][1].model_copy(  # type: ignore[attr-defined]
        update={"implementation_info": ImplementationInfo(name="triage-bot", version="2.1", cache="c", cache_hits=3)}
    )
    view = build_matrix([(results[0][0], good), *results[1:]], load_guideline())  # type: ignore[list-item]
    assert [c.reported for c in view.columns] == ["triage-bot 2.1 (cached: 3 replies)", "", ""]
    assert "| `reference` | triage-bot 2.1 (cached: 3 replies) |" in render_matrix("md", view)


def test_markdown_is_a_gfm_table_with_one_column_per_implementation() -> None:
    text = render_matrix("md", build_matrix(three(), load_guideline()))  # type: ignore[arg-type]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert sum(1 for t in tokens if t.type == "table_open") == 3
    header_cells = []
    in_matrix = False
    for i, t in enumerate(tokens):
        if t.type == "heading_open" and tokens[i + 1].content == "Matrix":
            in_matrix = True
        if in_matrix and t.type == "th_open":
            header_cells.append(tokens[i + 1].content)
    assert header_cells == ["Scenario", "Expected", "`reference`", "`cmd:lazy (lazy)`", "`cmd:lazy (partial)`"]
    assert "| `b` | emergency | **pass: emergency** | **safety: self\\_care** | **pass: emergency** |" in text
    assert "**2** scenario(s) where the implementations disagree" in text


def test_html_marks_the_disagreeing_rows_and_is_self_contained() -> None:
    html = render_matrix("html", build_matrix(three(), load_guideline()))  # type: ignore[arg-type]
    assert '<tr class="scenario disagree" id="b" data-disagrees="yes">' in html
    assert '<tr class="scenario" id="a" data-disagrees="no">' in html
    assert '<td class="safety">safety: self_care</td>' in html
    assert "<script" not in html and "default-src 'none'" in html
