"""The JUnit XML report, for GitLab, Jenkins and any CI that reads test results.

It validates against the schema Jenkins' xUnit plugin uses (``junit-10.xsd``):

* one ``<testsuite>`` per run inside ``<testsuites>``, with ``<properties>``
  naming the implementation, guideline id and version, protocol version,
  calfspec version, repeat, shard and whether the run was complete, and the
  headline scores as ``metrics.<field>`` (the field names of the JSON report's
  ``metrics``, e.g. ``metrics.in_range_rate``, ``metrics.exact_accuracy``; a
  rate is a number from 0 to 1, empty when it has no denominator);
* one ``<testcase>`` per trial: ``name`` is the scenario id (with
  ``[repeat k/N]`` under ``--repeat``), ``classname`` is ``calfspec.<first tag>``
  so CI tools group cases by theme;
* a failed trial has one ``<failure type="safety|quality">`` whose text lists
  every unmet expectation as expected vs given plus the cited claims; an error
  trial has ``<error type="CODE">`` with the error's stable code
  (``implementation-timeout``, ``implementation-crashed``, ``invalid-json``, ...);
* a case never sent (the implementation had been given up on) is a test case
  with ``<error type="not-run">`` in class ``calfspec.not-run``;
* an incomplete run (interrupted, or merged with a shard missing) gets one more
  test case, ``calfspec: run incomplete``, with ``<error type="incomplete">``:
  a CI view of the file would otherwise show only the cases that finished, all
  green, and hide that the rest never ran.

Text from implementations can hold characters XML 1.0 forbids (control bytes
in a model's reply); they are replaced, because one stray byte would make the
whole file unreadable to the CI.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

from ..metrics import compute_metrics
from ..models.results import CaseResult, RunResult, Severity, Verdict
from ._common import case_name

__all__ = ["INCOMPLETE_CASE", "render_junit", "xml_safe"]

INCOMPLETE_CASE = "calfspec: run incomplete"
"""Name of the extra error test case that marks an incomplete run."""

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Replace characters XML 1.0 cannot carry with U+FFFD."""
    return _ILLEGAL.sub("\ufffd", text)


def _seconds(ms: float) -> str:
    # A hand-edited result can carry NaN or infinity; "nan" is not a time any CI parses.
    return f"{max(ms, 0.0) / 1000:.3f}" if math.isfinite(ms) else "0.000"


def _timestamp(when: dt.datetime) -> str:
    # JUnit timestamps are ISO 8601 without a zone; calfspec's are UTC.
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.replace(microsecond=0, tzinfo=None).isoformat()


def _failure_text(case: CaseResult) -> str:
    lines = []
    for f in case.failures:
        lines.append(f"{f.severity.value}: {f.message}")
        lines.append(f"  expected: {f.expected}")
        lines.append(f"  given:    {f.given}")
    if case.decision is not None and case.decision.rationale:
        lines.append(f"rationale: {case.decision.rationale}")
    if case.claims:
        lines.append("expectation based on claims: " + ", ".join(case.claims))
    return "\n".join(lines)


def _testcase(parent: ET.Element, case: CaseResult, run: RunResult) -> None:
    classname = f"calfspec.{case.tags[0]}" if case.tags else "calfspec"
    tc = ET.SubElement(
        parent,
        "testcase",
        {
            "name": xml_safe(case_name(case, run.repeat)),
            "classname": xml_safe(classname),
            "time": _seconds(case.elapsed_ms),
        },
    )
    if case.verdict is Verdict.FAIL:
        severity = case.severity or Severity.SAFETY
        first = case.failures[0].message if case.failures else "failed"
        more = f" (+{len(case.failures) - 1} more)" if len(case.failures) > 1 else ""
        el = ET.SubElement(tc, "failure", {"type": severity.value, "message": xml_safe(first + more)})
        el.text = xml_safe(_failure_text(case))
    elif case.verdict is Verdict.ERROR:
        message = case.error or "no valid answer"
        # The stable code (implementation-timeout, implementation-crashed, ...), so CI can tell them apart.
        kind = case.error_code or "implementation-error"
        el = ET.SubElement(tc, "error", {"type": xml_safe(kind), "message": xml_safe(message)})
        el.text = xml_safe(message + ("\nraw reply: " + case.raw_reply if case.raw_reply else ""))
    if case.decision is not None and case.verdict is not Verdict.PASS:
        out = ET.SubElement(tc, "system-out")
        out.text = xml_safe(case.decision.model_dump_json(indent=2, exclude_defaults=True))


METRIC_PROPERTIES = (
    "pass_rate",
    "in_range_rate",
    "exact_accuracy",
    "safe_rate",
    "under_triage_rate",
    "over_triage_rate",
    "error_rate",
    "emergency_sensitivity",
    "safety_of_advice",
    "comprehensiveness",
    "inclination_to_overtriage",
)
"""Metrics fields written as ``metrics.<field>`` suite properties."""


def render_junit(run: RunResult) -> str:
    """The JUnit XML document as text (UTF-8 declared)."""
    failures = sum(1 for c in run.cases if c.verdict is Verdict.FAIL)
    errors = sum(1 for c in run.cases if c.verdict is Verdict.ERROR)
    tests = len(run.cases) + len(run.not_run)
    errors += len(run.not_run)
    if not run.complete:
        tests, errors = tests + 1, errors + 1
    elapsed = _seconds((run.finished_at - run.started_at).total_seconds() * 1000)
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
    root = ET.Element("testsuites", {"name": "calfspec", "time": elapsed, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": xml_safe(f"calfspec: {run.implementation}"),
            **counts,
            "skipped": "0",
            "time": elapsed,
            "timestamp": _timestamp(run.started_at),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("implementation", run.implementation),
        ("guideline.id", run.guideline_id),
        ("guideline.version", run.guideline_version),
        ("protocol.version", run.protocol_version),
        ("calfspec.version", run.calfspec_version),
        ("result.format_version", run.format_version),
        ("repeat", str(run.repeat)),
        ("shard", run.shard or ""),
        ("complete", "true" if run.complete else "false"),
        ("selected", str(run.selected)),
    ):
        ET.SubElement(props, "property", {"name": name, "value": xml_safe(value)})
    metrics = compute_metrics(run)
    for field in METRIC_PROPERTIES:
        rate = getattr(metrics, field)
        ET.SubElement(props, "property", {"name": f"metrics.{field}", "value": "" if rate is None else repr(rate)})
    info = run.implementation_info
    if info is not None:  # what the implementation said about itself, and whether replies came from a cache
        extra: list[tuple[str, str | None]] = [
            ("implementation.reported_name", info.name),
            ("implementation.reported_version", info.version),
        ]
        if info.cache is not None:
            extra += [("cache.dir", info.cache), ("cache.hits", str(info.cache_hits))]
        if info.usage is not None:
            extra += [("usage.total_tokens", str(info.usage.total_tokens))]
            if info.usage.estimated_cost is not None:
                extra += [("usage.estimated_cost_usd", repr(info.usage.estimated_cost))]
        for key, text in extra:
            if text is not None:
                ET.SubElement(props, "property", {"name": key, "value": xml_safe(text)})
    for case in run.cases:
        _testcase(suite, case, run)
    for missed in run.not_run:
        # Never sent: not the implementation's error, but no green either.
        name = missed.scenario_id + (f" [repeat {missed.repeat + 1}/{run.repeat}]" if run.repeat > 1 else "")
        tc = ET.SubElement(
            suite, "testcase", {"name": xml_safe(name), "classname": "calfspec.not-run", "time": "0.000"}
        )
        text = xml_safe(f"not run: {missed.reason}")
        ET.SubElement(tc, "error", {"type": "not-run", "message": text}).text = text
    if not run.complete:
        finished = len({c.scenario_id for c in run.cases})
        message = (
            f"the run is incomplete (interrupted, or a shard is missing): {finished} of {run.selected} selected "
            "scenario(s) have results; the cases that did not run are not in this report"
        )
        tc = ET.SubElement(suite, "testcase", {"name": INCOMPLETE_CASE, "classname": "calfspec", "time": "0.000"})
        ET.SubElement(tc, "error", {"type": "incomplete", "message": message}).text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
