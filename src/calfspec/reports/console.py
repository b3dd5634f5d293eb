"""The human report on the terminal: a progress bar while running, then the summary.

Both write to the stream they are given (stderr in the CLI, so machine output
on stdout stays clean). Colour and the live progress bar appear only when that
stream is a terminal; piped into a CI log the summary is plain text. Every
string that comes from an implementation is rendered as :class:`rich.text.Text`,
never as markup, so a reply containing ``[bold]`` is shown as typed.
"""

from __future__ import annotations

import io
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..models.results import CaseResult, Verdict
from ._common import ReportView, answer_text, build_view, pct

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from ..guideline import GuidelineIndex
    from ..models.results import RunResult

__all__ = ["ConsoleProgress", "print_summary", "render_console"]

_STATUS_STYLE = {"safety failure": "bold red", "error": "bold magenta", "quality failure": "yellow", "pass": "green"}


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
    """A progress bar over ``total`` trials, shown only when ``stream`` is a terminal.

    Use as a context manager and call :meth:`advance` with each finished
    :class:`CaseResult`. The running counts (``passed``, ``failed``, ``errors``)
    are kept either way, so callers can read them after the run.
    """

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.passed = 0
        self.failed = 0
        self.errors = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @property
    def enabled(self) -> bool:
        """Whether a live bar is drawn (a terminal, and something to run)."""
        return self._progress is not None

    def __enter__(self) -> ConsoleProgress:
        console = _console(self.stream)
        if console.is_terminal and self.total > 0:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]calfspec[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _render(view: ReportView, console: Console) -> None:
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

    if view.failing:
        console.print(Text(f"Not passing ({len(view.failing)})", style="bold"))
    for cv in view.failing:
        console.print(Text.assemble("  ✗ ", (cv.name, "bold"), "  ", (cv.status, _STATUS_STYLE[cv.status])))
        for line in cv.lines:
            console.print(Text(f"      {line.message}"))
            console.print(Text.assemble("        expected: ", (line.expected, "green")))
            console.print(Text.assemble("        given:    ", (line.given, "red")))
        for ev in cv.evidence:
            if ev.statement is None:
                console.print(Text(f"      because {ev.claim_id}: (claim not in the loaded guideline)", style="dim"))
                continue
            console.print(Text.assemble("      because ", (ev.claim_id, "cyan"), f" ({ev.basis}): {ev.statement}"))
            for c in ev.citations:
                console.print(Text(f'        {c.source} § {c.section}: "{c.excerpt}"', style="dim"))

    if view.flaky:
        console.print(Text(f"Flaky across repeats ({len(view.flaky)})", style="bold yellow"))
        for s in view.flaky:
            console.print(Text(f"  ~ {s.scenario_id}: {s.passed}/{s.trials} passed, Wilson lower {s.wilson_lower:.3f}"))
            for a in s.answers:
                console.print(Text(f"      {answer_text(a)}"))

    style = {"PASSED": "bold green", "INCOMPLETE": "bold yellow"}.get(view.status, "bold red")
    tail = Text.assemble(
        (view.status, style),
        f": {m.passed} passed, {m.failed_safety} safety failure(s), {m.failed_quality} quality failure(s), "
        f"{m.errors} error(s)",
    )
    if not run.complete:
        tail.append(f"; {len({c.scenario_id for c in run.cases})} of {run.selected} selected scenario(s) finished")
    console.print(tail)


def print_summary(run: RunResult, guideline: GuidelineIndex, stream: TextIO) -> None:
    """Print the scores, the red-flag table, every non-passing trial with expected vs given and its sources."""
    _render(build_view(run, guideline), _console(stream))


def render_console(run: RunResult, guideline: GuidelineIndex) -> str:
    """The same summary as plain text (for ``--report console:FILE``)."""
    buffer = io.StringIO()
    _render(build_view(run, guideline), _console(buffer, plain=True))
    return buffer.getvalue()
