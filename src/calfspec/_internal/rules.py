"""Three-valued (Kleene) evaluation of guideline rule conditions.

A finding is present, absent or unknown, so a condition is :attr:`Truth.TRUE`,
:attr:`Truth.FALSE` or :attr:`Truth.UNKNOWN`. Unknown is never treated as
absent: ``not`` of an unknown finding is unknown, and a rule that is unknown
has not been excluded.

Each condition is turned once into a tree of closures (:func:`truth_function`),
kept for as long as the condition object lives: the reference triage evaluates
every rule of the guideline on every request, so walking the pydantic models and
dispatching on their types each time would cost most of a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import NamedTuple

from .expressions import ExprPath
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

__all__ = [
    "RuleOutcome",
    "Truth",
    "TruthFunction",
    "evaluate",
    "evaluate_rules",
    "evaluate_without",
    "open_questions",
    "truth_function",
    "undetermined_findings",
]


class Truth(Enum):
    """Kleene's three truth values."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    def __invert__(self) -> Truth:
        return _NOT[self]


_NOT = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE, Truth.UNKNOWN: Truth.UNKNOWN}

_STATE = {
    FindingState.PRESENT: Truth.TRUE,
    FindingState.ABSENT: Truth.FALSE,
    FindingState.UNKNOWN: Truth.UNKNOWN,
}

_TRUE, _FALSE, _UNKNOWN = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
_UNKNOWN_STATE = FindingState.UNKNOWN

TruthFunction = Callable[[Mapping[str, FindingState], Side, FindingState], Truth]
"""A compiled condition: ``(findings, side, pregnant) -> Truth``."""


def _side(test: SideTest, side: Side) -> Truth:
    if side is Side.UNKNOWN:
        return Truth.UNKNOWN
    if test is SideTest.ONE_SIDED:
        return Truth.TRUE if side in (Side.LEFT, Side.RIGHT) else Truth.FALSE
    if test is SideTest.BILATERAL:
        return Truth.TRUE if side is Side.BOTH else Truth.FALSE
    wanted = Side.LEFT if test is SideTest.LEFT else Side.RIGHT
    return Truth.TRUE if side in (wanted, Side.BOTH) else Truth.FALSE


def _finding(finding: str) -> TruthFunction:
    state = _STATE

    def leaf(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
        return state[findings.get(finding, _UNKNOWN_STATE)]

    return leaf


def _findings_all(ids: tuple[str, ...]) -> TruthFunction:
    state = _STATE

    def conj(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
        result = _TRUE
        for finding in ids:
            v = state[findings.get(finding, _UNKNOWN_STATE)]
            if v is _FALSE:
                return _FALSE
            if v is _UNKNOWN:
                result = _UNKNOWN
        return result

    return conj


def _findings_any(ids: tuple[str, ...]) -> TruthFunction:
    state = _STATE

    def disj(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
        result = _FALSE
        for finding in ids:
            v = state[findings.get(finding, _UNKNOWN_STATE)]
            if v is _TRUE:
                return _TRUE
            if v is _UNKNOWN:
                result = _UNKNOWN
        return result

    return disj


def _all(parts: tuple[TruthFunction, ...]) -> TruthFunction:
    def conj(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
        result = _TRUE
        for part in parts:
            v = part(findings, side, pregnant)
            if v is _FALSE:
                return _FALSE
            if v is _UNKNOWN:
                result = _UNKNOWN
        return result

    return conj


def _any(parts: tuple[TruthFunction, ...]) -> TruthFunction:
    def disj(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
        result = _FALSE
        for part in parts:
            v = part(findings, side, pregnant)
            if v is _TRUE:
                return _TRUE
            if v is _UNKNOWN:
                result = _UNKNOWN
        return result

    return disj


def _compile(expr: Expr) -> TruthFunction:
    if isinstance(expr, FindingIs):
        return _finding(expr.finding)
    if isinstance(expr, AllOf | AnyOf):
        exprs = expr.all if isinstance(expr, AllOf) else expr.any
        if all(isinstance(e, FindingIs) for e in exprs):
            ids = tuple(e.finding for e in exprs if isinstance(e, FindingIs))
            return _findings_all(ids) if isinstance(expr, AllOf) else _findings_any(ids)
        parts = tuple(truth_function(e) for e in exprs)
        return _all(parts) if isinstance(expr, AllOf) else _any(parts)
    if isinstance(expr, NotOf):
        inner = truth_function(expr.not_)

        def negation(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
            return _NOT[inner(findings, side, pregnant)]

        return negation
    if isinstance(expr, SideIs):
        test = expr.side

        def side_is(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
            return _side(test, side)

        return side_is
    if isinstance(expr, PregnantIs):
        wanted = expr.pregnant

        def pregnant_is(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState) -> Truth:
            truth = _STATE[pregnant]
            return truth if wanted else _NOT[truth]

        return pregnant_is
    raise TypeError(f"unknown expression node {type(expr).__name__}")  # pragma: no cover


_COMPILED: dict[int, tuple[Expr, TruthFunction]] = {}
_MAX_COMPILED = 8192
"""Compiled conditions kept (keyed by object identity); generated expressions in tests must not pile up."""


def truth_function(expr: Expr) -> TruthFunction:
    """``expr`` compiled to a function of ``(findings, side, pregnant)``, made once per condition object.

    Conditions are frozen models, so what one compiles to never changes. The cache holds
    the condition itself beside its function, so an identity can only be reused once
    the entry is gone.
    """
    hit = _COMPILED.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1]
    fn = _compile(expr)
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()
    _COMPILED[id(expr)] = (expr, fn)
    return fn


def evaluate(expr: Expr, presentation: Presentation) -> Truth:
    """Evaluate a condition on a presentation in three-valued logic."""
    return truth_function(expr)(presentation.findings, presentation.side, presentation.pregnant)


def undetermined_findings(expr: Expr, presentation: Presentation) -> list[str]:
    """Finding ids, unknown in ``presentation``, whose answer could settle ``expr``.

    Only sub-expressions that are themselves undetermined are searched, so a
    finding inside an already-false conjunction is not asked about.
    """
    return [q for q in open_questions(expr, presentation) if q not in ("side", "pregnant")]


_Questions = Callable[[Mapping[str, FindingState], Side, FindingState, list[str]], None]
_WALKERS: dict[int, tuple[Expr, _Questions]] = {}


def _questions(expr: Expr) -> _Questions:
    """The walk of :func:`open_questions` for one condition, built once like its truth function."""
    hit = _WALKERS.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1]
    truth = truth_function(expr)
    walk: _Questions
    if isinstance(expr, SideIs | PregnantIs | FindingIs):
        name = "side" if isinstance(expr, SideIs) else "pregnant" if isinstance(expr, PregnantIs) else expr.finding

        def walk(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState, out: list[str]) -> None:
            if truth(findings, side, pregnant) is _UNKNOWN and name not in out:
                out.append(name)

    else:
        parts = expr.all if isinstance(expr, AllOf) else expr.any if isinstance(expr, AnyOf) else (expr.not_,)
        kids = tuple(_questions(e) for e in parts)

        def walk(findings: Mapping[str, FindingState], side: Side, pregnant: FindingState, out: list[str]) -> None:
            if truth(findings, side, pregnant) is _UNKNOWN:
                for kid in kids:
                    kid(findings, side, pregnant, out)

    if len(_WALKERS) >= _MAX_COMPILED:
        _WALKERS.clear()
    _WALKERS[id(expr)] = (expr, walk)
    return walk


def open_questions(expr: Expr, presentation: Presentation) -> list[str]:
    """What to ask to settle ``expr``: unknown finding ids, and ``side`` / ``pregnant`` when those are unknown.

    Only sub-expressions that are themselves undetermined are searched, depth first in
    the order written; each name is listed once.
    """
    out: list[str] = []
    _questions(expr)(presentation.findings, presentation.side, presentation.pregnant, out)
    return out


class RuleOutcome(NamedTuple):
    """A rule and its truth value on one presentation."""

    rule: Rule
    truth: Truth


_RULE_SETS: dict[int, tuple[tuple[Rule, ...], tuple[TruthFunction, ...]]] = {}


def _rule_tests(rules: Iterable[Rule]) -> tuple[tuple[Rule, ...], tuple[TruthFunction, ...]]:
    # A guideline's rules are one tuple for its lifetime: compile its conditions once.
    if isinstance(rules, tuple):
        hit = _RULE_SETS.get(id(rules))
        if hit is not None and hit[0] is rules:
            return hit
    listed = tuple(rules)
    found = (listed, tuple(truth_function(rule.when) for rule in listed))
    if isinstance(rules, tuple):
        if len(_RULE_SETS) >= _MAX_COMPILED:
            _RULE_SETS.clear()
        _RULE_SETS[id(rules)] = found
    return found


def evaluate_rules(rules: Iterable[Rule], presentation: Presentation) -> list[RuleOutcome]:
    """Evaluate every rule, keeping the guideline's order."""
    findings, side, pregnant = presentation.findings, presentation.side, presentation.pregnant
    listed, tests = _rule_tests(rules)
    return [RuleOutcome(rule, test(findings, side, pregnant)) for rule, test in zip(listed, tests, strict=True)]


def evaluate_without(expr: Expr, presentation: Presentation, target: ExprPath, path: ExprPath = ()) -> Truth:
    """Three-valued truth of ``expr`` with the sub-expression at ``target`` forced false."""
    if path == target:
        return Truth.FALSE
    if target[: len(path)] != path:
        return evaluate(expr, presentation)
    if isinstance(expr, AnyOf):
        values = [evaluate_without(e, presentation, target, (*path, "any", i)) for i, e in enumerate(expr.any)]
        return Truth.TRUE if Truth.TRUE in values else (Truth.UNKNOWN if Truth.UNKNOWN in values else Truth.FALSE)
    if isinstance(expr, AllOf):
        values = [evaluate_without(e, presentation, target, (*path, "all", i)) for i, e in enumerate(expr.all)]
        return Truth.FALSE if Truth.FALSE in values else (Truth.UNKNOWN if Truth.UNKNOWN in values else Truth.TRUE)
    if isinstance(expr, NotOf):  # pragma: no cover - alternatives are never inside a negation
        return ~evaluate(expr.not_, presentation)
    return evaluate(expr, presentation)
