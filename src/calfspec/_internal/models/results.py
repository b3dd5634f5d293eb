"""Results of a run: one :class:`CaseResult` per scenario (and repeat), gathered in a :class:`RunResult`.

The JSON report is a serialised :class:`RunResult`; its schema is committed in
``schemas/`` so CI tools outside Python can read it. ``compare`` and
``report merge`` read it back.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field

from ._base import Id, Model
from .perturbation import PerturbationTable
from .triage import TriageDecision, TriageRequest
from .urgency import Urgency

__all__ = [
    "READABLE_RESULT_FORMATS",
    "RESULT_FORMAT_VERSION",
    "Answer",
    "CaseResult",
    "CaseStats",
    "ChatUsage",
    "ConditionScore",
    "ConfusionMatrix",
    "ConfusionRow",
    "Exchange",
    "Failure",
    "FailureKind",
    "ImplementationInfo",
    "Metrics",
    "NotRun",
    "RuleScore",
    "RunResult",
    "Severity",
    "Tally",
    "Verdict",
]

RESULT_FORMAT_VERSION = "2"
"""2: pathways judged on the ordered scale, metrics renamed (``in_range_rate``) and extended (exact accuracy,
the symptomcheckR measures), ``CaseResult.expected``. Format 1 files are still read: their stored ``metrics``
are dropped and recomputed (see :func:`calfspec._internal.compare.load_run_result`)."""

READABLE_RESULT_FORMATS = ("1", RESULT_FORMAT_VERSION)
"""Result formats this calfspec reads back."""


class Verdict(StrEnum):
    """pass, fail or error. An error is never a pass."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


class Severity(StrEnum):
    """Safety failures hurt people; quality failures waste care."""

    QUALITY = "quality"
    SAFETY = "safety"

    @property
    def rank(self) -> int:
        """0 for quality, 1 for safety."""
        return 0 if self is Severity.QUALITY else 1


class FailureKind(StrEnum):
    """What exactly went wrong in a decision."""

    UNDER_TRIAGE = "under_triage"
    OVER_TRIAGE = "over_triage"
    MISSING_PATHWAY = "missing_pathway"
    FORBIDDEN_PATHWAY = "forbidden_pathway"
    CONTRAINDICATED_ADVICE = "contraindicated_advice"
    PERTURBATION_DROP = "perturbation_drop"
    """A narrative perturbation lowered the urgency below the unperturbed answer (``--perturb``)."""
    MISSING_ADVICE = "missing_advice"


class Failure(Model):
    """One unmet expectation."""

    kind: FailureKind
    severity: Severity
    message: str
    expected: str
    given: str


class Exchange(Model):
    """One round of an interactive triage: what was sent and what came back."""

    request: TriageRequest
    decision: TriageDecision | None = None
    raw_reply: str | None = None
    answered: dict[Id, str] = Field(default_factory=dict, description="Questions answered for the next round.")
    elapsed_ms: float = 0.0


class CaseResult(Model):
    """The verdict for one scenario (one repeat of it)."""

    scenario_id: Id
    repeat: int = 0
    verdict: Verdict
    severity: Severity | None = None
    failures: tuple[Failure, ...] = ()
    error: str | None = None
    error_code: str | None = Field(
        default=None,
        description="Stable code of the error (e.g. implementation-timeout, implementation-crashed, "
        "schema-invalid-decision, no-final-decision); set exactly when the verdict is error.",
    )
    expected_min: Urgency
    expected_max: Urgency
    expected: Urgency | None = Field(
        default=None, description="The scenario's single best answer (expect.urgency.expected), when it has one."
    )
    given: Urgency | None = None
    request: TriageRequest
    decision: TriageDecision | None = None
    raw_reply: str | None = None
    transcript: tuple[Exchange, ...] = ()
    elapsed_ms: float = 0.0
    tags: tuple[Id, ...] = ()
    red_flags: tuple[Id, ...] = ()
    near_miss: tuple[Id, ...] = ()
    conditions: tuple[Id, ...] = ()
    claims: tuple[Id, ...] = ()
    perturbation: Id | None = Field(
        default=None,
        description="The narrative perturbation family of this trial (calfspec run --perturb); null for the "
        "scenario as written, which is the trial a perturbed one is compared with.",
    )


class NotRun(Model):
    """A case that was never sent: the implementation had already been given up on.

    Not an answer of the implementation, so it is in no verdict count; a run
    with any of these is not a clean run (``calfspec run`` exits 1).
    """

    scenario_id: Id
    repeat: int = 0
    reason: str


class Tally(Model):
    """Verdict counts over a set of trials. Every trial is in exactly one count."""

    total: int = Field(ge=0)
    passed: int = Field(ge=0)
    failed_safety: int = Field(ge=0)
    failed_quality: int = Field(ge=0)
    errors: int = Field(ge=0, description="Trials with no judged answer; never passes.")
    pass_rate: float | None = Field(description="passed / total; null when total is 0.")


class RuleScore(Model):
    """How a run did on one guideline rule (a red flag, or another rule the scenarios cover)."""

    rule: Id
    positive: Tally = Field(description="Trials of scenarios in which the rule fires (covers.red_flags).")
    near_miss: Tally = Field(description="Trials of scenarios built so that it does not (covers.near_miss).")
    under_triaged: int = Field(ge=0, description="Positive trials answered below the expected range.")


class ConditionScore(Model):
    """How a run did on the scenarios covering one condition."""

    condition: Id
    tally: Tally


class ConfusionRow(Model):
    """One expected urgency range and how often each answer was given for it."""

    expected_min: Urgency
    expected_max: Urgency
    label: str
    cells: tuple[int, ...] = Field(description="Counts, aligned with ConfusionMatrix.columns.")


class ConfusionMatrix(Model):
    """Expected urgency range (rows) by given urgency (columns, plus ``error``)."""

    columns: tuple[str, ...]
    rows: tuple[ConfusionRow, ...] = ()


class Answer(Model):
    """One distinct answer a system gave for a scenario across repeats."""

    urgency: Urgency | None = Field(description="null when the trial ended in an error.")
    pathways: tuple[Id, ...] = ()
    advice: tuple[Id, ...] = ()
    error: bool = False
    repeats: tuple[int, ...] = Field(description="0-based repeat numbers that gave this answer.")


class CaseStats(Model):
    """One scenario across its repeats: pass rate, pass^N, Wilson lower bound, flakiness."""

    scenario_id: Id
    trials: int = Field(ge=1)
    passed: int = Field(ge=0)
    errors: int = Field(ge=0)
    pass_rate: float
    pass_all: bool = Field(description="pass^N: passed in every trial.")
    wilson_lower: float = Field(description="Lower bound of the Wilson score interval on the pass rate.")
    flaky: bool = Field(description="The answers (urgency, pathways, advice, or error) differ between trials.")
    answers: tuple[Answer, ...]
    red_flags: tuple[Id, ...] = ()


class Metrics(Model):
    """Scores of a run in the vignette tradition (Semigran et al. 2015; Hill et al. 2020).

    Denominators count *trials* (one per scenario and repeat) and include errors:
    ``in_range_rate + under_triage_rate + over_triage_rate + error_rate == 1``.
    Rates are null when their denominator is 0. See :mod:`calfspec._internal.metrics` and docs/metrics.md.
    """

    trials: int = Field(ge=0)
    scenarios: int = Field(ge=0)
    wilson_z: float
    passed: int = Field(ge=0)
    failed_safety: int = Field(ge=0)
    failed_quality: int = Field(ge=0)
    errors: int = Field(ge=0)
    pass_rate: float | None
    in_range: int = Field(ge=0, description="Trials answered within the expected urgency range.")
    under_triaged: int = Field(ge=0)
    over_triaged: int = Field(ge=0)
    in_range_rate: float | None = Field(description="Share answered within the expected range (min..max).")
    safe_rate: float | None = Field(description="Share answered at or above the range minimum.")
    exact_trials: int = Field(ge=0, description="Trials whose scenario names a single best answer (expected).")
    exact: int = Field(ge=0, description="Of those, trials answered exactly the expected urgency.")
    exact_accuracy: float | None = Field(
        description="exact / exact_trials: accuracy as in Semigran 2015, Hill 2020 and symptomcheckR's accuracy."
    )
    safety_of_advice: float | None = Field(
        description="symptomcheckR: share of exact_trials answered at or above the expected urgency."
    )
    comprehensiveness: float | None = Field(description="symptomcheckR: share of trials with a judged answer.")
    inclination_to_overtriage: float | None = Field(
        description="symptomcheckR: of the exact_trials answered, but not exactly, the share answered above "
        "the expected urgency; null when none missed."
    )
    under_triage_rate: float | None
    over_triage_rate: float | None
    error_rate: float | None
    emergency_trials: int = Field(ge=0, description="Trials whose expected minimum is emergency.")
    emergency_sensitivity: float | None = Field(
        description="Share of emergency trials answered emergency; null when there are none."
    )
    rules: tuple[RuleScore, ...] = Field(
        default=(), description="Every rule the trials cover (covers.red_flags / covers.near_miss), by id."
    )
    conditions: tuple[ConditionScore, ...] = ()
    confusion: ConfusionMatrix
    repeat_stats: tuple[CaseStats, ...] = Field(
        default=(), description="Per-scenario repeat statistics; empty unless a scenario ran more than once."
    )


class ChatUsage(Model):
    """Token usage of a chat model over a run, summed from the replies' ``usage`` fields."""

    requests: int = Field(ge=0, description="Requests sent to the endpoint (cache hits are not requests).")
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    total_tokens: int = Field(ge=0)
    without_usage: int = Field(default=0, ge=0, description="Replies that carried no usage field.")
    price_prompt: float | None = Field(default=None, description="USD per million prompt tokens, as given.")
    price_completion: float | None = Field(default=None, description="USD per million completion tokens, as given.")
    estimated_cost: float | None = Field(
        default=None, description="USD, from the token counts and both prices; null unless both prices were given."
    )


class ImplementationInfo(Model):
    """What the implementation said about itself, and how its answers were obtained."""

    name: str | None = Field(
        default=None, description="Self-reported name: the cmd: hello's name, or the model a chat endpoint named."
    )
    version: str | None = Field(
        default=None, description="Self-reported version: the hello's version, or the endpoint's system_fingerprint."
    )
    cache: str | None = Field(default=None, description="The --cache folder, when replies could come from it.")
    cache_hits: int = Field(default=0, ge=0, description="Replies read from the cache instead of the endpoint.")
    cache_misses: int = Field(default=0, ge=0, description="Replies fetched from the endpoint (and stored).")
    usage: ChatUsage | None = None


class RunResult(Model):
    """A whole run, as written by the JSON report."""

    kind: Literal["calfspec-result"] = "calfspec-result"
    format_version: str = RESULT_FORMAT_VERSION
    calfspec_version: str
    protocol_version: str
    guideline_id: str
    guideline_version: str
    implementation: str
    started_at: dt.datetime
    finished_at: dt.datetime
    complete: bool = Field(description="False when the run was interrupted before every case finished.")
    repeat: int = 1
    shard: str | None = None
    selected: int = Field(description="How many scenarios were selected to run.")
    cases: tuple[CaseResult, ...] = ()
    not_run: tuple[NotRun, ...] = Field(
        default=(), description="Cases never sent because the implementation had been given up on."
    )
    errors_by_kind: dict[str, int] = Field(
        default_factory=dict,
        description="Errored trials by kind (unparseable, schema, refusal, unknown_id, timeout, extraction, "
        "transport, crash, no_decision, other; see docs/errors.md); computed when the report was written.",
    )
    perturbations: tuple[PerturbationTable, ...] = Field(
        default=(),
        description="Per perturbation family: perturbed trials against their unperturbed twins (--perturb); "
        "computed from the cases when the report was written.",
    )
    metrics: Metrics | None = Field(
        default=None,
        description="Scores computed from the cases when the report was written; readers recompute them.",
    )
    implementation_info: ImplementationInfo | None = Field(
        default=None, description="Self-reported name and version, response cache and token usage, when known."
    )
