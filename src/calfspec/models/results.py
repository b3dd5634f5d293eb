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
from .triage import TriageDecision, TriageRequest
from .urgency import Urgency

__all__ = [
    "RESULT_FORMAT_VERSION",
    "CaseResult",
    "Exchange",
    "Failure",
    "FailureKind",
    "RunResult",
    "Severity",
    "Verdict",
]

RESULT_FORMAT_VERSION = "1"


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
    expected_min: Urgency
    expected_max: Urgency
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
