"""The human report on the terminal: progress while running, then the summary.

Both write to the stream they are given (stderr in the CLI, so machine output
on stdout stays clean). Colour and the live progress bar (with an ETA) appear
only when that stream is a terminal; piped into a CI log, progress is a plain
line every :data:`HEARTBEAT_SECONDS` and the summary is plain text. Every
string that comes from an implementation is rendered as :class:`rich.text.Text`,
never as markup, so a reply containing ``[bold]`` is shown as typed.

Failures are listed most harmful first (:func:`calfspec._internal.reports._common.harm_key`),
each tagged ``[safety]``, ``[quality]`` or ``[error]``; the first
``max_failures`` in detail and the rest one line each, so an always-routine
system does not bury its under-triaged emergencies under two thousand lines.
The summary ends with a compact table of the verdict counts.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..models.results import CaseResult, Verdict
from ._common import CaseView, ReportView, answer_text, build_view, implementation_notes, pct

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from ..guideline import GuidelineIndex
    from ..models.results import RunResult

__all__ = [
    "DEFAULT_MAX_FAILURES",
    "HEARTBEAT_SECONDS",
    "ConsoleProgress",
    "print_summary",
    "render_console",
    "stderr_console",
]

DEFAULT_MAX_FAILURES = 20
"""How many non-passing trials ``calfspec run`` prints in detail; the rest get one line each."""

HEARTBEAT_SECONDS = 10.0
"""Outside a terminal, how often a progress line is printed while cases run."""

_STATUS_STYLE = {"safety failure": "bold red", "error": "bold magenta", "quality failure": "yellow", "pass": "green"}
_TAG_STYLE = {"safety": "bold red", "error": "bold magenta", "quality": "yellow", "pass": "green"}


def stderr_console(*, width: int | None = 120) -> Console:
    """The rich console every command writes human output to: stderr, colour only on a terminal.

    No highlighting of numbers or paths and no ``:emoji:`` codes (ids and guideline
    text pass through as written). Off a terminal (logs, CI) the width is ``width``
    columns, so long ids are not wrapped at rich's default of 80; ``None`` keeps it.
    """
    from rich.console import Console

    console = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
    if width is not None and not console.is_terminal:
        console.width = width
    return console


def _console(stream: TextIO, *, plain: bool = False) -> Console:
    from rich.console import Console

    if plain:
        return Console(
            file=stream, no_color=True, force_terminal=False, width=120, highlight=False, emoji=False, soft_wrap=True
        )
    console = Console(file=stream, highlight=False, emoji=False, soft_wrap=True)
    if not console.is_terminal:
        # CI logs are wide; rich would otherwise wrap at 80 columns.
        console = Console(file=stream, highlight=False, emoji=False, width=120, soft_wrap=True)
    return console


class ConsoleProgress:
    """Progress over ``total`` trials: a live bar with an ETA on a terminal, else a periodic line.

    Use as a context manager and call :meth:`advance` with each finished
    :class:`CaseResult`. The running counts (``passed``, ``failed``, ``errors``)
    are kept either way, so callers can read them after the run. Outside a
    terminal a line such as ``calfspec: 40/104 done (38 passed, 2 failed, 0
    errors), 12 s elapsed, about 19 s left`` is written at most every
    ``heartbeat`` seconds (a CI log then shows the run is alive), and never
    when ``quiet``.
    """

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.passed = 0
        self.failed = 0
        self.errors = 0
        self.heartbeat = heartbeat
        self.quiet = quiet
        self._clock = clock
        self._started = clock()
        self._last_line = self._started
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @property
    def enabled(self) -> bool:
        """Whether a live bar is drawn (a terminal, and something to run)."""
        return self._progress is not None

    def __enter__(self) -> ConsoleProgress:
        self._started = self._last_line = self._clock()
        if self.quiet or self.total <= 0:
            return self  # nothing to draw: rich is not even imported (``calfspec run -q`` starts faster)
        console = _console(self.stream)
        if console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]calfspec[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._describe(), total=self.total)
        return self

    def _describe(self) -> str:
        return f"[green]{self.passed} passed[/] [red]{self.failed} failed[/] [magenta]{self.errors} errors[/]"

    def advance(self, result: CaseResult) -> None:
        """Count one finished trial and move the bar."""
        self.done += 1
        if result.verdict is Verdict.PASS:
            self.passed += 1
        elif result.verdict is Verdict.ERROR:
            self.errors += 1
        else:
            self.failed += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=self._describe())
        elif not self.quiet and self.done < self.total:
            now = self._clock()
            if now - self._last_line >= self.heartbeat:
                self._last_line = now
                self.stream.write(self.line(now) + "\n")
                self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """The plain progress line, with an estimate of the time left once a case has finished."""
        elapsed = (self._clock() if now is None else now) - self._started
        text = (
            f"calfspec: {self.done}/{self.total} done ({self.passed} passed, {self.failed} failed, "
            f"{self.errors} errors), {elapsed:.0f} s elapsed"
        )
        if self.done:
            text += f", about {elapsed / self.done * (self.total - self.done):.0f} s left"
        return text

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _render_case(cv: CaseView, console: Console) -> None:
    from rich.text import Text

    console.print(
        Text.assemble(
            "  ✗ ",
            (f"[{cv.tag}]", _TAG_STYLE[cv.tag]),
            " ",
            (cv.name, "bold"),
            "  ",
            (cv.status, _STATUS_STYLE[cv.status]),
        )
    )
    for line in cv.lines:
        console.print(Text.assemble("      ", (f"[{line.severity}]", _TAG_STYLE[line.severity]), f" {line.message}"))
        console.print(Text.assemble("        expected: ", (line.expected, "green")))
        console.print(Text.assemble("        given:    ", (line.given, "red")))
    for ev in cv.evidence:
        if ev.statement is None:
            console.print(Text(f"      because {ev.claim_id}: (claim not in the loaded guideline)", style="dim"))
            continue
        console.print(Text.assemble("      because ", (ev.claim_id, "cyan"), f" ({ev.basis}): {ev.statement}"))
        for c in ev.citations:
            console.print(Text(f'        {c.source_title} § {c.section}: "{c.excerpt}"', style="dim"))


def _render_failing(view: ReportView, console: Console, max_failures: int | None) -> None:
    from rich.text import Text

    if not view.failing:
        return
    detailed = view.failing if max_failures is None else view.failing[:max_failures]
    rest = view.failing[len(detailed) :]
    misses = len(view.emergency_misses)
    head = f"Not passing ({len(view.failing)}), most harmful first"
    if misses:
        head += f"; {misses} under-triaged emergenc{'y' if misses == 1 else 'ies'}"
    console.print(Text(head, style="bold"))
    for cv in detailed:
        _render_case(cv, console)
    if rest:
        console.print(
            Text(f"  … {len(rest)} more, one line each (--max-failures N shows more in detail):", style="bold")
        )
        for cv in rest:
            console.print(
                Text.assemble("  ✗ ", (f"[{cv.tag}]", _TAG_STYLE[cv.tag]), " ", cv.one_line().split("] ", 1)[1])
            )


def _render_totals(view: ReportView, console: Console) -> None:
    """The compact table the run ends with: one row of verdict counts."""
    from rich.table import Table

    m = view.metrics
    table = Table(title="Summary", title_justify="left", show_edge=False)
    for column in ("trials", "passed", "safety", "quality", "errors", "emergencies under-triaged"):
        table.add_column(column, justify="right")
    misses = len(view.emergency_misses)
    table.add_row(
        str(m.trials),
        str(m.passed),
        f"[bold red]{m.failed_safety}[/]" if m.failed_safety else "0",
        f"[yellow]{m.failed_quality}[/]" if m.failed_quality else "0",
        f"[bold magenta]{m.errors}[/]" if m.errors else "0",
        f"[bold red]{misses}[/] of {m.emergency_trials}" if misses else f"0 of {m.emergency_trials}",
    )
    console.print(table)


def _render(view: ReportView, console: Console, max_failures: int | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    run, m = view.run, view.metrics
    head = Text.assemble(
        ("calfspec ", "bold"),
        (run.implementation, "bold cyan"),
        f" against {run.guideline_id} {run.guideline_version}: {m.scenarios} scenario(s), {m.trials} trial(s)",
    )
    if run.repeat > 1:
        head.append(f", repeat {run.repeat}")
    if run.shard:
        head.append(f", shard {run.shard}")
    console.print(head)
    for note in implementation_notes(run):
        style = "bold red" if note.startswith("NOT RUN") else "bold yellow" if note.startswith("CACHED") else "dim"
        console.print(Text(note, style=style))
    if view.guideline_note:
        console.print(Text(f"note: {view.guideline_note}", style="yellow"))

    figures = Table(title="Scores", title_justify="left", show_edge=False)
    figures.add_column("measure")
    figures.add_column("value", justify="right")
    figures.add_column("count", justify="right")
    figures.add_column("meaning", style="dim")
    for f in view.figures:
        figures.add_row(f.label, f.value, f.detail, f.meaning)
    console.print(figures)

    for title, scores in (("Red flags", view.red_flags), ("Other rules", view.other_rules)):
        if not scores:
            continue
        flags = Table(title=title, title_justify="left", show_edge=False)
        flags.add_column("rule")
        flags.add_column("positive pass", justify="right")
        flags.add_column("under-triaged", justify="right")
        flags.add_column("near-miss pass", justify="right")
        for score in scores:
            p, n = score.positive, score.near_miss
            flags.add_row(
                Text(score.rule),
                f"{p.passed}/{p.total} ({pct(p.pass_rate)})" if p.total else "-",
                Text(str(score.under_triaged), style="bold red" if score.under_triaged else ""),
                f"{n.passed}/{n.total} ({pct(n.pass_rate)})" if n.total else "-",
            )
        console.print(flags)

    _render_failing(view, console, max_failures)

    from ._perturb import print_error_kinds, print_perturbations

    print_perturbations(view.run, console)
    print_error_kinds(view.run, console)

    if view.flaky:
        console.print(Text(f"Flaky across repeats ({len(view.flaky)})", style="bold yellow"))
        for s in view.flaky:
            console.print(Text(f"  ~ {s.scenario_id}: {s.passed}/{s.trials} passed, Wilson lower {s.wilson_lower:.3f}"))
            for a in s.answers:
                console.print(Text(f"      {answer_text(a)}"))

    _render_totals(view, console)
    style = {"PASSED": "bold green", "INCOMPLETE": "bold yellow"}.get(view.status, "bold red")
    tail = Text.assemble(
        (view.status, style),
        f": {m.passed} passed, {m.failed_safety} safety failure(s), {m.failed_quality} quality failure(s), "
        f"{m.errors} error(s)",
    )
    if not run.complete:
        tail.append(f"; {len({c.scenario_id for c in run.cases})} of {run.selected} selected scenario(s) finished")
    if run.not_run:
        tail.append(f"; {len(run.not_run)} not run")
    console.print(tail)


def print_summary(
    run: RunResult, guideline: GuidelineIndex, stream: TextIO, *, max_failures: int | None = DEFAULT_MAX_FAILURES
) -> None:
    """Print the scores, the rule tables, the non-passing trials most harmful first, and the totals.

    The first ``max_failures`` trials are shown with expected vs given and their
    sources, the rest one line each; ``None`` shows every one in detail.
    """
    _render(build_view(run, guideline), _console(stream), max_failures)


def render_console(run: RunResult, guideline: GuidelineIndex, *, max_failures: int | None = None) -> str:
    """The same summary as plain text (for ``--report console:FILE``; every failure in detail by default)."""
    buffer = io.StringIO()
    _render(build_view(run, guideline), _console(buffer, plain=True), max_failures)
    return buffer.getvalue()
