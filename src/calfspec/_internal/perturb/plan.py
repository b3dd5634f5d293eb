"""What ``calfspec run --perturb`` sends: every scenario followed by its checked perturbed variants."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..errors import InternalError
from ..guideline import GuidelineIndex
from ..models.perturbation import Family, FamilyKind
from ..scenarios import LoadedScenario
from .battery import load_battery, parse_families
from .facts import Lexicon, preservation_problems
from .rewrite import DEFAULT_SEED, perturb_narrative

__all__ = ["expand", "perturb_scenario", "plan_run"]


def perturb_scenario(
    loaded: LoadedScenario,
    family: Family,
    lexicon: Lexicon,
    guideline: GuidelineIndex,
    *,
    seed: int = DEFAULT_SEED,
) -> LoadedScenario | None:
    """The scenario with its narrative perturbed (its own identity as a variant), or None if not applicable.

    Raises :class:`~calfspec._internal.errors.InternalError` if the rewrite changed a fact:
    that is a bug in a family, and nothing must be sent that says something else.
    """
    s = loaded.scenario
    text = perturb_narrative(s.narrative, family, s.presentation, guideline, key=s.id, seed=seed, lexicon=lexicon)
    if text is None or text == s.narrative:
        return None
    problems = preservation_problems(s.narrative, text, lexicon, reorders=family.kind is FamilyKind.RED_FLAG_LAST)
    if problems:
        raise InternalError(
            f"perturbation {family.id} of scenario {s.id} changed the facts: {'; '.join(problems)}",
            code="perturbation-changed-facts",
            hint="please report this; run without --perturb meanwhile",
        )
    return dataclasses.replace(loaded, scenario=s.model_copy(update={"narrative": text}), perturbation=family.id)


def expand(
    selected: Sequence[LoadedScenario],
    families: Sequence[Family],
    lexicon: Lexicon,
    guideline: GuidelineIndex,
    *,
    seed: int = DEFAULT_SEED,
) -> tuple[list[LoadedScenario], dict[str, int]]:
    """Every scenario followed by its perturbed variants, and how many scenarios each family did not apply to."""
    out: list[LoadedScenario] = []
    skipped = dict.fromkeys((f.id for f in families), 0)
    for loaded in selected:
        out.append(loaded)
        for family in families:
            variant = perturb_scenario(loaded, family, lexicon, guideline, seed=seed)
            if variant is None:
                skipped[family.id] += 1
            else:
                out.append(variant)
    return out, skipped


def plan_run(
    selected: Sequence[LoadedScenario],
    spec: str,
    guideline: GuidelineIndex,
    *,
    seed: int = DEFAULT_SEED,
) -> tuple[list[LoadedScenario], str]:
    """What ``calfspec run --perturb SPEC`` sends, and a one-line note saying so."""
    battery, lexicon = load_battery(guideline)
    families = parse_families(spec, battery)
    runs, skipped = expand(selected, families, lexicon, guideline, seed=seed)
    parts = []
    for family in families:
        applied = len(selected) - skipped[family.id]
        parts.append(f"{family.id} {applied}/{len(selected)}")
    return runs, f"--perturb: {len(runs) - len(selected)} perturbed case(s) ({', '.join(parts)} scenario(s))"
