"""The Markdown report, sized for a pull-request comment.

A status line, then **every under-triaged emergency** in one table (before any
size cap: these are what a reviewer must not miss), the scores and rule
tables, then the non-passing trials most harmful first
(:func:`calfspec._internal.reports._common.harm_key`), each tagged ``[safety]``,
``[quality]`` or ``[error]`` with an expected/given table and its evidence
folded into ``<details>``.

There are no ``diff`` blocks: GitHub colours ``+`` lines green, which would
show the wrong answer as the good one. Text from implementations is escaped
(``<``, ``&``, ``|``, backticks) so a reply cannot inject HTML or break a
table; code blocks use a fence longer than any backtick run inside. Comment
size is limited (GitHub: 65,536 characters), so at most :data:`MAX_CASES` cases
are detailed, and fewer when their evidence would take the document past
:data:`MAX_CHARS`; the rest are listed one line each while room lasts, then
counted.
"""

from __future__ import annotations

import re

from ..guideline import GuidelineIndex
from ..models.results import RunResult
from ..words import md_text
from ._common import CaseView, answer_text, build_view, implementation_notes, pct

__all__ = ["MAX_CASES", "MAX_CHARS", "md_code", "md_text", "render_markdown"]

MAX_CASES = 50
"""How many non-passing trials are shown in full; the rest are counted."""

MAX_CHARS = 60_000
"""Size the document stays within, below GitHub's 65,536-character comment limit."""

_ICON = {"PASSED": "✅", "INCOMPLETE": "⚠️", "FAILED": "❌"}


def md_code(text: str) -> str:
    """Inline code that survives backticks inside."""
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fence(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _case(cv: CaseView) -> list[str]:
    out = [f"#### ✗ \\[{cv.tag}\\] {md_code(cv.name)}: {cv.status}", ""]
    out += ["| Severity | What | Expected | Given |", "|---|---|---|---|"]
    for line in cv.lines:
        out.append(f"| {line.severity} | {md_text(line.message)} | {md_text(line.expected)} | {md_text(line.given)} |")
    out.append("")
    if cv.evidence:
        out += [f"<details><summary>Why this is expected ({len(cv.evidence)} claim(s))</summary>", ""]
        for ev in cv.evidence:
            if ev.statement is None:
                out.append(f"- {md_code(ev.claim_id)}: claim not in the loaded guideline")
                continue
            out.append(f"- {md_code(ev.claim_id)} ({ev.basis}): {md_text(ev.statement)}")
            for c in ev.citations:
                out.append(f"  - {md_text(c.source_title)}, *{md_text(c.section)}*: “{md_text(c.excerpt)}”")
        out += ["", "</details>", ""]
    decision = cv.case.decision
    if decision is not None and decision.rationale:
        out += ["<details><summary>Rationale given</summary>", "", _fence(decision.rationale), "", "</details>", ""]
    return out


def render_markdown(run: RunResult, guideline: GuidelineIndex) -> str:
    """The Markdown document."""
    view = build_view(run, guideline)
    m = view.metrics
    icon = _ICON[view.status.split()[0]]
    out = [
        f"## {icon} calfspec: {view.status}",
        "",
        f"{md_code(run.implementation)} against **{md_text(run.guideline_id)} {md_text(run.guideline_version)}** "
        f"(protocol {md_text(run.protocol_version)}, calfspec {md_text(run.calfspec_version)}): "
        f"{m.scenarios} scenario(s), {m.trials} trial(s)"
        + (f", repeat {run.repeat}" if run.repeat > 1 else "")
        + (f", shard {md_text(run.shard)}" if run.shard else "")
        + ("" if run.complete else f", **incomplete** ({len({c.scenario_id for c in run.cases})} of {run.selected})"),
        "",
        f"| passed | safety failures | quality failures | errors |\n|---:|---:|---:|---:|\n"
        f"| {m.passed} | {m.failed_safety} | {m.failed_quality} | {m.errors} |",
        "",
    ]
    notes = implementation_notes(run)
    if notes:
        out += [*(f"> {md_text(n)}" for n in notes), ""]
    if view.guideline_note:
        out += [f"> **Note:** {md_text(view.guideline_note)}", ""]
    out += _emergency_misses(view.emergency_misses)
    out += ["### Scores", "", "| Measure | Value | Count | Meaning |", "|---|---:|---:|---|"]
    out += [f"| {f.label} | {f.value} | {f.detail} | {f.meaning} |" for f in view.figures]
    out.append("")
    for title, scores in (("Red flags", view.red_flags), ("Other rules", view.other_rules)):
        if not scores:
            continue
        out += [
            f"### {title}",
            "",
            "| Rule | Positive pass | Under-triaged | Near-miss pass |",
            "|---|---:|---:|---:|",
        ]
        for s in scores:
            p, n = s.positive, s.near_miss
            out.append(
                f"| {md_code(s.rule)} | "
                + (f"{p.passed}/{p.total} ({pct(p.pass_rate)})" if p.total else "–")
                + f" | {'**' + str(s.under_triaged) + '**' if s.under_triaged else 0} | "
                + (f"{n.passed}/{n.total} ({pct(n.pass_rate)})" if n.total else "–")
                + " |"
            )
        out.append("")
    from ._perturb import markdown_lines

    out += markdown_lines(run)
    flaky_lines: list[str] = []
    if view.flaky:
        flaky_lines += [f"### Flaky across repeats ({len(view.flaky)})", ""]
        for flaky in view.flaky:
            answers = "; ".join(md_text(answer_text(a)) for a in flaky.answers)
            flaky_lines.append(
                f"- {md_code(flaky.scenario_id)}: {flaky.passed}/{flaky.trials} passed, "
                f"Wilson lower {flaky.wilson_lower:.3f}; answers: {answers}"
            )
        flaky_lines.append("")
    if view.failing:
        out += [f"### Not passing ({len(view.failing)}), most harmful first", ""]
        # Room left for case details: the fixed parts, plus the "...and N more" line (200 is ample).
        room = MAX_CHARS - _size(out) - _size(flaky_lines) - 200
        # Keep room for one line per case the details leave out (up to a quarter of the comment),
        # so a long run still names every failure rather than counting them.
        reserve = min(sum(len(md_text(cv.one_line())) + 3 for cv in view.failing), MAX_CHARS // 4)
        shown = 0
        for cv in view.failing[:MAX_CASES]:
            lines = _case(cv)
            if _size(lines) > room - reserve:
                break
            out += lines
            room -= _size(lines)
            shown += 1
        listed = shown
        rest = view.failing[shown:]
        if rest:
            brief = ["Not detailed here, one line each:", ""]
            room -= _size(brief)
            for cv in rest:
                line = f"- {md_text(cv.one_line())}"
                if len(line) + 1 > room:
                    break
                brief.append(line)
                room -= len(line) + 1
                listed += 1
            if len(brief) > 2:
                out += [*brief, ""]
        if listed < len(view.failing):
            out += [f"*…and {len(view.failing) - listed} more; see the HTML or JSON report.*", ""]
    out += flaky_lines
    return "\n".join(out).rstrip("\n") + "\n"


def _emergency_misses(misses: tuple[CaseView, ...]) -> list[str]:
    """Every under-triaged emergency, one table row each; within MAX_CHARS / 2 however many there are."""
    if not misses:
        return []
    out = [
        f"### ⛔ Under-triaged emergencies ({len(misses)})",
        "",
        "Expected emergency care, answered with less. Each one is a safety failure.",
        "",
        "| Scenario | Expected | Given | Levels under |",
        "|---|---|---|---:|",
    ]
    budget = MAX_CHARS // 2 - _size(out)
    for n, cv in enumerate(misses):
        given = cv.case.given.value if cv.case.given is not None else "?"
        row = f"| {md_code(cv.name)} | {cv.case.expected_min.value} | {given} | {cv.under_by} |"
        if len(row) + 1 > budget:  # thousands of them: say how many are left out, never drop silently
            out += ["", f"*…and {len(misses) - n} more under-triaged emergencies; see the HTML or JSON report.*"]
            break
        out.append(row)
        budget -= len(row) + 1
    return [*out, ""]


def _size(lines: list[str]) -> int:
    """Characters ``lines`` take once joined with newlines."""
    return sum(len(line) + 1 for line in lines)
