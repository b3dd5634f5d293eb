"""Counterexamples in clinical words: a presentation and a decision as a reader of fuzz output sees them.

The presentation's lines are :func:`calfspec._internal.words.presentation_lines`, shared with the
other renderers; only the decision's one-line form is the fuzzer's own.
"""

from __future__ import annotations

from .._internal.models.triage import TriageDecision
from .._internal.words import presentation_lines

__all__ = ["describe_decision", "describe_presentation"]

describe_presentation = presentation_lines
"""The presentation in clinical words, one line per topic (vocabulary labels, not ids)."""


def describe_decision(decision: TriageDecision) -> str:
    """A decision on one line: urgency, pathways, advice, questions."""
    parts = [
        f"urgency {decision.urgency.value} ({decision.urgency.label})",
        "pathways " + (", ".join(decision.pathways) or "(none)"),
        "advice " + (", ".join(decision.advice) or "(none)"),
    ]
    if decision.questions:
        parts.append("asked about " + ", ".join(decision.questions))
    return "; ".join(parts)
