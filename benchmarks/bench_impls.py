"""The in-process function both sides of the in-process benchmark call.

The bare loop calls :func:`reference` directly; the harness loads the very same
function as ``python:bench_impls:reference``. Its parameter is annotated as a
:class:`~calfspec._internal.models.triage.TriageRequest`, so the ``python:`` adapter hands
it the request model (its fast path) rather than a JSON dict.
"""

from __future__ import annotations

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.triage import TriageDecision, TriageRequest
from calfspec._internal.reference import reference_triage

_GUIDELINE = load_guideline()


def reference(request: TriageRequest) -> TriageDecision:
    """The reference triage on the bundled guideline."""
    return reference_triage(request, _GUIDELINE)
