"""Release gating: compare a current run with a baseline run.

:func:`compare_runs` lists, per scenario, what got worse (``regressions``) or
better (``fixed``), which scores moved (with both values), which scenarios are
newly flaky, and which were added or dropped. A scenario's state across its
repeats is its worst trial, ordered by harm::

    pass < quality failure < error < safety failure

**The gate** (:attr:`Comparison.gate_failed`, exit 1 from ``calfspec compare``)
fails on:

* any *new safety failure*: a scenario in safety-failure state now that was not
  in the baseline (this includes scenarios the baseline did not have: a new
  golden case that the system fails is still a safety failure);
* any *new error on a red-flag scenario* (one whose ``covers.red_flags`` names
  a red-flag rule of the guideline): a system that crashes or times out when
  the patient has a red flag gives them no advice at all, which is as unsafe as
  wrong advice;
* an *incomplete current run* (interrupted, or merged with a shard missing):
  the scenarios it did not finish cannot be shown not to have regressed, so
  the gate cannot pass on it.

Errors on other scenarios, quality regressions and moved scores are listed
but do not fail the gate.

**The run gate** (:func:`gate`, exit 1 from ``calfspec run``) judges one run on
its own: any error, any failure at or above ``fail_on``, any case not run, and
with ``min_pass_rate`` any red-flag scenario whose Wilson lower bound is below
it. With a ``baseline`` it is a ratchet: failures the baseline already had are
tolerated, and the comparison gate above is added.

Comparing results of different ``format_version`` is refused
(:class:`~calfspec._internal.errors.InputError`, exit 4); a different guideline,
protocol or implementation is only a warning, since comparing versions is the
point of the exercise. :func:`load_run_result` reads the older format 1 too,
upgrading it in memory (its stored metrics, named before the rename to
``in_range_rate``, are dropped and recomputed), so a baseline written by an
older calfspec still compares.

Beside the moved scores, the comparison carries Kopka et al.'s *capability
comparison score* of both runs (:func:`calfspec._internal.metrics.capability_comparison_scores`),
which weighs each scenario by how hard the two runs found it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError

from ._io import read_user_text
from .errors import InputError, ValidationFailed
from .metrics import below_min_pass_rate, capability_comparison_scores, case_stats, compute_metrics
from .models._base import Model
from .models.results import (
    READABLE_RESULT_FORMATS,
    RESULT_FORMAT_VERSION,
    CaseResult,
    Metrics,
    RunResult,
    Severity,
    Verdict,
)

if TYPE_CHECKING:
    from .guideline import GuidelineIndex

__all__ = [
    "MAX_RESULT_BYTES",
    "Change",
    "Comparison",
    "GateResult",
    "MetricDelta",
    "State",
    "case_state",
    "compare_runs",
    "counts_against",
    "gate",
    "load_run_result",
    "scenario_states",
]


MAX_RESULT_BYTES = 1 << 30
"""Largest JSON result read back (1 GiB: about 100,000 trials with full transcripts)."""


class State(IntEnum):
    """A scenario's worst outcome across its trials; larger is worse."""

    PASS = 0
    QUALITY = 1
    ERROR = 2
    SAFETY = 3

    @property
    def label(self) -> str:
        """Human wording."""
        return {0: "pass", 1: "quality failure", 2: "error", 3: "safety failure"}[self.value]


def case_state(case: CaseResult) -> State:
    """One trial's state: pass, quality failure, error or safety failure (a failure without a severity is safety)."""
    if case.verdict is Verdict.PASS:
        return State.PASS
    if case.verdict is Verdict.ERROR:
        return State.ERROR
    return State.QUALITY if case.severity is Severity.QUALITY else State.SAFETY


def scenario_states(run: RunResult) -> dict[str, State]:
    """Each scenario's worst state over its trials, in order of first appearance."""
    out: dict[str, State] = {}
    for case in run.cases:
        state = case_state(case)
        out[case.scenario_id] = max(out.get(case.scenario_id, State.PASS), state)
    return out


@dataclass(frozen=True)
class Change:
    """A scenario whose state differs between the runs (``None``: not in that run)."""

    scenario_id: str
    baseline: State | None
    current: State | None
    red_flag: bool

    def describe(self) -> str:
        """``pass -> safety failure``."""
        before = self.baseline.label if self.baseline is not None else "(absent)"
        after = self.current.label if self.current is not None else "(absent)"
        return f"{before} -> {after}"


@dataclass(frozen=True)
class MetricDelta:
    """A score that moved: both values and whether the move is for the better."""

    name: str
    baseline: float | None
    current: float | None
    better: bool | None  # None when one side has no value


# Scores compared between runs; True when a higher value is better.
_HEADLINE: tuple[tuple[str, bool], ...] = (
    ("pass_rate", True),
    ("in_range_rate", True),
    ("exact_accuracy", True),
    ("safe_rate", True),
    ("safety_of_advice", True),
    ("comprehensiveness", True),
    ("under_triage_rate", False),
    ("over_triage_rate", False),
    ("error_rate", False),
    ("emergency_sensitivity", True),
)


@dataclass(frozen=True)
class Comparison:
    """Everything ``calfspec compare`` reports."""

    baseline: RunResult
    current: RunResult
    regressions: tuple[Change, ...]
    fixed: tuple[Change, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    new_safety_failures: tuple[str, ...]
    new_red_flag_errors: tuple[str, ...]
    newly_flaky: tuple[str, ...]
    metrics: tuple[MetricDelta, ...]
    warnings: tuple[str, ...]
    capability: tuple[tuple[str, float | None], ...] = ()
    """Capability comparison score (0..100) of ``baseline`` and ``current``; empty when neither has a
    scenario with an expected level. Two systems only: Kopka et al. advise at least four for a reliable score."""

    @property
    def current_incomplete(self) -> bool:
        """The current run did not finish every selected scenario."""
        return not self.current.complete

    @property
    def gate_failed(self) -> bool:
        """True on any new safety failure, new error on a red-flag scenario, or an incomplete current run."""
        return bool(self.new_safety_failures or self.new_red_flag_errors or self.current_incomplete)


def _rate_deltas(base: Metrics, cur: Metrics) -> list[MetricDelta]:
    out = []
    for name, higher_better in _HEADLINE:
        b, c = getattr(base, name), getattr(cur, name)
        out.extend(_delta(name, b, c, higher_better))
    base_rules = {s.rule: s.positive.pass_rate for s in base.rules}
    for score in cur.rules:
        if score.rule in base_rules:
            out.extend(_delta(f"rule:{score.rule}", base_rules[score.rule], score.positive.pass_rate, True))
    return out


def _delta(name: str, b: float | None, c: float | None, higher_better: bool) -> list[MetricDelta]:
    if b is None and c is None:
        return []
    if b is not None and c is not None:
        if abs(b - c) < 1e-9:
            return []
        return [MetricDelta(name, b, c, (c > b) == higher_better)]
    return [MetricDelta(name, b, c, None)]


def compare_runs(baseline: RunResult, current: RunResult, guideline: GuidelineIndex | None = None) -> Comparison:
    """Compare two runs; raise :class:`InputError` if their result formats differ.

    With ``guideline``, a *red-flag scenario* is one whose ``covers.red_flags``
    names a red-flag rule of that guideline. Without it, any scenario covering a
    rule counts, which can only make the gate stricter.
    """
    if baseline.format_version != current.format_version:
        raise InputError(
            f"cannot compare result format {baseline.format_version!r} (baseline) with "
            f"{current.format_version!r} (current)",
            code="result-format-mismatch",
            hint="re-create the baseline with this calfspec version (calfspec run ... --report json:FILE)",
        )
    warnings: list[str] = []
    for what, b, c in (
        (
            "guideline",
            f"{baseline.guideline_id} {baseline.guideline_version}",
            f"{current.guideline_id} {current.guideline_version}",
        ),
        ("protocol version", baseline.protocol_version, current.protocol_version),
        ("implementation", baseline.implementation, current.implementation),
    ):
        if b != c:
            warnings.append(f"{what} differs: baseline {b}, current {c}")
    for label, run in (("baseline", baseline), ("current", current)):
        if not run.complete:
            warnings.append(f"the {label} run is incomplete; scenarios it did not finish show as added/removed")
        if run.shard:
            warnings.append(f"the {label} run is shard {run.shard}; merge shards first (calfspec report merge)")

    before, after = scenario_states(baseline), scenario_states(current)
    red_ids = {r.id for r in guideline.red_flags} if guideline is not None else None
    red_flag = {
        c.scenario_id
        for run in (baseline, current)
        for c in run.cases
        if (set(c.red_flags) & red_ids if red_ids is not None else c.red_flags)
    }
    regressions: list[Change] = []
    fixed: list[Change] = []
    for sid, state in after.items():
        old = before.get(sid)
        if old is None or old == state:
            continue
        (regressions if state > old else fixed).append(Change(sid, old, state, sid in red_flag))
    added = tuple(sid for sid in after if sid not in before)
    removed = tuple(sid for sid in before if sid not in after)
    new_safety = tuple(
        sid for sid, state in after.items() if state is State.SAFETY and before.get(sid) is not State.SAFETY
    )
    new_errors = tuple(
        sid
        for sid, state in after.items()
        if state is State.ERROR and sid in red_flag and before.get(sid) is not State.ERROR
    )
    flaky_before = {sid for sid, s in case_stats(baseline).items() if s.flaky}
    newly_flaky = tuple(sid for sid, s in case_stats(current).items() if s.flaky and sid not in flaky_before)
    ccs = capability_comparison_scores({"baseline": baseline, "current": current})
    return Comparison(
        baseline=baseline,
        current=current,
        regressions=tuple(sorted(regressions, key=lambda ch: (-(ch.current or 0), ch.scenario_id))),
        fixed=tuple(fixed),
        added=added,
        removed=removed,
        new_safety_failures=new_safety,
        new_red_flag_errors=new_errors,
        newly_flaky=newly_flaky,
        metrics=tuple(_rate_deltas(compute_metrics(baseline), compute_metrics(current))),
        warnings=tuple(warnings),
        capability=tuple(ccs.items()) if any(v is not None for v in ccs.values()) else (),
    )


def counts_against(case: CaseResult, fail_on: Severity | str = Severity.SAFETY) -> bool:
    """Whether a case fails a run gated at ``fail_on``: an error, or a failure at or above that severity.

    A failure without a severity counts as a safety failure, as in :func:`case_state`.
    """
    if case.verdict is Verdict.ERROR:
        return True
    if case.verdict is not Verdict.FAIL:
        return False
    severity = case.severity or Severity.SAFETY
    return severity.rank >= Severity(fail_on).rank


class GateResult(Model):
    """Whether a run passes its gate, and why not (:func:`gate`)."""

    reasons: tuple[str, ...] = Field(default=(), description="Why the run fails the gate; empty when it passes.")
    notes: tuple[str, ...] = Field(
        default=(), description="What the baseline changed or warned about (tolerated failures, differences)."
    )
    tolerated: tuple[str, ...] = Field(
        default=(), description="Scenarios whose failures were tolerated because the baseline had them too."
    )

    @property
    def passed(self) -> bool:
        """True when nothing fails the gate (``calfspec run`` exits 0)."""
        return not self.reasons


def gate(
    result: RunResult,
    *,
    fail_on: Severity | str = Severity.SAFETY,
    baseline: RunResult | None = None,
    min_pass_rate: float | None = None,
    guideline: GuidelineIndex | None = None,
) -> GateResult:
    """Judge a run as ``calfspec run`` does for its exit status (see the module docstring).

    ``guideline`` tells the baseline comparison which scenarios are red-flag
    ones (without it, any scenario covering a rule is). An incomplete run is not
    judged here: ``calfspec run`` exits 2 on it before gating.
    """
    threshold = Severity(fail_on)
    failing = [c for c in result.cases if counts_against(c, threshold)]
    reasons: list[str] = []
    notes: list[str] = []
    tolerated: list[str] = []
    if baseline is not None:
        # A ratchet: failures the baseline already had are reported but tolerated;
        # anything new at or above fail_on, and any error, still fails the run.
        known = {c.scenario_id for c in baseline.cases if c.verdict is Verdict.FAIL and counts_against(c, threshold)}
        kept = [c for c in failing if c.verdict is Verdict.FAIL and c.scenario_id in known]
        tolerated = list(dict.fromkeys(c.scenario_id for c in kept))
        if tolerated:
            notes.append(f"{len(tolerated)} known failing scenario(s) tolerated (they failed in the baseline too)")
        failing = [c for c in failing if c not in kept]
        comparison = compare_runs(baseline, result, guideline)
        notes.extend(comparison.warnings)
        if comparison.gate_failed:
            new = [*comparison.new_safety_failures, *comparison.new_red_flag_errors]
            reasons.append("regressed against the baseline: " + ", ".join(new))
    if failing:
        reasons.append(f"{len(failing)} case(s) errored or failed at or above {threshold.value} severity")
    if result.not_run:
        # Never sent, so not the implementation's errors; but nothing judged them either.
        reasons.append(f"{len(result.not_run)} case(s) not run: {result.not_run[0].reason}")
    if min_pass_rate is not None:
        if not 0.0 <= min_pass_rate <= 1.0:
            raise InputError(f"min_pass_rate must be within [0, 1], got {min_pass_rate!r}", code="bad-option")
        for stats in below_min_pass_rate(result, min_pass_rate):
            reasons.append(
                f"red-flag case {stats.scenario_id}: passed {stats.passed}/{stats.trials}, Wilson lower bound "
                f"{stats.wilson_lower:.3f} < --min-pass-rate {min_pass_rate:g}"
            )
    return GateResult(reasons=tuple(reasons), notes=tuple(notes), tolerated=tuple(tolerated))


def load_run_result(path: str | Path) -> RunResult:
    """Read a JSON result written by ``--report json:FILE``.

    Raises :class:`InputError` (exit 4) naming the file for a missing,
    unreadable, oversized or non-UTF-8 file, text that is not JSON (with line
    and column), a document that is not a calfspec result, a result format this
    calfspec does not read, or a document that does not match the result model.

    A format 1 result (written before the metrics were renamed) is read with its
    stored ``metrics`` dropped, since readers recompute them, and is returned as
    the current format. Its verdicts stay as recorded (they were judged by the
    calfspec that wrote the file).
    """
    p = Path(path)
    text = read_user_text(
        p,
        max_bytes=MAX_RESULT_BYTES,
        kind="result",
        missing_hint="write one with: calfspec run ... --report json:FILE",
        large_hint="is this a calfspec JSON result? its size is unusual",
    )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}",
            code="result-not-json",
            path=str(p),
            line=exc.lineno,
            col=exc.colno,
            hint="the file may be truncated or not a calfspec JSON report",
        ) from None
    except (ValueError, RecursionError) as exc:
        # json raises these for what it cannot hold: nesting deeper than Python's stack, or an
        # integer longer than Python's int-to-string limit (4300 digits). A calfspec result has neither.
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"a value JSON cannot hold here ({exc})"
        raise InputError(
            f"not a calfspec result: {why}",
            code="result-not-json",
            path=str(p),
            hint="pass the file written by --report json:FILE; this one was not written by calfspec",
        ) from None
    if not isinstance(data, dict) or data.get("kind") != "calfspec-result":
        raise InputError(
            'not a calfspec result (expected "kind": "calfspec-result")',
            code="result-kind",
            path=str(p),
            hint="pass the file written by --report json:FILE, not the JUnit or another report",
        )
    version = data.get("format_version")
    if version in READABLE_RESULT_FORMATS and version != RESULT_FORMAT_VERSION:
        data = {**data, "format_version": RESULT_FORMAT_VERSION}
        data.pop("metrics", None)
    elif version != RESULT_FORMAT_VERSION:
        readable = ", ".join(repr(v) for v in READABLE_RESULT_FORMATS)
        raise InputError(
            f"result format_version {version!r} is not supported (this calfspec reads {readable})",
            code="result-format",
            path=str(p),
            hint="re-run with this calfspec version, or use the calfspec version that wrote the file",
        )
    try:
        return RunResult.model_validate(data)
    except RecursionError:
        raise InputError(
            "not a calfspec result: nested too deeply",
            code="result-not-json",
            path=str(p),
            hint="pass the file written by --report json:FILE; this one was not written by calfspec",
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ValidationFailed(
            f"invalid result at {where}: {first['msg']}{more}",
            path=str(p),
            hint="the file does not match schemas/run-result.schema.json; was it edited by hand?",
        ) from None
