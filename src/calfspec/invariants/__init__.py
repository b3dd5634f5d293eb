"""Safety invariants derived from the guideline, searched with hypothesis against any implementation.

Golden scenarios test the cases someone wrote down; invariants state what must
hold for *every* presentation, and hypothesis looks for the ones that break
them, then shrinks each to the smallest presentation that still does.

Invariants are derived from guideline data, never written one per rule:

* ``red-flag-<rule>`` for every red-flag rule: any presentation on which the
  rule's condition is TRUE gets at least the rule's urgency, the rule's
  pathway, and none of the advice the rule contraindicates. Adding a red flag
  to guideline/ adds its invariant.
* ``contraindicated-<advice>`` for every advice item with a
  ``contraindicated_when``: it is never given when that condition is TRUE.
* Metamorphic relations between two answers of the same implementation:
  ``monotonicity``, ``laterality-symmetry``, ``irrelevant-details``,
  ``determinism``, and the policy checks ``exclusion-before-self-care``,
  ``routine-review-before-self-care`` and ``open-red-flag-floor`` (see each
  class for its precise meaning, and docs/invariants.md).
* ``perturb-<family>``, one per narrative perturbation family: a retold
  narrative never lowers the urgency.

A :class:`Fuzzer` owns one event loop and one started implementation, and runs
each invariant as a hypothesis test (seeded, no example database, no deadline,
so a seed reproduces a run). A case on which the implementation raises
:class:`~calfspec._internal.errors.ImplementationError` is a violation of kind ``error``.
:func:`check_invariant` is the one-call entry point for the pytest plugin and
for users' own tests.

This module is the public face; the work is done in private modules, one role each:

* ``_consultation``: one example's requests and the simulated patient who answers follow-up questions;
* ``_definitions``: the :class:`Invariant` base class, the red-flag and contraindication
  invariants and the policy checks on a final decision;
* ``_relations`` and ``_perturbation``: the metamorphic relations between two answers;
* ``_derive``: which invariants a guideline implies, and selecting them by name;
* ``_fuzzer``: the hypothesis search, its results and :func:`check_invariant`;
* ``_drafts``: counterexamples drafted as scenarios, with the expectations the rules set;
* ``_words``: presentations and decisions in clinical words.
"""

from __future__ import annotations

from .._internal.session import Conversation
from ._consultation import Case, Session
from ._definitions import Invariant, InvariantFamily, ViolationKind
from ._derive import derive_invariants, select_invariants
from ._drafts import counterexample_scenarios
from ._fuzzer import Fuzzer, FuzzOptions, InvariantReport, Violation, check_invariant
from ._words import describe_decision, describe_presentation

__all__ = [
    "Case",
    "Conversation",
    "FuzzOptions",
    "Fuzzer",
    "Invariant",
    "InvariantFamily",
    "InvariantReport",
    "Session",
    "Violation",
    "ViolationKind",
    "check_invariant",
    "counterexample_scenarios",
    "derive_invariants",
    "describe_decision",
    "describe_presentation",
    "select_invariants",
]
