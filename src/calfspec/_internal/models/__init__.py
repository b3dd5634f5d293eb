"""Public data models of calfspec (all frozen pydantic, ``extra="forbid"``)."""

from __future__ import annotations

from .guideline import (
    Advice,
    Claim,
    Condition,
    Expr,
    Finding,
    Guideline,
    GuidelineFile,
    Pathway,
    Rule,
    Source,
)
from .results import CaseResult, RunResult, Severity, Verdict
from .scenario import Expectations, Scenario, UrgencyRange
from .triage import PROTOCOL_VERSION, FindingState, Presentation, TriageDecision, TriageRequest
from .urgency import URGENCY_ORDER, Urgency

__all__ = [
    "PROTOCOL_VERSION",
    "URGENCY_ORDER",
    "Advice",
    "CaseResult",
    "Claim",
    "Condition",
    "Expectations",
    "Expr",
    "Finding",
    "FindingState",
    "Guideline",
    "GuidelineFile",
    "Pathway",
    "Presentation",
    "Rule",
    "RunResult",
    "Scenario",
    "Severity",
    "Source",
    "TriageDecision",
    "TriageRequest",
    "Urgency",
    "UrgencyRange",
    "Verdict",
]
