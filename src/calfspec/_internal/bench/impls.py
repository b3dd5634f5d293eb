"""The in-process function both sides of the in-process benchmark call.

The bare loop calls :func:`reference` directly; the harness loads the very same
function as ``python:calfspec._internal.bench.impls:reference``. Its parameter is annotated as a
:class:`~calfspec._internal.models.triage.TriageRequest`, so the ``python:`` adapter hands
it the request model (its fast path) rather than a JSON dict.
"""

from __future__ import annotations

from ..guideline import load_guideline
from ..models.triage import TriageDecision, TriageRequest
from ..reference import reference_triage

_GUIDELINE = load_guideline()


def reference(request: TriageRequest) -> TriageDecision:
    """The reference triage on the bundled guideline."""
    return reference_triage(request, _GUIDELINE)
