"""calfspec: guideline-as-code validation toolkit for calf-pain triage.

The public surface is re-exported here; everything else is internal. Names are
imported on first use (PEP 562), so that ``import calfspec.cli`` and the pytest
plugin, which every pytest run imports, do not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "Implementation": ".adapters",
    "Reply": ".adapters",
    "load_implementation": ".adapters",
    "CalfspecError": ".errors",
    "ImplementationError": ".errors",
    "InputError": ".errors",
    "GuidelineIndex": ".guideline",
    "load_guideline": ".guideline",
    "PROTOCOL_VERSION": ".models",
    "CaseResult": ".models",
    "FindingState": ".models",
    "Guideline": ".models",
    "Presentation": ".models",
    "RunResult": ".models",
    "Scenario": ".models",
    "TriageDecision": ".models",
    "TriageRequest": ".models",
    "Urgency": ".models",
    "Verdict": ".models",
    "reference_triage": ".reference",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'calfspec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, including those not imported yet."""
    return sorted([*globals(), *_WHERE])
