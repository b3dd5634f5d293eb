"""The narrative perturbation battery: load it, apply a family, prove the facts unchanged, score the pairs.

Chat-model triage moves when someone plays the symptoms down, when the patient
names a benign cause, when a carer writes, when the worrying part comes last or
when the message is typed in a hurry (docs/perturbations.md has the studies).
``calfspec run --perturb`` sends every selected scenario unperturbed and once per
family perturbed, and relates each perturbed answer to its unperturbed twin:

* a family rewrites ``narrative`` only; the structured presentation is never
  touched (:func:`perturb_scenario` copies the scenario with one field changed);
* :func:`preservation_problems` checks every rewrite: the same finding words
  (guideline vocabulary labels and synonyms, condition names, the battery's
  ``protected_words``, compared by a light stem) and the same negations, in the
  same order (sentence by sentence when a family reorders sentences). A
  rewrite that fails is a calfspec bug (:class:`~calfspec._internal.errors.InternalError`),
  never a case sent; inserted phrases are checked when the battery is loaded;
* :func:`apply_relation` marks a perturbed answer less urgent than its twin as a
  safety failure (``perturbation_drop``) showing both answers;
* :func:`perturbation_tables` summarises each family: pairs, drops, drop rate
  and the paired odds ratio with its exact interval.

Modules, by job:

* :mod:`~calfspec._internal.perturb.facts`: tokens, the :class:`Lexicon` of fact and
  negation words, and :func:`preservation_problems`;
* :mod:`~calfspec._internal.perturb.battery`: the battery file and ``--perturb``'s family list;
* :mod:`~calfspec._internal.perturb.rewrite`: each family's rewrite (:func:`perturb_narrative`);
* :mod:`~calfspec._internal.perturb.plan`: checked variants of a scenario and the cases a run sends;
* :mod:`~calfspec._internal.perturb.tables`: the relation and the paired drop / odds-ratio tables.
"""

from __future__ import annotations

from .battery import battery_path, load_battery, parse_families
from .facts import Lexicon, build_lexicon, preservation_problems, tokens
from .plan import expand, perturb_scenario, plan_run
from .rewrite import DEFAULT_SEED, perturb_narrative
from .tables import apply_relation, clopper_pearson, paired_odds_ratio, perturbation_tables

__all__ = [
    "DEFAULT_SEED",
    "Lexicon",
    "apply_relation",
    "battery_path",
    "build_lexicon",
    "clopper_pearson",
    "expand",
    "load_battery",
    "paired_odds_ratio",
    "parse_families",
    "perturb_narrative",
    "perturb_scenario",
    "perturbation_tables",
    "plan_run",
    "preservation_problems",
    "tokens",
]
