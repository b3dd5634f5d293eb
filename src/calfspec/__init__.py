"""calfspec: guideline-as-code validation toolkit for calf-pain triage.

The public surface is re-exported here; everything else is internal. Names are
imported on first use (PEP 562), so that ``import calfspec._internal.cli`` and the pytest
plugin, which every pytest run imports, do not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._internal._exit import ExitCode
    from ._internal.adapters import Implementation, Reply, load_implementation
    from ._internal.compare import GateResult, gate
    from ._internal.errors import (
        CalfspecError,
        ImplementationError,
        InputError,
        InternalError,
        ProblemsError,
        SpecError,
        UnknownIdError,
        ValidationFailed,
        YamlError,
    )
    from ._internal.guideline import GuidelineIndex, GuidelineInvalid, load_guideline
    from ._internal.models import (
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
    from ._internal.reference import reference_triage
    from ._internal.runner import RunOptions
    from ._internal.scenarios import ScenarioInvalid
    from ._internal.suite import run, run_async

from ._internal._version import __version__

_WHERE = {
    "ExitCode": "._internal._exit",
    "Implementation": "._internal.adapters",
    "Reply": "._internal.adapters",
    "load_implementation": "._internal.adapters",
    "GateResult": "._internal.compare",
    "gate": "._internal.compare",
    "CalfspecError": "._internal.errors",
    "ImplementationError": "._internal.errors",
    "InputError": "._internal.errors",
    "InternalError": "._internal.errors",
    "ProblemsError": "._internal.errors",
    "SpecError": "._internal.errors",
    "UnknownIdError": "._internal.errors",
    "ValidationFailed": "._internal.errors",
    "YamlError": "._internal.errors",
    "GuidelineIndex": "._internal.guideline",
    "GuidelineInvalid": "._internal.guideline",
    "load_guideline": "._internal.guideline",
    "PROTOCOL_VERSION": "._internal.models",
    "CaseResult": "._internal.models",
    "FindingState": "._internal.models",
    "Guideline": "._internal.models",
    "Presentation": "._internal.models",
    "RunResult": "._internal.models",
    "Scenario": "._internal.models",
    "TriageDecision": "._internal.models",
    "TriageRequest": "._internal.models",
    "Urgency": "._internal.models",
    "Verdict": "._internal.models",
    "reference_triage": "._internal.reference",
    "RunOptions": "._internal.runner",
    "ScenarioInvalid": "._internal.scenarios",
    "run": "._internal.suite",
    "run_async": "._internal.suite",
}

__all__ = [
    "PROTOCOL_VERSION",
    "CalfspecError",
    "CaseResult",
    "ExitCode",
    "FindingState",
    "GateResult",
    "Guideline",
    "GuidelineIndex",
    "GuidelineInvalid",
    "Implementation",
    "ImplementationError",
    "InputError",
    "InternalError",
    "Presentation",
    "ProblemsError",
    "Reply",
    "RunOptions",
    "RunResult",
    "Scenario",
    "ScenarioInvalid",
    "SpecError",
    "TriageDecision",
    "TriageRequest",
    "UnknownIdError",
    "Urgency",
    "ValidationFailed",
    "Verdict",
    "YamlError",
    "__version__",
    "gate",
    "load_guideline",
    "load_implementation",
    "reference_triage",
    "run",
    "run_async",
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
