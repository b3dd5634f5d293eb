"""The Markdown report for pull-request comments (calfspec.reports.markdown)."""

from __future__ import annotations

import re

from calfspec import load_guideline
from calfspec.models.results import Failure, FailureKind, Severity
from calfspec.reports.markdown import MAX_CASES, MAX_CHARS, md_code, md_text, render_markdown
from tests.fixtures.results import case, run, sample_run


def test_summary_table_scores_and_red_flags() -> None:
    text = render_markdown(sample_run(), load_guideline())
    assert text.startswith("## ❌ calfspec: FAILED")
    assert "| 2 | 3 | 1 | 1 |" in text
    assert "| Exact-level agreement | 42.9% | 3/7 |" in text
    assert "| `dvt-swollen-warm-red-calf` | 1/2 (50.0%) | **1** | 1/2 (50.0%) |" in text


def test_each_failure_has_a_diff_and_collapsible_evidence() -> None:
    text = render_markdown(sample_run(), load_guideline())
    assert (
        "```diff\n# under-triage: gave self_care, needs at least urgent\n"
        "- expected: urgent..emergency\n+ given:    self_care\n```" in text
    )
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
    # Inside a code fence HTML is inert; the fence must be longer than any backtick run in it.
    assert "````diff" in text
    outside = re.sub(r"(?ms)^(`{3,})\w*\n.*?^\1$", "", text)
    assert "<script>" not in outside
    assert outside.count("<details>") == outside.count("</details>")
    assert "`cmd:a|b`" in text
    assert "+ given:    ``` </details>" in text


def test_md_helpers() -> None:
    assert md_text("a|b <i>*x*</i>") == "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt;"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"


def test_long_failure_lists_are_capped_for_comment_size() -> None:
    cases = [case(f"s{i}", "self_care", ("urgent", "urgent")) for i in range(MAX_CASES + 5)]
    text = render_markdown(run(cases), load_guideline())
    assert text.count("#### ✗") == MAX_CASES
    assert "…and 5 more" in text


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
    assert f"…and {MAX_CASES - shown} more" in text


def test_quality_failures_alone_still_pass() -> None:
    text = render_markdown(run([case("a", "emergency")]), load_guideline())
    assert text.startswith("## ✅ calfspec: PASSED with quality failures")


def test_incomplete_run_is_flagged() -> None:
    text = render_markdown(run([case("a", "urgent")], complete=False, selected=3), load_guideline())
    assert text.startswith("## ⚠️ calfspec: INCOMPLETE")
    assert "**incomplete** (1 of 3)" in text
