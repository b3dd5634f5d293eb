"""The public surface is explicit, sorted and pinned."""

from __future__ import annotations

import calfspec
import calfspec._internal.models

EXPECTED = [
    "PROTOCOL_VERSION",
    "CalfspecError",
    "CaseResult",
    "FindingState",
    "Guideline",
    "GuidelineIndex",
    "Implementation",
    "ImplementationError",
    "InputError",
    "Presentation",
    "Reply",
    "RunResult",
    "Scenario",
    "TriageDecision",
    "TriageRequest",
    "Urgency",
    "Verdict",
    "__version__",
    "load_guideline",
    "load_implementation",
    "reference_triage",
]


def test_all_is_pinned() -> None:
    assert calfspec.__all__ == EXPECTED


def test_every_exported_name_exists_once() -> None:
    # The order itself is enforced by ruff (RUF022, isort-style sorting of __all__).
    for module in (calfspec, calfspec._internal.models):
        names = list(module.__all__)
        assert len(set(names)) == len(names)
        for name in names:
            assert hasattr(module, name), name


def test_public_models_are_frozen_and_forbid_extra_fields() -> None:
    from pydantic import BaseModel

    for name in calfspec._internal.models.__all__:
        obj = getattr(calfspec._internal.models, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            assert obj.model_config.get("frozen") is True, name
            assert obj.model_config.get("extra") == "forbid", name


def test_every_error_derives_from_the_root_and_has_a_docstring() -> None:
    from calfspec._internal import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, errors.CalfspecError)
            assert obj is errors.InternalError or (obj.__doc__ and "Likely causes" in obj.__doc__), name


def test_every_public_name_has_a_home_module() -> None:
    assert set(calfspec.__all__) - {"__version__"} == set(calfspec._WHERE)
