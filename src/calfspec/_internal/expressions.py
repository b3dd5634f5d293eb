"""Every walk over rule conditions (:data:`~calfspec._internal.models.guideline.Expr`) but evaluation.

This module owns what is computed from the shape of an expression tree: its
leaf tests (:func:`expr_atoms`, :func:`expr_findings`, :func:`side_tests`), the
sign each finding sits under (:func:`polarities`), every expression a guideline
holds (:func:`all_exprs`), the ways a rule can be true (:func:`rule_alternatives`),
the expression in words (:func:`describe_expr`) and
satisfiability: the minimal witnesses that force a truth value
(:func:`witnesses`), and whether several expressions can hold at once
(:func:`satisfiable_together`).

Three-valued evaluation on a presentation (``evaluate``, ``open_questions``)
stays in :mod:`calfspec._internal.rules`: it is the evaluator, the one place
that defines what TRUE, FALSE and UNKNOWN mean, and everything here is checked
against it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf, PregnantIs, Rule, SideIs, SideTest
from .models.triage import FindingState, Presentation, Side

if TYPE_CHECKING:
    from .guideline import GuidelineIndex

__all__ = [
    "MAX_WITNESSES",
    "SIDE_ORDER",
    "Alternative",
    "ExprPath",
    "Witness",
    "all_exprs",
    "defining_atoms",
    "describe_expr",
    "expr_atoms",
    "expr_findings",
    "polarities",
    "rule_alternatives",
    "satisfiable_together",
    "side_tests",
    "witnesses",
]

MAX_WITNESSES = 4096
"""Cap on the witnesses enumerated for one condition.

A condition's minimal witnesses are its disjunctive normal form, which can grow
exponentially with nested ``all`` of ``any``. Guideline rules have a handful;
past the cap the first ones found are kept, which are still valid witnesses.
"""


def _unknown_node(expr: object) -> TypeError:  # pragma: no cover - the union is closed
    return TypeError(f"unknown expression node {type(expr).__name__}")


def _parts(expr: AllOf | AnyOf) -> tuple[Expr, ...]:
    return expr.all if isinstance(expr, AllOf) else expr.any


def expr_atoms(expr: Expr) -> Iterator[FindingIs | SideIs | PregnantIs]:
    """Every leaf test of an expression (finding, side, pregnancy), in order, with repeats."""
    if isinstance(expr, FindingIs | SideIs | PregnantIs):
        yield expr
    elif isinstance(expr, AllOf | AnyOf):
        for part in _parts(expr):
            yield from expr_atoms(part)
    elif isinstance(expr, NotOf):
        yield from expr_atoms(expr.not_)


def expr_findings(expr: Expr) -> Iterator[str]:
    """Every finding id an expression mentions, in order, with repeats."""
    for atom in expr_atoms(expr):
        if isinstance(atom, FindingIs):
            yield atom.finding


def defining_atoms(expr: Expr) -> Iterator[FindingIs | PregnantIs]:
    """The positive tests of a condition: findings (and ``pregnant: true``) not under a ``not``."""
    if isinstance(expr, FindingIs):
        yield expr
    elif isinstance(expr, PregnantIs):
        if expr.pregnant:
            yield expr
    elif isinstance(expr, AllOf):
        for part in expr.all:
            yield from defining_atoms(part)
    elif isinstance(expr, AnyOf):
        for part in expr.any:
            yield from defining_atoms(part)
    # NotOf: a finding the rule needs absent does not point to the rule when present.


def side_tests(expr: Expr) -> Iterator[SideTest]:
    """Every side test an expression makes, in order, with repeats."""
    return (atom.side for atom in expr_atoms(expr) if isinstance(atom, SideIs))


def polarities(expr: Expr, positive: bool = True) -> Iterator[tuple[str, bool]]:
    """Each finding an expression names, with False when it sits under an odd number of ``not``."""
    if isinstance(expr, FindingIs):
        yield expr.finding, positive
    elif isinstance(expr, AllOf | AnyOf):
        for part in _parts(expr):
            yield from polarities(part, positive)
    elif isinstance(expr, NotOf):
        yield from polarities(expr.not_, not positive)


def all_exprs(guideline: GuidelineIndex) -> Iterator[Expr]:
    """Every expression in a guideline: rules' ``when``, advice's conditions, conditions' ``suggested_by``."""
    g = guideline.guideline
    yield from (r.when for r in g.rules)
    for a in g.advice:
        yield from (e for e in (a.indicated_when, a.contraindicated_when) if e is not None)
    yield from (c.suggested_by for c in g.conditions if c.suggested_by is not None)


_SIDE_WORDS = {
    SideTest.ONE_SIDED: "symptoms in one leg only",
    SideTest.BILATERAL: "symptoms in both legs",
    SideTest.LEFT: "left leg affected",
    SideTest.RIGHT: "right leg affected",
}


def describe_expr(expr: Expr, guideline: GuidelineIndex) -> str:
    """A rule condition in words, e.g. ``all of (tender calf; symptoms in one leg only; ...)``."""
    if isinstance(expr, FindingIs):
        return guideline.label(expr.finding)
    if isinstance(expr, SideIs):
        return _SIDE_WORDS[expr.side]
    if isinstance(expr, PregnantIs):
        return "pregnant" if expr.pregnant else "not pregnant"
    if isinstance(expr, AllOf | AnyOf):
        parts = _parts(expr)
        if len(parts) == 1:
            return describe_expr(parts[0], guideline)
        word = "all of (" if isinstance(expr, AllOf) else "any of ("
        return word + "; ".join(describe_expr(p, guideline) for p in parts) + ")"
    if isinstance(expr, NotOf):
        return "not (" + describe_expr(expr.not_, guideline) + ")"
    raise _unknown_node(expr)


ExprPath = tuple[str | int, ...]
"""Where a sub-expression sits in a condition, e.g. ``("all", 1, "any", 0)`` for ``all[1].any[0]``."""


@dataclass(frozen=True)
class Alternative:
    """One disjunct of an ``any`` in a rule's condition, found at ``path`` (e.g. ``("all", 1, "any", 0)``)."""

    rule: Rule
    path: ExprPath
    expr: Expr

    @property
    def where(self) -> str:
        """The path as text, e.g. ``all[1].any[0]``."""
        return ".".join(f"{self.path[i]}[{self.path[i + 1]}]" for i in range(0, len(self.path), 2))


def rule_alternatives(rule: Rule) -> list[Alternative]:
    """Every disjunct of every ``any`` in the rule's condition, recursively (not inside a ``not``)."""
    out: list[Alternative] = []

    def walk(expr: Expr, path: ExprPath) -> None:
        if isinstance(expr, AnyOf):
            for i, part in enumerate(expr.any):
                here = (*path, "any", i)
                if len(expr.any) > 1:
                    out.append(Alternative(rule, here, part))
                walk(part, here)
        elif isinstance(expr, AllOf):
            for i, part in enumerate(expr.all):
                walk(part, (*path, "all", i))
        # NotOf: a disjunct under a negation is not a way for the rule to be true.

    walk(rule.when, ())
    return out


# --- satisfiability ------------------------------------------------------------------------

_ALL_SIDES = (Side.LEFT, Side.RIGHT, Side.BOTH)
_SIDE_TRUE: dict[SideTest, frozenset[Side]] = {
    SideTest.ONE_SIDED: frozenset({Side.LEFT, Side.RIGHT}),
    SideTest.BILATERAL: frozenset({Side.BOTH}),
    SideTest.LEFT: frozenset({Side.LEFT, Side.BOTH}),
    SideTest.RIGHT: frozenset({Side.RIGHT, Side.BOTH}),
}
SIDE_ORDER = {Side.UNKNOWN: 0, Side.LEFT: 1, Side.RIGHT: 2, Side.BOTH: 3}
"""Sides from the simplest (unknown) on: a stable order that never depends on set iteration."""


@dataclass(frozen=True)
class Witness:
    """A partial presentation that forces a condition to one truth value.

    ``findings`` fixes some findings to present or absent; ``sides`` restricts
    the side to a set (``None``: any side); ``pregnant`` fixes pregnancy
    (``None``: free). Anything not mentioned is free, and may be unknown.
    """

    findings: tuple[tuple[str, FindingState], ...] = ()
    sides: frozenset[Side] | None = None
    pregnant: FindingState | None = None

    @property
    def finding_map(self) -> dict[str, FindingState]:
        """The fixed findings as a dict."""
        return dict(self.findings)

    @property
    def present(self) -> tuple[str, ...]:
        """Finding ids the witness needs present."""
        return tuple(f for f, s in self.findings if s is FindingState.PRESENT)

    def merge(self, other: Witness) -> Witness | None:
        """Both witnesses at once, or ``None`` when they contradict each other."""
        fixed = self.finding_map
        for fid, state in other.findings:
            if fixed.setdefault(fid, state) is not state:
                return None
        if self.sides is None:
            sides = other.sides
        elif other.sides is None:
            sides = self.sides
        else:
            sides = self.sides & other.sides
            if not sides:
                return None
        if self.pregnant is not None and other.pregnant is not None and self.pregnant is not other.pregnant:
            return None
        return Witness(tuple(sorted(fixed.items())), sides, self.pregnant or other.pregnant)

    def implied_by(self, other: Witness) -> bool:
        """Whether every presentation matching ``other`` also matches this witness."""
        mine = self.finding_map
        theirs = other.finding_map
        if any(theirs.get(fid) is not state for fid, state in mine.items()):
            return False
        if self.sides is not None and (other.sides is None or not other.sides <= self.sides):
            return False
        return self.pregnant is None or self.pregnant is other.pregnant

    def sort_key(self) -> tuple[int, bool, int, int, tuple[tuple[str, str], ...], tuple[int, ...], str]:
        """Simplest first: fewest findings present, then fewest facts fixed; then a stable order.

        The key never depends on set iteration order (string hashes vary between
        processes), so a seed reproduces the same examples in every process.
        """
        return (
            len(self.present),
            self.pregnant is FindingState.PRESENT,
            len(self.findings) + (self.pregnant is not None),
            0 if self.sides is None else 4 - len(self.sides),
            tuple((fid, state.value) for fid, state in self.findings),
            tuple(sorted(SIDE_ORDER[s] for s in self.sides or ())),
            self.pregnant.value if self.pregnant is not None else "",
        )

    def presentation(self) -> Presentation:
        """The witness as a presentation: its facts, the first side it allows, everything else unknown."""
        side = min(self.sides, key=SIDE_ORDER.__getitem__) if self.sides else Side.UNKNOWN
        return Presentation(side=side, pregnant=self.pregnant or FindingState.UNKNOWN, findings=dict(self.findings))


def _product(parts: Sequence[list[Witness]]) -> list[Witness]:
    out = [Witness()]
    for options in parts:
        merged: list[Witness] = []
        for left, right in itertools.product(out, options):
            both = left.merge(right)
            if both is not None:
                merged.append(both)
            if len(merged) >= MAX_WITNESSES:
                break
        out = merged
        if not out:
            break
    return out


def _dnf(expr: Expr, want: bool) -> list[Witness]:
    if isinstance(expr, FindingIs):
        return [Witness(((expr.finding, FindingState.PRESENT if want else FindingState.ABSENT),))]
    if isinstance(expr, PregnantIs):
        return [Witness(pregnant=FindingState.PRESENT if expr.pregnant is want else FindingState.ABSENT)]
    if isinstance(expr, SideIs):
        true_sides = _SIDE_TRUE[expr.side]
        return [Witness(sides=true_sides if want else frozenset(_ALL_SIDES) - true_sides)]
    if isinstance(expr, NotOf):
        return _dnf(expr.not_, not want)
    if isinstance(expr, AllOf | AnyOf):
        parts = _parts(expr)
        # all-TRUE and any-FALSE need every part; all-FALSE and any-TRUE need one.
        if isinstance(expr, AllOf) is want:
            return _product([_dnf(p, want) for p in parts])
        return [w for p in parts for w in _dnf(p, want)][:MAX_WITNESSES]
    raise _unknown_node(expr)


def witnesses(expr: Expr | Rule, want: bool = True) -> tuple[Witness, ...]:
    """Every minimal witness that makes ``expr`` TRUE (``want=True``) or FALSE, simplest first.

    A witness is minimal: no other witness in the result is implied by it. The
    result is empty when the condition can never take the wanted value (for
    example ``all: [finding: x, not: {finding: x}]``).
    """
    target = expr.when if isinstance(expr, Rule) else expr
    found = sorted(set(_dnf(target, want)), key=Witness.sort_key)
    minimal = [w for w in found if not any(o is not w and o.implied_by(w) for o in found)]
    return tuple(minimal)


def satisfiable_together(*exprs: Expr) -> Presentation | None:
    """The simplest presentation on which every expression is TRUE, or ``None`` if there is none.

    The presentation leaves unknown whatever the witness leaves free: Kleene
    logic is monotone in information, so no answer to those can make it false.
    """
    if not exprs:
        return Presentation()
    # The simplest witness is minimal already: no need for the quadratic filter of witnesses().
    found = _dnf(AllOf(all=exprs), True)
    return min(found, key=Witness.sort_key).presentation() if found else None
