"""The JSON report: the :class:`~calfspec.models.results.RunResult` with its metrics filled in.

The document is versioned by ``kind`` and ``format_version`` and described by
``schemas/run-result.schema.json`` (generated from the model). It holds every
trial's request, decision, verdict, timing, raw reply and transcript, so
``calfspec compare`` and ``calfspec report`` can work from it alone.
"""

from __future__ import annotations

from ..metrics import compute_metrics
from ..models.results import RunResult

__all__ = ["render_json", "with_metrics"]


def with_metrics(run: RunResult) -> RunResult:
    """The run with ``metrics`` recomputed from its cases (a stored copy is never trusted)."""
    from ..perturb import perturbation_tables

    return run.model_copy(update={"metrics": compute_metrics(run), "perturbations": perturbation_tables(run.cases)})


def render_json(run: RunResult) -> str:
    """The JSON document, indented, ending in a newline."""
    return with_metrics(run).model_dump_json(indent=2) + "\n"
