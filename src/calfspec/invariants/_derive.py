"""Which invariants a guideline implies, and selecting them by name or glob."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from .._internal.errors import InputError
from .._internal.expressions import all_exprs, polarities, side_tests
from .._internal.guideline import GuidelineIndex, load_guideline
from .._internal.models.guideline import RuleKind, SideTest
from ._definitions import (
    ContraindicationInvariant,
    ExclusionBeforeSelfCare,
    Invariant,
    OpenRedFlagFloor,
    RedFlagInvariant,
    RoutineReviewBeforeSelfCare,
)
from ._drafts import unique
from ._perturbation import perturbation_invariants
from ._relations import Determinism, IrrelevantDetails, LateralitySymmetry, Monotonicity

__all__ = ["derive_invariants", "select_invariants"]


def derive_invariants(guideline: GuidelineIndex | None = None) -> tuple[Invariant, ...]:
    """Every invariant the guideline implies, red flags first, in a stable order."""
    index = guideline if guideline is not None else load_guideline()
    g = index.guideline
    policy = index.meta.policy
    out: list[Invariant] = [RedFlagInvariant(rule) for rule in index.red_flags]
    out.extend(ContraindicationInvariant(a) for a in g.advice if a.contraindicated_when is not None)
    negated = {f for r in g.rules for f, positive in polarities(r.when) if not positive}
    raising = unique(f for r in index.red_flags for f, positive in polarities(r.when) if positive and f not in negated)
    red_claims = unique(c for r in index.red_flags for c in r.claims)
    if raising:
        out.append(Monotonicity(raising, red_claims))
    tested = {t for e in all_exprs(index) for t in side_tests(e)}
    if not tested & {SideTest.LEFT, SideTest.RIGHT}:
        sided = [r for r in g.rules if any(True for _ in side_tests(r.when))]
        out.append(LateralitySymmetry(unique(c for r in sided for c in r.claims) or policy.claims))
    out.append(IrrelevantDetails())
    out.append(Determinism())
    out.append(ExclusionBeforeSelfCare(index.red_flags, policy.claims))
    routine = tuple(r for r in g.rules if r.kind is RuleKind.ROUTINE_REVIEW)
    if routine:
        out.append(RoutineReviewBeforeSelfCare(routine))
    tier_claims = (c for t in policy.open_red_flag_tiers for c in t.claims)
    out.append(OpenRedFlagFloor(unique((*policy.claims, *tier_claims))))
    # The narrative perturbation families (scenarios/perturbations.yaml) as relations.
    out.extend(perturbation_invariants(index))
    return tuple(out)


def select_invariants(invariants: Sequence[Invariant], patterns: Sequence[str]) -> list[Invariant]:
    """The invariants matching any of ``patterns`` (exact names or shell globs such as ``red-flag-*``).

    Raises :class:`~calfspec._internal.errors.InputError` (code ``unknown-invariant``,
    exit 4) for an exact name that is not an invariant, listing the names. A
    glob that matches nothing selects nothing (the caller exits 5).
    """
    if not patterns:
        return list(invariants)
    names = [inv.name for inv in invariants]
    for pattern in patterns:
        if not any(ch in pattern for ch in "*?[") and pattern not in names:
            raise InputError(
                f"unknown invariant {pattern!r}",
                code="unknown-invariant",
                hint="invariants: " + ", ".join(names),
            )
    return [inv for inv in invariants if any(fnmatchcase(inv.name, p) for p in patterns)]
