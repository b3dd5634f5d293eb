"""Three-valued (Kleene) evaluation of guideline rule conditions.

A finding is present, absent or unknown, so a condition is :attr:`Truth.TRUE`,
:attr:`Truth.FALSE` or :attr:`Truth.UNKNOWN`. Unknown is never treated as
absent: ``not`` of an unknown finding is unknown, and a rule that is unknown
has not been excluded.

Each condition is compiled once into a Python function (:func:`truth_function`),
kept for as long as the condition object lives, and a guideline's rules into one
function that tests them all (:func:`evaluate_rules`): the reference triage
evaluates every rule of the guideline on every request, so walking the pydantic
models and dispatching on their types each time would cost most of a run. The
compiled code computes on the truth values' numbers (false 0, unknown 1, true 2),
where Kleene's "and" is ``min``, "or" is ``max`` and "not" is ``2 - x``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import NamedTuple, cast

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
    "TruthTable",
    "evaluate",
    "evaluate_rules",
    "evaluate_without",
    "open_questions",
    "truth_function",
    "truth_table",
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


# The numbers compiled conditions compute on; a number becomes a Truth at the end.
_LEVEL = {state: truth.value for state, truth in _STATE.items()}
_TRUTHS = (Truth.FALSE, Truth.UNKNOWN, Truth.TRUE)
_SIDE_LEVEL = {test: {side: _side(test, side).value for side in Side} for test in SideTest}
_SIDE_NAMES = {test: f"_side_{test.value}" for test in SideTest}
_NAMESPACE: dict[str, object] = {
    "_level": _LEVEL,
    "_truths": _TRUTHS,
    "_unknown": FindingState.UNKNOWN,
    **{_SIDE_NAMES[test]: table for test, table in _SIDE_LEVEL.items()},
}


class _Source:
    """The body of a compiled condition: one line per node, each binding the node's number to a local.

    Each finding is looked up once, however many nodes test it.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._findings: dict[str, str] = {}
        self._nodes: dict[int, str] = {}  # by identity: the exprs outlive the compilation

    def _bind(self, value: str) -> str:
        name = f"v{len(self.lines)}"
        self.lines.append(f"    {name} = {value}")
        return name

    def _finding(self, finding: str) -> str:
        name = self._findings.get(finding)
        if name is None:
            # repr() makes the id a string literal whatever it holds; a finding left out is unknown.
            name = self._findings[finding] = self._bind(f"_level[get({finding!r}, _unknown)]")
        return name

    def node(self, expr: Expr) -> str:
        if isinstance(expr, FindingIs):
            return self._finding(expr.finding)
        name = self._nodes.get(id(expr))
        if name is None:
            name = self._nodes[id(expr)] = self._compound(expr)
        return name

    def _compound(self, expr: Expr) -> str:
        if isinstance(expr, AllOf | AnyOf):
            exprs = expr.all if isinstance(expr, AllOf) else expr.any
            combine = "min" if isinstance(expr, AllOf) else "max"
            parts = [self.node(e) for e in exprs]
            return self._bind(f"{combine}({', '.join(parts)})") if len(parts) > 1 else parts[0]
        if isinstance(expr, NotOf):
            return self._bind(f"2 - {self.node(expr.not_)}")
        if isinstance(expr, SideIs):
            return self._bind(f"{_SIDE_NAMES[expr.side]}[side]")
        if isinstance(expr, PregnantIs):
            return self._bind("_level[pregnant]" if expr.pregnant else "2 - _level[pregnant]")
        raise TypeError(f"unknown expression node {type(expr).__name__}")  # pragma: no cover


def _function(exprs: Sequence[Expr], result: Callable[[list[str]], str], names: Mapping[str, object]) -> object:
    """Compile ``exprs`` into one function of ``(findings, side, pregnant)``; ``result`` writes its return value."""
    source = _Source()
    values = [source.node(expr) for expr in exprs]
    return _define(["findings", "side", "pregnant"], [*source.lines, f"    return {result(values)}"], names)


def _define(params: list[str], body: list[str], names: Mapping[str, object]) -> object:
    head = [f"def _compiled({', '.join(params)}):", "    get = findings.get"]
    text = "\n".join([*head, *body])
    scope = {**_NAMESPACE, **names}
    # The conditions are data (frozen models): generated code, once per condition object,
    # tests them at the speed of hand-written code, with no call per node of the tree. The
    # source holds only the node types above and ids as string literals.
    exec(compile(text, "<calfspec condition>", "exec"), scope)
    return scope["_compiled"]


def _compile(expr: Expr) -> TruthFunction:
    return cast(TruthFunction, _function([expr], lambda values: f"_truths[{values[0]}]", {}))


TruthTable = Callable[[Mapping[str, FindingState], Side, FindingState], tuple[Truth, ...]]
"""Several conditions compiled together: ``(findings, side, pregnant) -> (Truth, ...)``, in order."""


def truth_table(exprs: Sequence[Expr]) -> TruthTable:
    """``exprs`` compiled into one function giving the truth of each, in order (made anew: keep it)."""
    compiled = _function(exprs, lambda values: "(" + "".join(f"_truths[{v}], " for v in values) + ")", {})
    return cast(TruthTable, compiled)


_RuleTests = Callable[[Mapping[str, FindingState], Side, FindingState], list["RuleOutcome"]]


def _compile_rules(rules: Sequence[Rule]) -> _RuleTests:
    # A rule has three possible outcomes, all immutable: make them once, and let the
    # compiled test of every rule pick one.
    outcomes = {f"_outcomes_{i}": tuple(RuleOutcome(rule, truth) for truth in _TRUTHS) for i, rule in enumerate(rules)}
    compiled = _function(
        [rule.when for rule in rules],
        lambda values: "[" + "".join(f"_outcomes_{i}[{v}], " for i, v in enumerate(values)) + "]",
        outcomes,
    )
    return cast(_RuleTests, compiled)


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
    """The walk of :func:`open_questions` for one condition, compiled once like its truth function."""
    hit = _WALKERS.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1]
    source = _Source()
    asks: list[str] = []

    def visit(node: Expr, undetermined: tuple[str, ...]) -> None:
        # A node is searched only when it and every node above it are undetermined; each test
        # is one flat statement in depth-first order, so no tree is too deep to compile.
        path = (*undetermined, f"{source.node(node)} == 1")
        if isinstance(node, SideIs | PregnantIs | FindingIs):
            name = "side" if isinstance(node, SideIs) else "pregnant" if isinstance(node, PregnantIs) else node.finding
            asks.append(f"    if {' and '.join(path)} and {name!r} not in out:")
            asks.append(f"        out.append({name!r})")
            return
        for part in node.all if isinstance(node, AllOf) else node.any if isinstance(node, AnyOf) else (node.not_,):
            visit(part, path)

    visit(expr, ())
    walk = cast(_Questions, _define(["findings", "side", "pregnant", "out"], [*source.lines, *asks], {}))
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


_RULE_SETS: dict[int, tuple[tuple[Rule, ...], _RuleTests]] = {}


def _rule_tests(rules: Iterable[Rule]) -> _RuleTests:
    # A guideline's rules are one tuple for its lifetime: compile its conditions once, into
    # one function that tests them all.
    if isinstance(rules, tuple):
        hit = _RULE_SETS.get(id(rules))
        if hit is not None and hit[0] is rules:
            return hit[1]
    listed = tuple(rules)
    tests = _compile_rules(listed)
    if isinstance(rules, tuple):
        if len(_RULE_SETS) >= _MAX_COMPILED:
            _RULE_SETS.clear()
        _RULE_SETS[id(rules)] = (listed, tests)
    return tests


def evaluate_rules(rules: Iterable[Rule], presentation: Presentation) -> list[RuleOutcome]:
    """Evaluate every rule, keeping the guideline's order."""
    return _rule_tests(rules)(presentation.findings, presentation.side, presentation.pregnant)


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
