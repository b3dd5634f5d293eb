"""Plain-language wording of guideline data, shared by the reviewer pack and the hazard log."""

from __future__ import annotations

from ..guideline import GuidelineIndex
from ..models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf, PregnantIs, SideIs, SideTest

__all__ = ["describe_expr", "finding_label"]

_SIDE = {
    SideTest.ONE_SIDED: "symptoms in one leg only",
    SideTest.BILATERAL: "symptoms in both legs",
    SideTest.LEFT: "left leg affected",
    SideTest.RIGHT: "right leg affected",
}


def finding_label(finding_id: str, guideline: GuidelineIndex) -> str:
    """The vocabulary's label for a finding, or its id if it is not in the vocabulary."""
    finding = guideline.findings.get(finding_id)
    return finding.label if finding is not None else finding_id


def describe_expr(expr: Expr, guideline: GuidelineIndex) -> str:
    """A rule condition in words, e.g. ``all of (tender calf; symptoms in one leg only; ...)``."""
    if isinstance(expr, FindingIs):
        return finding_label(expr.finding, guideline)
    if isinstance(expr, SideIs):
        return _SIDE[expr.side]
    if isinstance(expr, PregnantIs):
        return "pregnant" if expr.pregnant else "not pregnant"
    if isinstance(expr, AllOf):
        if len(expr.all) == 1:
            return describe_expr(expr.all[0], guideline)
        return "all of (" + "; ".join(describe_expr(p, guideline) for p in expr.all) + ")"
    if isinstance(expr, AnyOf):
        if len(expr.any) == 1:
            return describe_expr(expr.any[0], guideline)
        return "any of (" + "; ".join(describe_expr(p, guideline) for p in expr.any) + ")"
    if isinstance(expr, NotOf):
        return "not (" + describe_expr(expr.not_, guideline) + ")"
    raise TypeError(f"unknown expression {expr!r}")  # pragma: no cover - the union is closed
