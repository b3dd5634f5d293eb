"""Three-valued (Kleene) evaluation of guideline rule conditions.

A finding is present, absent or unknown, so a condition is :attr:`Truth.TRUE`,
:attr:`Truth.FALSE` or :attr:`Truth.UNKNOWN`. Unknown is never treated as
absent: ``not`` of an unknown finding is unknown, and a rule that is unknown
has not been excluded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from .models.guideline import (
    AllOf,
    AnyOf,
    Expr,
    FindingIs,
    NotOf,
    PregnantIs,
    Rule,
    SideIs,
    SideTest,
)
from .models.triage import FindingState, Presentation, Side

__all__ = ["RuleOutcome", "Truth", "evaluate", "evaluate_rules", "open_questions", "undetermined_findings"]


class Truth(Enum):
    """Kleene's three truth values."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    def __invert__(self) -> Truth:
        return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(self, Truth.UNKNOWN)


_STATE = {
    FindingState.PRESENT: Truth.TRUE,
    FindingState.ABSENT: Truth.FALSE,
    FindingState.UNKNOWN: Truth.UNKNOWN,
}


def _side(test: SideTest, side: Side) -> Truth:
    if side is Side.UNKNOWN:
        return Truth.UNKNOWN
    if test is SideTest.ONE_SIDED:
        return Truth.TRUE if side in (Side.LEFT, Side.RIGHT) else Truth.FALSE
    if test is SideTest.BILATERAL:
        return Truth.TRUE if side is Side.BOTH else Truth.FALSE
    wanted = Side.LEFT if test is SideTest.LEFT else Side.RIGHT
    return Truth.TRUE if side in (wanted, Side.BOTH) else Truth.FALSE


def _conj(values: Iterable[Truth]) -> Truth:
    result = Truth.TRUE
    for v in values:
        if v is Truth.FALSE:
            return Truth.FALSE
        if v is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def _disj(values: Iterable[Truth]) -> Truth:
    result = Truth.FALSE
    for v in values:
        if v is Truth.TRUE:
            return Truth.TRUE
        if v is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def evaluate(expr: Expr, presentation: Presentation) -> Truth:
    """Evaluate a condition on a presentation in three-valued logic."""
    if isinstance(expr, FindingIs):
        return _STATE[presentation.state(expr.finding)]
    if isinstance(expr, AllOf):
        return _conj(evaluate(e, presentation) for e in expr.all)
    if isinstance(expr, AnyOf):
        return _disj(evaluate(e, presentation) for e in expr.any)
    if isinstance(expr, NotOf):
        return ~evaluate(expr.not_, presentation)
    if isinstance(expr, SideIs):
        return _side(expr.side, presentation.side)
    if isinstance(expr, PregnantIs):
        truth = _STATE[presentation.pregnant]
        return truth if expr.pregnant else ~truth
    raise TypeError(f"unknown expression node {type(expr).__name__}")  # pragma: no cover


def undetermined_findings(expr: Expr, presentation: Presentation) -> list[str]:
    """Finding ids, unknown in ``presentation``, whose answer could settle ``expr``.

    Only sub-expressions that are themselves undetermined are searched, so a
    finding inside an already-false conjunction is not asked about.
    """
    return [q for q in open_questions(expr, presentation) if q not in ("side", "pregnant")]


def open_questions(expr: Expr, presentation: Presentation) -> list[str]:
    """What to ask to settle ``expr``: unknown finding ids, and ``side`` / ``pregnant`` when those are unknown."""
    out: list[str] = []

    def walk(e: Expr) -> None:
        if evaluate(e, presentation) is not Truth.UNKNOWN:
            return
        if isinstance(e, SideIs | PregnantIs):
            name = "side" if isinstance(e, SideIs) else "pregnant"
            if name not in out:
                out.append(name)
        elif isinstance(e, FindingIs):
            if e.finding not in out:
                out.append(e.finding)
        elif isinstance(e, AllOf):
            for part in e.all:
                walk(part)
        elif isinstance(e, AnyOf):
            for part in e.any:
                walk(part)
        elif isinstance(e, NotOf):
            walk(e.not_)

    walk(expr)
    return out


@dataclass(frozen=True)
class RuleOutcome:
    """A rule and its truth value on one presentation."""

    rule: Rule
    truth: Truth


def evaluate_rules(rules: Iterable[Rule], presentation: Presentation) -> list[RuleOutcome]:
    """Evaluate every rule, keeping the guideline's order."""
    return [RuleOutcome(rule, evaluate(rule.when, presentation)) for rule in rules]
