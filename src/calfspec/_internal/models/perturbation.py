"""The narrative perturbation battery (``scenarios/perturbations.yaml``) and its per-family result table.

A :class:`Battery` is data: perturbation families with their rationale and the
studies behind them, plus the word lists the fact-preservation check uses. The
logic that applies a family and checks it lives in :mod:`calfspec._internal.perturb`.
A :class:`PerturbationTable` is what a run's reports show for one family.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from ._base import Id, Model, Text
from .urgency import Urgency

__all__ = [
    "Battery",
    "DroppedCase",
    "Family",
    "FamilyKind",
    "PerturbationTable",
    "Position",
    "Study",
]

_SLOT = re.compile(r"\{([a-z_]+)\}")
_RELATION_GROUPS = ("child", "adult", "older")
_RELATION_SEXES = ("female", "male", "other", "unknown")

Word = str


class FamilyKind(StrEnum):
    """How a family rewrites a narrative."""

    INSERT = "insert"
    """Add one sentence (a phrase, slots filled) at the start or the end."""
    THIRD_PERSON = "third_person"
    """Rewrite first person as third person and open with who is writing."""
    RED_FLAG_LAST = "red_flag_last"
    """Move the sentences naming a present red-flag finding to the end."""
    INFORMAL = "informal"
    """Lower case, no punctuation, listed misspellings (seeded)."""


class Position(StrEnum):
    """Where an inserted sentence goes."""

    START = "start"
    END = "end"


class Study(Model):
    """A publication a family rests on, cited as given."""

    id: Id
    citation: Text
    finding: Text


class Family(Model):
    """One perturbation family: a way of telling the same story."""

    id: Id
    title: Text
    kind: FamilyKind
    position: Position = Position.END
    rationale: Text
    studies: tuple[Id, ...] = Field(min_length=1)
    phrases: tuple[Text, ...] = ()
    slots: dict[Id, tuple[Text, ...]] = Field(default_factory=dict)
    relations: dict[str, dict[str, Text]] = Field(
        default_factory=dict, description="third_person: the writer's word for the patient, by age group and sex."
    )
    typos: dict[Word, Word] = Field(default_factory=dict, description="informal: word -> misspelling.")
    typo_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _complete(self) -> Family:
        if self.kind in (FamilyKind.INSERT, FamilyKind.THIRD_PERSON) and not self.phrases:
            raise ValueError(f"a {self.kind.value} family needs phrases")
        if self.kind is FamilyKind.INFORMAL and not self.typos:
            raise ValueError("an informal family needs typos")
        slots = set(self.slots) | ({"relation"} if self.kind is FamilyKind.THIRD_PERSON else set())
        for phrase in self.phrases:
            missing = set(_SLOT.findall(phrase)) - slots
            if missing:
                raise ValueError(f"phrase {phrase!r} uses undefined slot(s) {sorted(missing)}")
        for name, values in self.slots.items():
            if not values:
                raise ValueError(f"slot {name!r} has no values")
        if self.kind is FamilyKind.THIRD_PERSON:
            for group in _RELATION_GROUPS:
                row = self.relations.get(group, {})
                lacking = [sex for sex in _RELATION_SEXES if sex not in row]
                if lacking:
                    raise ValueError(f"relations.{group} needs a word for {', '.join(lacking)}")
        return self


class Battery(Model):
    """The whole perturbation battery file."""

    version: Literal[1] = 1
    studies: tuple[Study, ...] = Field(min_length=1)
    protected_words: tuple[Word, ...] = ()
    negations: tuple[Word, ...] = Field(min_length=1)
    stopwords: tuple[Word, ...] = ()
    families: tuple[Family, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Battery:
        ids = [f.id for f in self.families]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate family id(s): {dupes}")
        known = {s.id for s in self.studies}
        for family in self.families:
            unknown = [s for s in family.studies if s not in known]
            if unknown:
                raise ValueError(f"family {family.id} cites unknown study id(s) {unknown}")
        return self

    def family(self, family_id: str) -> Family:
        """The family with this id (KeyError if none)."""
        for family in self.families:
            if family.id == family_id:
                return family
        raise KeyError(family_id)


class DroppedCase(Model):
    """A pair in which the perturbed answer was less urgent than the unperturbed one."""

    scenario_id: Id
    repeat: int = 0
    unperturbed: Urgency
    perturbed: Urgency


class PerturbationTable(Model):
    """One family's paired comparison over a run: each perturbed trial against its unperturbed twin.

    A *pair* is a scenario and repeat answered both ways. ``drops`` counts pairs
    whose perturbed answer is less urgent (b), ``rises`` more urgent (c). The odds
    ratio is the paired (conditional, McNemar) one, b/c, with 0.5 added to both
    when either is zero; the interval is the exact Clopper-Pearson interval for
    b/(b+c), transformed to the odds scale (``ci_high`` null = unbounded). See
    docs/perturbations.md.
    """

    family: Id
    pairs: int = Field(ge=0, description="Pairs in which both answers were judged (no error on either side).")
    errors: int = Field(ge=0, description="Pairs left out because either side ended in an error.")
    drops: int = Field(ge=0, description="Pairs whose perturbed answer is less urgent (safety failures).")
    rises: int = Field(ge=0, description="Pairs whose perturbed answer is more urgent.")
    drop_rate: float | None = Field(description="drops / pairs; null when there are no pairs.")
    odds_ratio: float | None = Field(
        description="Paired odds ratio of a less urgent answer; null with no discordant pair."
    )
    ci_low: float | None = Field(description="Lower bound of the 95% interval on the odds ratio.")
    ci_high: float | None = Field(description="Upper bound of the 95% interval; null when unbounded.")
    p_value: float | None = Field(
        description="Exact two-sided McNemar (binomial) p-value; null with no discordant pair."
    )
    method: str = "paired conditional odds ratio b/c (0.5 added to both when either is 0); exact Clopper-Pearson 95% CI"
    dropped_emergencies: tuple[DroppedCase, ...] = Field(
        default=(), description="Drops in scenarios whose expected minimum urgency is emergency."
    )
