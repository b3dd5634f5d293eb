"""The terminal report (calfspec._internal.reports.console).

A progress bar with an ETA on a TTY, a periodic progress line elsewhere; the
summary lists failures most harmful first, tagged, the first N in detail, and
ends with a compact totals table.
"""

from __future__ import annotations

import io
import os
import re
import select
from collections.abc import Iterator
from typing import TextIO

import pytest

from calfspec import load_guideline
from calfspec._internal.reports.console import ConsoleProgress, print_summary, render_console
from tests.fixtures.results import case, run, sample_run

ANSI = "\x1b["


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TextIO, int]]:
    """A real pseudo-terminal: (writable end as a text stream, master fd to read what was drawn)."""
    for var in ("NO_COLOR", "TERM", "FORCE_COLOR", "TTY_COMPATIBLE", "CI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    master, slave = os.openpty()
    stream = open(slave, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        yield stream, master
    finally:
        stream.close()
        os.close(master)


def drain(master: int) -> str:
    chunks = []
    while select.select([master], [], [], 0.2)[0]:
        data = os.read(master, 65536)
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_off_a_terminal_is_silent_within_the_heartbeat_but_still_counts() -> None:
    stream = io.StringIO()
    results = sample_run().cases
    with ConsoleProgress(total=len(results), stream=stream) as progress:
        assert not progress.enabled
        for r in results:
            progress.advance(r)
    assert stream.getvalue() == ""
    assert (progress.done, progress.passed, progress.failed, progress.errors) == (7, 2, 4, 1)


def test_progress_draws_a_bar_on_a_terminal(tty: tuple[TextIO, int]) -> None:
    stream, master = tty
    with ConsoleProgress(total=3, stream=stream) as progress:
        assert progress.enabled
        for r in sample_run().cases[:3]:
            progress.advance(r)
    drawn = drain(master)
    assert "calfspec" in drawn
    assert "3/3" in drawn


def test_progress_with_nothing_to_run_draws_nothing(tty: tuple[TextIO, int]) -> None:
    stream, _ = tty
    with ConsoleProgress(total=0, stream=stream) as progress:
        assert not progress.enabled


def test_summary_lists_scores_red_flags_and_each_failure_with_expected_given_and_excerpt() -> None:
    text = render_console(sample_run(), load_guideline())
    assert "In-range rate" in text and "42.9%" in text
    assert "Emergency sensitivity" in text
    assert "dvt-swollen-warm-red-calf" in text
    assert "gym-strain-but-warm-swollen" in text
    assert "expected: urgent..emergency" in text
    assert "given:    self_care" in text
    # the cited claim's source excerpt, located by section
    assert "When to see a doctor" in text
    assert "especially in one leg" in text
    assert "FAILED: 2 passed, 3 safety failure(s), 1 quality failure(s), 1 error(s)" in text


def test_safety_failures_are_listed_before_errors_and_quality_failures() -> None:
    text = render_console(sample_run(), load_guideline())
    assert text.index("gym-strain-but-warm-swollen") < text.index("cold-pale-leg") < text.index("cramp-at-night")


def harm_run() -> list[str]:
    """Scenario ids in the order a reviewer must read them, and a run holding them shuffled."""
    return [
        "emergency-sent-home",  # emergency under-triaged by 3 levels
        "emergency-sent-to-gp",  # emergency under-triaged by 1 level (still before any other)
        "urgent-sent-home",  # urgent under-triaged by 2 levels
        "routine-sent-home",  # under-triaged by 1 level
        "no-answer",  # error
        "over-cautious",  # quality
    ]


def shuffled_harm_cases() -> list[object]:
    return [
        case("over-cautious", "emergency", ("self_care", "routine")),
        case("routine-sent-home", "self_care", ("routine", "routine")),
        case("no-answer", None, ("urgent", "urgent")),
        case("emergency-sent-to-gp", "urgent", ("emergency", "emergency")),
        case("urgent-sent-home", "self_care", ("urgent", "emergency")),
        case("emergency-sent-home", "self_care", ("emergency", "emergency")),
        case("fine", "urgent", ("urgent", "urgent")),
    ]


def test_failures_come_in_harm_order_emergency_under_triage_first_then_by_depth() -> None:
    text = render_console(run(shuffled_harm_cases()), load_guideline())  # type: ignore[arg-type]
    heads = [line.split()[2] for line in text.splitlines() if line.startswith("  ✗ ")]
    assert heads == harm_run()
    assert "2 under-triaged emergencies" in text


def test_every_failure_and_every_failure_line_is_tagged() -> None:
    text = render_console(run(shuffled_harm_cases()), load_guideline())  # type: ignore[arg-type]
    heads = [line for line in text.splitlines() if line.startswith("  ✗ ")]
    assert [h.split()[1] for h in heads] == ["[safety]"] * 4 + ["[error]", "[quality]"]
    assert "      [safety] " in text and "      [quality] " in text and "      [error] " in text


def test_max_failures_details_the_first_n_and_lists_the_rest_one_line_each() -> None:
    stream = io.StringIO()
    print_summary(run(shuffled_harm_cases()), load_guideline(), stream, max_failures=2)  # type: ignore[arg-type]
    text = stream.getvalue()
    heads = [line for line in text.splitlines() if line.startswith("  ✗ ")]
    assert [h.split()[2].rstrip(":") for h in heads] == harm_run()
    # two detailed blocks (with expected/given lines), four one-liners
    assert text.count("expected: ") == 2
    assert "4 more, one line each" in text
    assert "  ✗ [safety] urgent-sent-home: expected urgent..emergency, given self_care (2 levels under)" in text
    assert "  ✗ [error] no-answer: expected urgent, no answer: implementation timed out" in text


def test_summary_ends_with_a_compact_totals_table() -> None:
    text = render_console(run(shuffled_harm_cases()), load_guideline())  # type: ignore[arg-type]
    lines = text.rstrip().splitlines()
    assert lines[-1].startswith("FAILED: 1 passed, 4 safety failure(s), 1 quality failure(s), 1 error(s)")
    table = "\n".join(lines[-6:-1])
    assert "Summary" in table and "emergencies under-triaged" in table
    assert re.search(r"7\s*│\s*1\s*│\s*4\s*│\s*1\s*│\s*1\s*│\s*2 of 2", table), table


def test_progress_off_a_terminal_prints_a_periodic_line_with_an_estimate() -> None:
    now = [100.0]
    stream = io.StringIO()
    results = sample_run().cases
    with ConsoleProgress(total=len(results), stream=stream, heartbeat=10, clock=lambda: now[0]) as progress:
        for r in results[:3]:
            now[0] += 4.0  # 4 s per case: a line after the third (12 s)
            progress.advance(r)
    lines = stream.getvalue().splitlines()
    assert lines == ["calfspec: 3/7 done (1 passed, 2 failed, 0 errors), 12 s elapsed, about 16 s left"]


def test_quiet_progress_prints_nothing() -> None:
    now = [0.0]
    stream = io.StringIO()
    with ConsoleProgress(total=3, stream=stream, heartbeat=0, quiet=True, clock=lambda: now[0]) as progress:
        for r in sample_run().cases[:2]:
            now[0] += 60
            progress.advance(r)
    assert stream.getvalue() == ""


def test_progress_bar_on_a_terminal_shows_an_eta(tty: tuple[TextIO, int]) -> None:
    stream, master = tty
    with ConsoleProgress(total=5, stream=stream) as progress:
        for r in sample_run().cases[:2]:
            progress.advance(r)
        progress._progress.refresh()  # type: ignore[union-attr]
    assert "ETA" in drain(master)


def test_summary_has_no_colour_off_a_terminal() -> None:
    stream = io.StringIO()
    print_summary(sample_run(), load_guideline(), stream)
    assert ANSI not in stream.getvalue()
    assert "under-triage" in stream.getvalue()


def test_summary_has_colour_on_a_terminal(tty: tuple[TextIO, int]) -> None:
    stream, master = tty
    print_summary(sample_run(), load_guideline(), stream)
    stream.flush()
    assert ANSI in drain(master)


def test_implementation_text_is_shown_literally_not_as_markup() -> None:
    r = run([case("x", None, error="[bold red]pwned[/] \\[x]")])
    text = render_console(r, load_guideline())
    assert "[bold red]pwned[/] \\[x]" in text


def test_flaky_cases_show_every_distinct_answer() -> None:
    r = run(
        [case("wob", "urgent", repeat=0), case("wob", "routine", repeat=1), case("wob", "urgent", repeat=2)],
        repeat=3,
    )
    text = render_console(r, load_guideline())
    assert "Flaky across repeats (1)" in text
    assert "urgent (repeats 1, 3)" in text
    assert "routine (repeat 2)" in text
    assert "wob [repeat 2/3]" in text


def test_incomplete_run_says_how_much_finished() -> None:
    text = render_console(run([case("a", "urgent")], complete=False, selected=5), load_guideline())
    assert "INCOMPLETE" in text
    assert "1 of 5 selected scenario(s) finished" in text


def test_claim_missing_from_the_loaded_guideline_is_said_not_dropped() -> None:
    r = run([case("a", "routine", claims=("claim-from-the-future",))])
    assert "claim-from-the-future: (claim not in the loaded guideline)" in render_console(r, load_guideline())


def test_cases_never_sent_fail_the_status_and_are_said_in_every_human_report() -> None:
    from calfspec._internal.models.results import NotRun
    from calfspec._internal.reports.html import render_html
    from calfspec._internal.reports.markdown import render_markdown

    base = run([case("a", "urgent")])
    missed = base.model_copy(
        update={"not_run": (NotRun(scenario_id="b", reason="the implementation was given up on after 3 crashes"),)}
    )
    text = render_console(missed, load_guideline())
    assert "NOT RUN: 1 case(s) never sent, so nothing judged them: the implementation was given up on" in text
    assert text.rstrip().splitlines()[-1].startswith("FAILED: 1 passed") and text.rstrip().endswith("; 1 not run")
    assert "NOT RUN: 1 case(s)" in render_markdown(missed, load_guideline())
    assert "NOT RUN: 1 case(s)" in render_html(missed, load_guideline())
    assert render_console(base, load_guideline()).rstrip().splitlines()[-1].startswith("PASSED")
