"""The narrative perturbation families as metamorphic relations for ``calfspec fuzz``.

``perturb-<family>`` (one per family in ``scenarios/perturbations.yaml``): a
presentation with a narrative, and the same presentation with the narrative
retold by the family (facts unchanged, checked by
:func:`calfspec._internal.perturb.preservation_problems`), get decisions whose urgency does
not fall. For systems that read only the structured fields it holds trivially;
for those that read the narrative it is the social-pressure test of
``calfspec run --perturb`` over generated presentations instead of golden ones.
:func:`calfspec.invariants.derive_invariants` adds these after its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st

from .._internal.guideline import GuidelineIndex
from .._internal.models.perturbation import Family, FamilyKind
from .._internal.perturb import Lexicon, load_battery, perturb_narrative, preservation_problems
from ..strategies import requests
from ._consultation import Case, Session
from ._definitions import Invariant, InvariantFamily

__all__ = ["PerturbationRelation", "perturbation_invariants"]


@dataclass(frozen=True)
class PerturbationRelation(Invariant):
    """Retelling the narrative the family's way never lowers the urgency."""

    perturbation: Family
    lexicon: Lexicon
    family = InvariantFamily.METAMORPHIC

    @property
    def name(self) -> str:
        return f"perturb-{self.perturbation.id}"

    @property
    def description(self) -> str:
        return (
            f"Retelling the narrative as '{self.perturbation.title}' (the facts unchanged) never lowers "
            "the urgency of the final decision."
        )

    @property
    def claims(self) -> tuple[str, ...]:
        return ()

    def cases(self, guideline: GuidelineIndex) -> st.SearchStrategy[Case]:
        family, lexicon = self.perturbation, self.lexicon

        @st.composite
        def pair(draw: st.DrawFn) -> Case:
            base = draw(requests(guideline, narrative=True))
            seed = draw(st.integers(0, 2**16))
            assert base.narrative is not None
            key = hashlib.sha256(base.narrative.encode()).hexdigest()[:16]
            told = perturb_narrative(base.narrative, family, base, guideline, key=key, seed=seed, lexicon=lexicon)
            reorders = family.kind is FamilyKind.RED_FLAG_LAST
            # A family that does not apply (nothing to move) or a rewrite the fact check would
            # refuse is not an example: the run would not send it either.
            assume(told is not None and told != base.narrative)
            assert told is not None
            assume(not preservation_problems(base.narrative, told, lexicon, reorders=reorders))
            variant = base.model_copy(update={"narrative": told})
            return Case((base, variant), f"narrative retold: {family.id} (seed {seed})")

        return pair()

    async def check(self, case: Case, session: Session) -> list[str]:
        plain = await session.converse(case.requests[0])
        told = await session.converse(case.requests[1])
        if told.decision.urgency < plain.decision.urgency:
            return [
                f"urgency fell from {plain.decision.urgency.value} to {told.decision.urgency.value} ({case.relation})"
            ]
        return []


def perturbation_invariants(guideline: GuidelineIndex) -> list[Invariant]:
    """One relation per family of the bundled battery, in the battery's order."""
    battery, lexicon = load_battery(guideline)
    return [PerturbationRelation(family, lexicon) for family in battery.families]
