"""The public surface is explicit, sorted and pinned."""

from __future__ import annotations

import calfspec
import calfspec._internal.models

EXPECTED = [
    "PROTOCOL_VERSION",
    "CalfspecError",
    "CaseResult",
    "ExitCode",
    "FindingState",
    "GateResult",
    "Guideline",
    "GuidelineIndex",
    "GuidelineInvalid",
    "Implementation",
    "ImplementationError",
    "InputError",
    "InternalError",
    "Presentation",
    "ProblemsError",
    "Reply",
    "RunOptions",
    "RunResult",
    "Scenario",
    "ScenarioInvalid",
    "SpecError",
    "TriageDecision",
    "TriageRequest",
    "UnknownIdError",
    "Urgency",
    "ValidationFailed",
    "Verdict",
    "YamlError",
    "__version__",
    "gate",
    "load_guideline",
    "load_implementation",
    "reference_triage",
    "run",
    "run_async",
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

    for module in (calfspec, calfspec._internal.models):
        for name in module.__all__:
            obj = getattr(module, name)
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


def test_every_error_class_is_exported_at_the_root() -> None:
    # As HTTPX does: `except calfspec.SpecError` must work without reaching into internals,
    # including the two loaders' errors that live beside their loaders.
    import inspect

    from calfspec._internal import errors, guideline, scenarios

    classes = {
        name
        for module in (errors, guideline, scenarios)
        for name, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, errors.CalfspecError) and obj.__module__ == module.__name__
    }
    assert classes == {"GuidelineInvalid", "ScenarioInvalid", *(n for n in errors.__all__ if n != "Location")}
    for name in classes:
        assert name in calfspec.__all__, name
        assert issubclass(getattr(calfspec, name), calfspec.CalfspecError), name


def test_exit_codes_keep_their_numbers() -> None:
    # Scripts and CI steps test these numbers; they follow pytest.ExitCode.
    assert {code.name: int(code) for code in calfspec.ExitCode} == {
        "OK": 0,
        "FAILED": 1,
        "INTERRUPTED": 2,
        "INTERNAL_ERROR": 3,
        "USAGE_ERROR": 4,
        "NOTHING_SELECTED": 5,
    }
