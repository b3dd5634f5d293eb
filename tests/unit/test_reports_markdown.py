"""The Markdown report for pull-request comments (calfspec._internal.reports.markdown).

Besides text checks, the report is parsed as GitHub-flavoured Markdown
(markdown-it-py in GFM mode, with tables) to pin the structure GitHub renders:
the tables are tables with the columns we mean, and no ``diff`` fence exists
(GitHub colours its ``+`` lines green, which would make the wrong answer look right).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from calfspec import load_guideline
from calfspec._internal.models.results import Failure, FailureKind, Severity
from calfspec._internal.reports.markdown import MAX_CASES, MAX_CHARS, md_code, md_text, render_markdown
from tests.fixtures.results import case, run, sample_run


def test_summary_table_scores_and_red_flags() -> None:
    text = render_markdown(sample_run(), load_guideline())
    assert text.startswith("## ❌ calfspec: FAILED")
    assert "| 2 | 3 | 1 | 1 |" in text
    assert "| In-range rate | 42.9% | 3/7 |" in text
    assert "| `dvt-swollen-warm-red-calf` | 1/2 (50.0%) | **1** | 1/2 (50.0%) |" in text


def gfm() -> MarkdownIt:
    """CommonMark plus GitHub's table and strikethrough extensions, raw HTML allowed (as GitHub does)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def tables(text: str) -> list[list[list[str]]]:
    """Every table GitHub would render, as rows of cell texts (header row first)."""
    tokens = gfm().parse(text)
    out: list[list[list[str]]] = []
    row: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            out.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content)
        elif tok.type == "tr_close":
            out[-1].append(row)
    return out


def test_each_failure_has_an_expected_given_table_tagged_and_collapsible_evidence() -> None:
    text = render_markdown(sample_run(), load_guideline())
    assert "#### ✗ \\[safety\\] `gym-strain-but-warm-swollen`: safety failure" in text
    rows = [r for t in tables(text) if t[0] == ["Severity", "What", "Expected", "Given"] for r in t[1:]]
    assert [
        "safety",
        "under-triage: gave self\\_care, needs at least urgent",
        "urgent..emergency",
        "self\\_care",
    ] in rows
    assert "<details><summary>Why this is expected (2 claim(s))</summary>" in text
    assert "*When to see a doctor*" in text


def test_passing_run_is_marked_passed() -> None:
    assert render_markdown(run([case("a", "urgent")]), load_guideline()).startswith("## ✅ calfspec: PASSED")


def test_implementation_text_cannot_inject_html_or_break_tables() -> None:
    bad = Failure(
        kind=FailureKind.MISSING_PATHWAY,
        severity=Severity.SAFETY,
        message="<script>alert(1)</script> | col",
        expected="x",
        given="```\n</details>",
    )
    text = render_markdown(
        run([case("a", "urgent", extra_failures=(bad,))], implementation="cmd:a|b"), load_guideline()
    )
    outside = re.sub(r"(?ms)^(`{3,})\w*\n.*?^\1$", "", text)
    assert "<script>" not in outside
    assert outside.count("<details>") == outside.count("</details>")
    assert "`cmd:a|b`" in text
    # the hostile cells stay inside their table row: four columns, escaped
    rows = [r for t in tables(text) if t[0][:2] == ["Severity", "What"] for r in t[1:]]
    assert all(len(r) == 4 for r in rows)
    assert any("&lt;script&gt;" in r[1] and "| col" in r[1] for r in rows), rows
    html = gfm().render(text)
    assert "<script>" not in html


def test_md_helpers() -> None:
    assert md_text("a|b <i>*x*</i>") == "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt;"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"


def test_long_failure_lists_are_capped_for_comment_size_and_the_rest_listed_one_line_each() -> None:
    cases = [case(f"s{i}", "self_care", ("urgent", "urgent")) for i in range(MAX_CASES + 5)]
    text = render_markdown(run(cases), load_guideline())
    assert text.count("#### ✗") == MAX_CASES
    assert "Not detailed here, one line each:" in text
    assert text.count("- \\[safety\\] s") == 5
    assert "more; see the HTML" not in text


def test_a_comment_stays_under_githubs_size_limit_however_much_evidence_failing_cases_carry() -> None:
    # Every case cites several long claims, so fifty of them would be far past 65,536 characters.
    guideline = load_guideline()
    claims = tuple(sorted(guideline.claims, key=lambda k: -len(guideline.claims[k].citations)))[:4]
    cases = [
        case(f"s{i}", "self_care", ("emergency", "emergency"), claims=claims, red_flags=("cold-or-pale-leg",))
        for i in range(MAX_CASES)
    ]
    text = render_markdown(run(cases), guideline)
    shown = text.count("#### ✗")
    assert len(text) <= MAX_CHARS
    assert 0 < shown < MAX_CASES
    # every under-triaged emergency is in the table before the cap, and the rest are listed one line each
    misses = [t for t in tables(text) if t[0] == ["Scenario", "Expected", "Given", "Levels under"]]
    assert len(misses) == 1 and len(misses[0]) == 1 + MAX_CASES
    assert text.index("Under-triaged emergencies") < text.index("#### ✗")
    assert shown + text.count("- \\[safety\\] s") == MAX_CASES


def test_every_under_triaged_emergency_is_listed_even_when_thousands_of_cases_fail() -> None:
    cases = [case(f"benign{i}", "emergency", ("self_care", "self_care")) for i in range(300)]
    cases += [case(f"emerg{i}", "routine", ("emergency", "emergency")) for i in range(120)]
    cases += [case(f"urg{i}", "self_care", ("urgent", "urgent")) for i in range(300)]
    text = render_markdown(run(cases), load_guideline())
    assert len(text) <= MAX_CHARS
    misses = next(t for t in tables(text) if t[0] == ["Scenario", "Expected", "Given", "Levels under"])
    assert {r[0].strip("`") for r in misses[1:]} == {f"emerg{i}" for i in range(120)}
    assert all(r[1:] == ["emergency", "routine", "2"] for r in misses[1:])
    # and the detailed list starts with them too (harm order), never with a benign over-triage
    first = re.search(r"#### ✗ \\\[(\w+)\\\] `([^`]+)`", text)
    assert first is not None and first.groups() == ("safety", "emerg0")


def test_no_diff_fences_and_every_table_renders_as_a_gfm_table() -> None:
    text = render_markdown(sample_run(), load_guideline())
    tokens = gfm().parse(text)
    fences = [t.info for t in tokens if t.type == "fence"]
    assert "diff" not in fences
    pipe_rows = [line for line in text.splitlines() if line.startswith("|")]
    # every table-looking line is inside a parsed table: nothing GitHub would show as stray pipes
    found = tables(text)
    assert sum(len(t) for t in found) + len(found) == len(pipe_rows)  # rows + one separator line per table


def test_quality_failures_alone_still_pass() -> None:
    text = render_markdown(run([case("a", "emergency")]), load_guideline())
    assert text.startswith("## ✅ calfspec: PASSED with quality failures")


def test_incomplete_run_is_flagged() -> None:
    text = render_markdown(run([case("a", "urgent")], complete=False, selected=3), load_guideline())
    assert text.startswith("## ⚠️ calfspec: INCOMPLETE")
    assert "**incomplete** (1 of 3)" in text
