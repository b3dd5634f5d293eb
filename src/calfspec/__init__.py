"""calfspec: guideline-as-code validation toolkit for calf-pain triage.

The public surface is re-exported here; everything else is internal.
"""

from __future__ import annotations

from .adapters import Implementation, Reply, load_implementation
from .errors import CalfspecError, ImplementationError, InputError
from .guideline import GuidelineIndex, load_guideline
from .models import (
    PROTOCOL_VERSION,
    CaseResult,
    FindingState,
    Guideline,
    Presentation,
    RunResult,
    Scenario,
    TriageDecision,
    TriageRequest,
    Urgency,
    Verdict,
)
from .reference import reference_triage

__version__ = "0.1.0"

__all__ = [
    "PROTOCOL_VERSION",
    "CalfspecError",
    "CaseResult",
    "FindingState",
    "Guideline",
    "GuidelineIndex",
    "Implementation",
    "ImplementationError",
    "InputError",
    "Presentation",
    "Reply",
    "RunResult",
    "Scenario",
    "TriageDecision",
    "TriageRequest",
    "Urgency",
    "Verdict",
    "__version__",
    "load_guideline",
    "load_implementation",
    "reference_triage",
]
