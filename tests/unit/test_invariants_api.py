"""calfspec.invariants: the public face is an explicit, sorted ``__all__``, pinned here."""

from __future__ import annotations

import importlib
import pkgutil

import calfspec.invariants as invariants

EXPECTED = [
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


def test_all_is_exactly_the_public_names_in_sorted_order() -> None:
    assert invariants.__all__ == EXPECTED
    assert invariants.__all__ == sorted(invariants.__all__)


def test_every_public_name_imports_from_the_package_and_has_a_docstring() -> None:
    namespace: dict[str, object] = {}
    exec(f"from calfspec.invariants import {', '.join(EXPECTED)}", namespace)
    for name in EXPECTED:
        obj = namespace[name]
        assert obj is getattr(invariants, name)
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_public_face_defines_nothing_itself_and_every_private_module_states_its_role() -> None:
    # The work lives in the private modules; __init__ only re-exports.
    for name in EXPECTED:
        module = getattr(invariants, name).__module__
        assert module.startswith(("calfspec.invariants._", "calfspec._internal.")), (name, module)
    private = [m.name for m in pkgutil.iter_modules(invariants.__path__)]
    assert private and all(m.startswith("_") for m in private), private
    for name in private:
        module = importlib.import_module(f"calfspec.invariants.{name}")
        assert (module.__doc__ or "").strip(), f"{name} has no module docstring"


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from calfspec.invariants import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(EXPECTED)
