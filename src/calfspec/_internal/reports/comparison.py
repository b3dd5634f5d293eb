"""Reports of a :class:`~calfspec._internal.compare.Comparison`: console text, JSON and Markdown.

``calfspec compare --report FORMAT:PATH`` accepts ``console``, ``json`` and
``md``; a comparison has no JUnit or HTML form (render the current run itself
for those, with ``calfspec report render``).
"""

from __future__ import annotations

import json
from typing import TextIO

from ..compare import Change, Comparison
from ..errors import InputError
from . import ReportFormat, ReportSpec, atomic_write_text
from ._common import pct
from .markdown import md_code, md_text

__all__ = ["COMPARISON_FORMATS", "render_comparison", "write_comparison"]

COMPARISON_FORMATS = (ReportFormat.CONSOLE, ReportFormat.JSON, ReportFormat.MARKDOWN)


def _gate_line(c: Comparison) -> str:
    if not c.gate_failed:
        return "gate: ok (no new safety failure, no new error on a red-flag scenario, current run complete)"
    parts = []
    if c.new_safety_failures:
        parts.append(f"{len(c.new_safety_failures)} new safety failure(s)")
    if c.new_red_flag_errors:
        parts.append(f"{len(c.new_red_flag_errors)} new error(s) on red-flag scenarios")
    if c.current_incomplete:
        parts.append("the current run is incomplete, so what it did not finish is unchecked")
    return "gate: FAILED: " + ", ".join(parts)


def _ccs(c: Comparison) -> str:
    scores = ", ".join(f"{label} {'n/a' if v is None else f'{v:.1f}'}" for label, v in c.capability)
    return f"{scores} (0..100; 2 systems, Kopka et al. advise at least 4)"


def _change(ch: Change) -> str:
    return f"{ch.scenario_id}: {ch.describe()}{' [red flag]' if ch.red_flag else ''}"


def _text(c: Comparison) -> str:
    b, cur = c.baseline, c.current
    lines = [
        f"calfspec compare: baseline {b.implementation} ({len(b.cases)} trial(s)) -> "
        f"current {cur.implementation} ({len(cur.cases)} trial(s))"
    ]
    lines += [f"warning: {w}" for w in c.warnings]
    sections: list[tuple[str, list[str]]] = [
        ("Regressions", [_change(ch) for ch in c.regressions]),
        ("Newly flaky", list(c.newly_flaky)),
        ("Fixed", [_change(ch) for ch in c.fixed]),
        ("Added scenarios", list(c.added)),
        ("Removed scenarios", list(c.removed)),
        (
            "Scores that moved",
            [
                f"{d.name}: {pct(d.baseline)} -> {pct(d.current)}"
                + ("" if d.better is None else " (better)" if d.better else " (worse)")
                for d in c.metrics
            ],
        ),
    ]
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    if c.capability:
        lines.append(f"Capability comparison score: {_ccs(c)}")
    lines.append(_gate_line(c))
    return "\n".join(lines) + "\n"


def _json(c: Comparison) -> str:
    def change(ch: Change) -> dict[str, object]:
        return {
            "scenario_id": ch.scenario_id,
            "baseline": ch.baseline.label if ch.baseline is not None else None,
            "current": ch.current.label if ch.current is not None else None,
            "red_flag": ch.red_flag,
        }

    doc = {
        "kind": "calfspec-comparison",
        "format_version": "1",
        "baseline": {"implementation": c.baseline.implementation, "guideline_version": c.baseline.guideline_version},
        "current": {"implementation": c.current.implementation, "guideline_version": c.current.guideline_version},
        "gate_failed": c.gate_failed,
        "current_complete": not c.current_incomplete,
        "new_safety_failures": list(c.new_safety_failures),
        "new_red_flag_errors": list(c.new_red_flag_errors),
        "regressions": [change(ch) for ch in c.regressions],
        "fixed": [change(ch) for ch in c.fixed],
        "newly_flaky": list(c.newly_flaky),
        "added": list(c.added),
        "removed": list(c.removed),
        "metrics": [
            {"name": d.name, "baseline": d.baseline, "current": d.current, "better": d.better} for d in c.metrics
        ],
        "capability_comparison_score": dict(c.capability),
        "warnings": list(c.warnings),
    }
    return json.dumps(doc, indent=2) + "\n"


def _markdown(c: Comparison) -> str:
    icon = "❌" if c.gate_failed else "✅"
    out = [f"## {icon} calfspec compare", "", md_text(_gate_line(c)), ""]
    out += [f"> **Warning:** {md_text(w)}" for w in c.warnings]
    if c.warnings:
        out.append("")
    if c.regressions:
        out += ["### Regressions", "", "| Scenario | Baseline | Current | Red flag |", "|---|---|---|---|"]
        for ch in c.regressions:
            out.append(
                f"| {md_code(ch.scenario_id)} | {ch.baseline.label if ch.baseline is not None else '(absent)'} | "
                f"**{ch.current.label if ch.current is not None else '(absent)'}** | {'yes' if ch.red_flag else ''} |"
            )
        out.append("")
    if c.newly_flaky:
        out += ["### Newly flaky", ""] + [f"- {md_code(s)}" for s in c.newly_flaky] + [""]
    if c.metrics:
        out += ["### Scores that moved", "", "| Score | Baseline | Current | |", "|---|---:|---:|---|"]
        for d in c.metrics:
            verdict = "" if d.better is None else "better" if d.better else "**worse**"
            out.append(f"| {md_text(d.name)} | {pct(d.baseline)} | {pct(d.current)} | {verdict} |")
        out.append("")
    if c.capability:
        out += [f"**Capability comparison score:** {md_text(_ccs(c))}", ""]
    if c.fixed:
        out += ["### Fixed", ""] + [f"- {md_code(ch.scenario_id)}: {ch.describe()}" for ch in c.fixed] + [""]
    for title, ids in (("Added scenarios", c.added), ("Removed scenarios", c.removed)):
        if ids:
            out += [f"### {title}", "", ", ".join(md_code(s) for s in ids), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render_comparison(fmt: ReportFormat, comparison: Comparison) -> str:
    """The comparison in ``fmt``; :class:`InputError` for a format comparisons do not have."""
    if fmt is ReportFormat.CONSOLE:
        return _text(comparison)
    if fmt is ReportFormat.JSON:
        return _json(comparison)
    if fmt is ReportFormat.MARKDOWN:
        return _markdown(comparison)
    raise InputError(
        f"a comparison has no {fmt.value} report",
        code="bad-report-spec",
        hint="use console, json or md with compare; for JUnit/HTML of a run use `calfspec report render`",
    )


def write_comparison(spec: ReportSpec, comparison: Comparison, *, stdout: TextIO, stderr: TextIO) -> None:
    """Write one comparison report: bare ``console`` to ``stderr``, ``-`` to ``stdout``, else atomically to the file.

    As for a run, ``console:-`` is stdout like every other format's ``-``.
    """
    text = render_comparison(spec.format, comparison)
    if spec.path is None:
        stream = stderr if spec.format is ReportFormat.CONSOLE and spec.stderr else stdout
        stream.write(text)
        stream.flush()
        return
    atomic_write_text(spec.path, text)
