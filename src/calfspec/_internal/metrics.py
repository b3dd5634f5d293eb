"""Score a run the way symptom-checker studies score triage vignettes.

Every definition, with its source, is in docs/metrics.md; in short:

* **in range** (``in_range_rate``): the given urgency lies inside the expected
  range ``min..max``. This is *not* the accuracy of the vignette studies, which
  score one correct level; a range accepts every level in it.
* **exact accuracy** (``exact_accuracy``): the given urgency equals the
  scenario's single best answer ``expect.urgency.expected``, as scored by
  Semigran et al. (BMJ 2015) and Hill et al. (MJA 2020), and symptomcheckR's
  *accuracy* (Kopka et al. 2023, 2024). Over the trials whose scenario names
  an expected level (``exact_trials``).
* **safe** (``safe_rate``): at or above ``min`` (not under-triaged). Safe = in
  range + over-triage.
* **under-triage** / **over-triage**: below ``min`` / above ``max``.
* **emergency sensitivity**: of the trials whose expected ``min`` is
  ``emergency``, the share answered ``emergency``.
* symptomcheckR's other measures, against the expected level:
  **safety of advice** (at or above it), **comprehensiveness** (a judged
  answer at all), **inclination to overtriage** (of the trials answered but
  not exactly right, the share answered too high). The **capability
  comparison score** compares several systems on the same scenarios, so it is
  computed across runs by :func:`capability_comparison_scores` (``calfspec
  compare``), not per run.

Only the urgency decides these; ``pass_rate`` uses the full verdict, which
also checks pathways and advice.

**Errors count.** A trial with an *error* verdict (the system crashed, timed out
or answered nonsense) has no urgency. It stays in every denominator and is in no
numerator: it is neither in range nor safe, nor under- or over-triage, nor
exact, and it misses in emergency sensitivity. Hence
``in_range + under + over + error = 1``, and an implementation cannot improve
its scores by failing to answer. (symptomcheckR drops cases that could not be
entered from accuracy and safety and reports them as comprehensiveness; here
they stay in, and comprehensiveness reports them too.)

**Trials.** With ``--repeat N`` each scenario runs N times; every run of a
scenario is one *trial* and is counted on its own, so the rates are averages
over trials. Per-scenario repeat statistics are in :func:`case_stats`.

**Confusion matrix.** Rows are the expected *ranges* present in the run
(labelled ``urgent`` or ``routine..urgent``), most urgent first; columns are the
four given levels, least urgent first, plus ``error``. A range row is used rather
than ``min`` alone so that a correct answer at the top of a range is not drawn as
over-triage. The cells sum to the number of trials.

Every function here is pure over :class:`~calfspec._internal.models.results.RunResult`,
and :func:`compute_metrics` depends only on the *set* of trials, not their
order (sections are sorted by id), so merged shards score exactly like the
unsplit run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from .models.results import (
    Answer,
    CaseResult,
    CaseStats,
    ConditionScore,
    ConfusionMatrix,
    ConfusionRow,
    Metrics,
    RuleScore,
    RunResult,
    Severity,
    Tally,
    Verdict,
)
from .models.urgency import URGENCY_ORDER, Urgency

__all__ = [
    "CONFUSION_COLUMNS",
    "ERROR_COLUMN",
    "Z95",
    "Outcome",
    "below_min_pass_rate",
    "capability_comparison_scores",
    "case_stats",
    "compute_metrics",
    "metrics_and_stats",
    "outcome",
    "range_label",
    "tally",
    "wilson_lower",
    "z_for_confidence",
]

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile, the default ``z`` of the Wilson bound."""

ERROR_COLUMN = "error"
"""Confusion-matrix column for trials without an answer."""

CONFUSION_COLUMNS: tuple[str, ...] = (*(u.value for u in URGENCY_ORDER), ERROR_COLUMN)
"""Given urgency, least urgent first, then ``error``."""


class Outcome(StrEnum):
    """Where a trial's urgency fell against its expected range."""

    IN_RANGE = "in_range"
    UNDER = "under"
    OVER = "over"
    ERROR = "error"


def outcome(case: CaseResult) -> Outcome:
    """Classify one trial's urgency; an error verdict or a missing urgency is :attr:`Outcome.ERROR`."""
    if case.verdict is Verdict.ERROR or case.given is None:
        return Outcome.ERROR
    if case.given < case.expected_min:
        return Outcome.UNDER
    if case.given > case.expected_max:
        return Outcome.OVER
    return Outcome.IN_RANGE


def _exact(case: CaseResult) -> bool:
    """The trial answered exactly the scenario's expected level (an error never does)."""
    return outcome(case) is not Outcome.ERROR and case.expected is not None and case.given is case.expected


def capability_comparison_scores(runs: Mapping[str, RunResult]) -> dict[str, float | None]:
    """Kopka et al.'s capability comparison score (CCS, 0..100) of each run, by label.

    Each scenario's *item difficulty* ``d`` is the share of all trials of all
    runs that answered it exactly right (``expect.urgency.expected``; errors are
    wrong). A run scores ``((sum of (1 - d) over its right trials - sum of d
    over its wrong trials) / its trials + 1) / 2 * 100``: a hard case solved
    counts for more, an easy case missed costs more. As in symptomcheckR's
    ``get_ccs`` it needs at least two systems (a label with no scored trial
    gets ``None``); Kopka et al. advise at least four for a reliable score.
    Only scenarios with an expected level count.
    """
    if len(runs) < 2:
        raise ValueError("the capability comparison score needs at least two runs")
    right: dict[str, list[bool]] = {}
    for r in runs.values():
        for c in r.cases:
            if c.expected is not None:
                right.setdefault(c.scenario_id, []).append(_exact(c))
    difficulty = {sid: sum(hits) / len(hits) for sid, hits in right.items()}
    out: dict[str, float | None] = {}
    for label, r in runs.items():
        scored = [(_exact(c), difficulty[c.scenario_id]) for c in r.cases if c.expected is not None]
        if not scored:
            out[label] = None
            continue
        total = sum((1 - d) if hit else -d for hit, d in scored)
        out[label] = (total / len(scored) + 1) / 2 * 100
    return out


def range_label(low: Urgency, high: Urgency) -> str:
    """``urgent`` for a single level, ``routine..urgent`` for a range."""
    return low.value if low is high else f"{low.value}..{high.value}"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def tally(cases: Iterable[CaseResult]) -> Tally:
    """Count verdicts; a failure without a severity counts as a safety failure (the cautious reading)."""
    total = passed = safety = quality = errors = 0
    for case in cases:
        total += 1
        if case.verdict is Verdict.PASS:
            passed += 1
        elif case.verdict is Verdict.ERROR:
            errors += 1
        elif case.severity is Severity.QUALITY:
            quality += 1
        else:
            safety += 1
    return Tally(
        total=total,
        passed=passed,
        failed_safety=safety,
        failed_quality=quality,
        errors=errors,
        pass_rate=_rate(passed, total),
    )


def z_for_confidence(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level in (0, 1), e.g. 0.95 -> 1.96."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_lower(successes: int, trials: int, z: float = Z95) -> float:
    """Lower bound of the Wilson score interval for ``successes`` out of ``trials``.

    Unlike the normal approximation it behaves at 0 and N successes and for small
    N, which is exactly the repeat-sampling case: 5 passes out of 5 gives about
    0.57 at 95%, not 1.0. The result is clamped to ``[0, successes / trials]``
    against floating-point error. ``trials == 0`` gives 0.0 (nothing is known).
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if z < 0:
        raise ValueError(f"z must not be negative, got {z}")
    if trials == 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    lower = (centre - spread) / (1 + z2 / trials)
    return min(max(lower, 0.0), p)


def _answer_key(case: CaseResult) -> tuple[Urgency | None, tuple[str, ...], tuple[str, ...], bool]:
    # Order inside pathways/advice is not a decision: compare them as sets.
    if case.verdict is Verdict.ERROR or case.decision is None:
        return (None, (), (), True)
    d = case.decision
    return (d.urgency, tuple(sorted(set(d.pathways))), tuple(sorted(set(d.advice))), False)


def _by_scenario(cases: Sequence[CaseResult]) -> dict[str, list[CaseResult]]:
    groups: dict[str, list[CaseResult]] = {}
    for case in cases:
        groups.setdefault(case.scenario_id, []).append(case)
    return groups


def case_stats(run: RunResult, z: float = Z95) -> dict[str, CaseStats]:
    """Per scenario across its repeats, in order of first appearance.

    * ``pass_rate``: passes / trials (errors are trials that did not pass);
    * ``pass_all``: pass^N, every trial passed;
    * ``wilson_lower``: Wilson lower bound on the pass rate at ``z``;
    * ``flaky``: the distinct answers differ; an answer is the urgency with the
      pathways and advice as sets, or "error". ``answers`` lists each distinct
      one with the repeats that gave it.
    """
    out: dict[str, CaseStats] = {}
    # Perturbed trials (--perturb) have their own paired table (calfspec._internal.perturb), not repeat statistics.
    unperturbed = [c for c in run.cases if c.perturbation is None]
    for sid, trials in _by_scenario(unperturbed).items():
        answers: dict[tuple[Urgency | None, tuple[str, ...], tuple[str, ...], bool], list[int]] = {}
        for case in sorted(trials, key=lambda c: c.repeat):
            answers.setdefault(_answer_key(case), []).append(case.repeat)
        passed = sum(1 for c in trials if c.verdict is Verdict.PASS)
        red_flags = tuple(sorted({rf for c in trials for rf in c.red_flags}))
        out[sid] = CaseStats(
            scenario_id=sid,
            trials=len(trials),
            passed=passed,
            errors=sum(1 for c in trials if c.verdict is Verdict.ERROR),
            pass_rate=passed / len(trials),
            pass_all=passed == len(trials),
            wilson_lower=wilson_lower(passed, len(trials), z),
            flaky=len(answers) > 1,
            answers=tuple(
                Answer(
                    urgency=key[0],
                    pathways=key[1],
                    advice=key[2],
                    error=key[3],
                    repeats=tuple(reps),
                )
                for key, reps in answers.items()
            ),
            red_flags=red_flags,
        )
    return out


def below_min_pass_rate(run: RunResult, min_pass_rate: float, z: float = Z95) -> tuple[CaseStats, ...]:
    """Red-flag scenarios whose Wilson lower bound is below ``min_pass_rate`` (the ``--min-pass-rate`` gate).

    Gating on the lower bound, not the observed rate, means a red-flag case must
    pass often enough *and* be sampled often enough for the pass rate to be
    trusted: 3/3 passes has a 95% lower bound of about 0.44.
    """
    if not 0.0 <= min_pass_rate <= 1.0:
        raise ValueError(f"min_pass_rate must be within [0, 1], got {min_pass_rate}")
    return tuple(s for s in case_stats(run, z).values() if s.red_flags and s.wilson_lower < min_pass_rate)


def _confusion(cases: Sequence[CaseResult]) -> ConfusionMatrix:
    counts: dict[tuple[Urgency, Urgency], list[int]] = {}
    for case in cases:
        row = counts.setdefault((case.expected_min, case.expected_max), [0] * len(CONFUSION_COLUMNS))
        column = ERROR_COLUMN if outcome(case) is Outcome.ERROR else case.given
        row[CONFUSION_COLUMNS.index(str(column))] += 1
    ordered = sorted(counts, key=lambda k: (-k[0].rank, -k[1].rank))
    return ConfusionMatrix(
        columns=CONFUSION_COLUMNS,
        rows=tuple(
            ConfusionRow(expected_min=lo, expected_max=hi, label=range_label(lo, hi), cells=tuple(counts[lo, hi]))
            for lo, hi in ordered
        ),
    )


def compute_metrics(run: RunResult, z: float = Z95) -> Metrics:
    """Every score of a run; see the module docstring for the definitions."""
    return metrics_and_stats(run, z)[0]


def metrics_and_stats(run: RunResult, z: float = Z95) -> tuple[Metrics, dict[str, CaseStats]]:
    """:func:`compute_metrics` and :func:`case_stats` together, the statistics computed once for both."""
    # Perturbed trials (--perturb) are scored by their own paired table (calfspec._internal.perturb), not here:
    # counted in, every family run would weigh a scenario once more.
    run = run.model_copy(update={"cases": tuple(c for c in run.cases if c.perturbation is None)})
    cases = run.cases
    n = len(cases)
    outcomes = [outcome(c) for c in cases]
    in_range = outcomes.count(Outcome.IN_RANGE)
    under = outcomes.count(Outcome.UNDER)
    over = outcomes.count(Outcome.OVER)
    errored = outcomes.count(Outcome.ERROR)
    overall = tally(cases)

    exact_cases = [c for c in cases if c.expected is not None]
    exact = sum(1 for c in exact_cases if _exact(c))
    answered = [c for c in exact_cases if outcome(c) is not Outcome.ERROR]
    at_or_above = sum(1 for c in answered if c.given is not None and c.expected is not None and c.given >= c.expected)
    missed = [c for c in answered if not _exact(c)]
    too_high = sum(1 for c in missed if c.given is not None and c.expected is not None and c.given > c.expected)
    emergency = [c for c in cases if c.expected_min is Urgency.EMERGENCY]
    emergency_hits = sum(1 for c in emergency if outcome(c) is not Outcome.ERROR and c.given is Urgency.EMERGENCY)

    # One pass files each trial under its rules and conditions (a scan per rule would be trials x rules).
    positive: dict[str, list[CaseResult]] = {}
    near_miss: dict[str, list[CaseResult]] = {}
    under_by_rule: dict[str, int] = {}
    by_condition: dict[str, list[CaseResult]] = {}
    for case, result in zip(cases, outcomes, strict=True):
        for rule in dict.fromkeys(case.red_flags):
            positive.setdefault(rule, []).append(case)
            if result is Outcome.UNDER:
                under_by_rule[rule] = under_by_rule.get(rule, 0) + 1
        for rule in dict.fromkeys(case.near_miss):
            near_miss.setdefault(rule, []).append(case)
        for condition in dict.fromkeys(case.conditions):
            by_condition.setdefault(condition, []).append(case)
    rule_scores = tuple(
        RuleScore(
            rule=rule,
            positive=tally(positive.get(rule, ())),
            near_miss=tally(near_miss.get(rule, ())),
            under_triaged=under_by_rule.get(rule, 0),
        )
        for rule in sorted(positive.keys() | near_miss.keys())
    )
    conditions = tuple(ConditionScore(condition=k, tally=tally(by_condition[k])) for k in sorted(by_condition))
    stats = case_stats(run, z)
    repeated = any(s.trials > 1 for s in stats.values())
    metrics = Metrics(
        trials=n,
        scenarios=len(stats),
        wilson_z=z,
        passed=overall.passed,
        failed_safety=overall.failed_safety,
        failed_quality=overall.failed_quality,
        errors=overall.errors,
        pass_rate=overall.pass_rate,
        in_range=in_range,
        under_triaged=under,
        over_triaged=over,
        in_range_rate=_rate(in_range, n),
        safe_rate=_rate(in_range + over, n),
        exact_trials=len(exact_cases),
        exact=exact,
        exact_accuracy=_rate(exact, len(exact_cases)),
        safety_of_advice=_rate(at_or_above, len(exact_cases)),
        comprehensiveness=_rate(n - errored, n),
        inclination_to_overtriage=_rate(too_high, len(missed)),
        under_triage_rate=_rate(under, n),
        over_triage_rate=_rate(over, n),
        error_rate=_rate(errored, n),
        emergency_trials=len(emergency),
        emergency_sensitivity=_rate(emergency_hits, len(emergency)),
        rules=rule_scores,
        conditions=conditions,
        confusion=_confusion(cases),
        repeat_stats=tuple(stats[sid] for sid in sorted(stats)) if repeated else (),
    )
    return metrics, stats
