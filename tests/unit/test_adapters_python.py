"""The python: adapter: loading callables by module or file, calling them, containing their failures."""

from __future__ import annotations

import asyncio

import pytest

from calfspec import ImplementationError, Reply, TriageRequest, Urgency, load_implementation, reference_triage
from calfspec._internal.adapters.python_ import PythonImplementation
from calfspec._internal.errors import SpecError
from tests.conftest import FIXTURES_DIR
from tests.fixtures.impls import pyfuncs

MODULE = "tests.fixtures.impls.pyfuncs"
SWOLLEN = TriageRequest(case_id="swollen", findings={"calf_swelling": "present"})


def triage(spec: str, request: TriageRequest = SWOLLEN, timeout: float = 5.0) -> Reply:
    async def go() -> Reply:
        impl = load_implementation(spec)
        await impl.start()
        try:
            return await impl.triage(request, timeout)
        finally:
            await impl.close()

    return asyncio.run(go())


@pytest.mark.parametrize(
    "attr",
    [
        "triage_dict",
        "triage_model",
        "triage_unannotated",
        "triage_async",
        "callable_object",
        "Triager.triage_static",
        "make_triage",
    ],
)
def test_every_accepted_callable_shape_gives_the_reference_decision(attr: str) -> None:
    reply = triage(f"python:{MODULE}:{attr}")
    assert reply.decision.urgency is Urgency.URGENT
    assert "urgent-dvt-assessment" in reply.decision.pathways


def test_callable_annotated_with_triage_request_receives_the_model_else_the_json_dict() -> None:
    pyfuncs.seen_types.clear()
    triage(f"python:{MODULE}:triage_model")
    triage(f"python:{MODULE}:triage_dict")
    triage(f"python:{MODULE}:triage_unannotated")
    assert pyfuncs.seen_types == [TriageRequest, dict, dict]


def test_an_implementation_object_or_its_factory_is_used_as_it_is() -> None:
    for attr in ("full_instance", "FullImplementation", "make_implementation"):
        reply = triage(f"python:{MODULE}:{attr}")
        assert reply.raw == "from FullImplementation"
    assert pyfuncs.FullImplementation.started and pyfuncs.FullImplementation.closed


def test_a_file_path_loads_like_a_module() -> None:
    path = FIXTURES_DIR / "impls" / "pyfuncs.py"
    reply = triage(f"python:{path}:triage_model")
    assert reply.decision.urgency is Urgency.URGENT


def test_an_exception_in_the_callable_is_an_error_for_that_case_naming_it() -> None:
    with pytest.raises(ImplementationError) as info:
        triage(f"python:{MODULE}:raises")
    assert "KeyError" in info.value.message
    assert "calf_swelling" in info.value.message


@pytest.mark.parametrize(
    ("attr", "expected"),
    [
        ("returns_list", "must be a JSON object, got list"),
        ("schema_breaking", "breaks the schema: urgency"),
    ],
)
def test_an_answer_that_is_not_a_valid_decision_is_an_error(attr: str, expected: str) -> None:
    with pytest.raises(ImplementationError) as info:
        triage(f"python:{MODULE}:{attr}")
    assert expected in info.value.message


def test_an_unknown_pathway_passes_the_adapter_and_is_left_to_the_judge() -> None:
    reply = triage(f"python:{MODULE}:unknown_pathway")
    assert reply.decision.pathways == ("see-a-wizard",)


def test_a_hanging_coroutine_is_cancelled_at_the_timeout() -> None:
    with pytest.raises(ImplementationError) as info:
        triage(f"python:{MODULE}:triage_async_hang", timeout=0.2)
    assert info.value.code == "implementation-timeout"
    assert "0.2 s" in info.value.message


def test_a_timeout_error_raised_by_the_callable_itself_is_not_mistaken_for_ours() -> None:
    async def raises_timeout(request: TriageRequest) -> None:
        raise TimeoutError("my backend timed out")

    impl = PythonImplementation(raises_timeout, "python:inline")
    with pytest.raises(ImplementationError) as info:
        asyncio.run(impl.triage(SWOLLEN, 5.0))
    assert "TimeoutError: my backend timed out" in info.value.message


def test_a_decision_instance_is_passed_through_without_being_rebuilt() -> None:
    decision = reference_triage(SWOLLEN)
    impl = PythonImplementation(lambda request: decision, "python:inline")
    reply = asyncio.run(impl.triage(SWOLLEN, 1.0))
    assert reply.decision is decision


@pytest.mark.parametrize(
    ("spec", "expected", "hint"),
    [
        ("python:no_such_module_xyz:triage", "cannot import module 'no_such_module_xyz'", "spelling"),
        (f"python:{MODULE}:nope", "has no attribute 'nope'", "triage_model"),
        ("python:tests.fixtures.impls.broken_import:triage", "RuntimeError: missing configuration", "traceback"),
        ("python:impls/missing.py:triage", "no such Python file", "relative"),
        (f"python:{MODULE}:not_callable", "is a dict, not a callable", "function"),
        (f"python:{MODULE}:two_arguments", "needs 2 arguments", "wrap it"),
        (f"python:{MODULE}:factory_returning_junk", "the factory returned int", "start/triage/close"),
        ("python:justamodule", "must be python:MODULE:CALLABLE", "python:"),
    ],
)
def test_loading_problems_are_spec_errors_with_a_hint(spec: str, expected: str, hint: str) -> None:
    with pytest.raises(SpecError) as info:
        load_implementation(spec)
    assert expected in info.value.message
    assert info.value.hint is not None and hint in info.value.hint
