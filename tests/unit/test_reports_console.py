"""The terminal report: progress bar only on a TTY, summary with failures and sources (calfspec.reports.console)."""

from __future__ import annotations

import io
import os
import select
from collections.abc import Iterator
from typing import TextIO

import pytest

from calfspec import load_guideline
from calfspec.reports.console import ConsoleProgress, print_summary, render_console
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


def test_progress_is_silent_off_a_terminal_but_still_counts() -> None:
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
    assert "Exact-level agreement" in text and "42.9%" in text
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
