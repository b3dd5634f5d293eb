"""Counterexamples in clinical words: a presentation and a decision as a reader of fuzz output sees them."""

from __future__ import annotations

from .._internal.guideline import GuidelineIndex
from .._internal.models.triage import FindingState, Presentation, Side, TriageDecision, TriageRequest

__all__ = ["describe_decision", "describe_presentation"]

_SIDE_WORDS = {Side.LEFT: "left calf", Side.RIGHT: "right calf", Side.BOTH: "both calves", Side.UNKNOWN: "unknown"}
_STATE_WORDS = {FindingState.PRESENT: "yes", FindingState.ABSENT: "no", FindingState.UNKNOWN: "unknown"}


def describe_presentation(request: Presentation, guideline: GuidelineIndex) -> list[str]:
    """The presentation in clinical words, one line per topic (vocabulary labels, not ids)."""

    def label(fid: str) -> str:
        return guideline.findings[fid].label if fid in guideline.findings else fid

    duration = "unknown" if request.duration_days is None else f"{request.duration_days:g} day(s)"
    lines = [
        f"age: {request.age if request.age is not None else 'unknown'}; sex: {request.sex.value}; "
        f"pregnant: {_STATE_WORDS[request.pregnant]}",
        f"side: {_SIDE_WORDS[request.side]}; onset: {request.onset.value}; duration: {duration}; "
        f"trigger: {request.trigger or 'none given'}",
    ]
    present = [label(f) for f, s in request.findings.items() if s is FindingState.PRESENT]
    absent = [label(f) for f, s in request.findings.items() if s is FindingState.ABSENT]
    unknown = [label(f) for f in guideline.findings if request.state(f) is FindingState.UNKNOWN]
    lines.append("present: " + ("; ".join(present) if present else "none"))
    if len(absent) > len(unknown):
        if unknown:
            lines.append("unknown: " + "; ".join(unknown))
        lines.append("absent: every other finding")
    else:
        if absent:
            lines.append("absent: " + "; ".join(absent))
        lines.append("unknown: every other finding")
    if isinstance(request, TriageRequest) and request.narrative:
        text = request.narrative if len(request.narrative) <= 300 else request.narrative[:297] + "..."
        lines.append(f"narrative: {text!r}")
    return lines


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
