"""The Markdown report, sized for a pull-request comment.

A status line, the scores, the red-flag table, then each non-passing trial with
a ``diff`` block (expected ``-``, given ``+``) and its evidence folded into
``<details>``. Text from implementations is escaped (``<``, ``&``, ``|``,
backticks) so a reply cannot inject HTML or break a table; code blocks use a
fence longer than any backtick run inside. Comment size is limited (GitHub:
65,536 characters), so at most :data:`MAX_CASES` cases are detailed, and fewer
when their evidence would take the document past :data:`MAX_CHARS`; the rest
are counted.
"""

from __future__ import annotations

import html
import re

from ..guideline import GuidelineIndex
from ..models.results import RunResult
from ._common import CaseView, answer_text, build_view, pct

__all__ = ["MAX_CASES", "MAX_CHARS", "render_markdown"]

MAX_CASES = 50
"""How many non-passing trials are shown in full; the rest are counted."""

MAX_CHARS = 60_000
"""Size the document stays within, below GitHub's 65,536-character comment limit."""

_ICON = {"PASSED": "✅", "INCOMPLETE": "⚠️", "FAILED": "❌"}


def md_text(text: str) -> str:
    """Escape text for Markdown outside code: no HTML, no table breaks, no stray emphasis or links."""
    text = html.escape(text, quote=False).replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def md_code(text: str) -> str:
    """Inline code that survives backticks inside."""
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _fence(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _case(cv: CaseView) -> list[str]:
    out = [f"#### ✗ {md_code(cv.name)}: {cv.status}", ""]
    diff = []
    for line in cv.lines:
        # One line each, so a multi-line reply cannot escape its -/+ prefix.
        diff.append(f"# {_one_line(line.message)}")
        diff.append(f"- expected: {_one_line(line.expected)}")
        diff.append(f"+ given:    {_one_line(line.given)}")
    out += [_fence("\n".join(diff), "diff"), ""]
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
    if view.guideline_note:
        out += [f"> **Note:** {md_text(view.guideline_note)}", ""]
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
        out += [f"### Not passing ({len(view.failing)})", ""]
        # Room left for case details: the fixed parts, plus the "...and N more" line (200 is ample).
        room = MAX_CHARS - _size(out) - _size(flaky_lines) - 200
        shown = 0
        for cv in view.failing[:MAX_CASES]:
            lines = _case(cv)
            if _size(lines) > room:
                break
            out += lines
            room -= _size(lines)
            shown += 1
        if shown < len(view.failing):
            out += [f"*…and {len(view.failing) - shown} more; see the HTML or JSON report.*", ""]
    out += flaky_lines
    return "\n".join(out).rstrip("\n") + "\n"


def _size(lines: list[str]) -> int:
    """Characters ``lines`` take once joined with newlines."""
    return sum(len(line) + 1 for line in lines)
