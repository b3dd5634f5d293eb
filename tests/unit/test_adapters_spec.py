"""Implementation spec strings: each form picks its adapter; a bad spec is a SpecError before any case."""

from __future__ import annotations

import sys

import pytest

from calfspec import load_implementation
from calfspec._internal.adapters.cmd import CommandImplementation
from calfspec._internal.adapters.http import HttpImplementation
from calfspec._internal.adapters.openai import OpenAIImplementation
from calfspec._internal.adapters.python_ import PythonImplementation
from calfspec._internal.adapters.reference import ReferenceImplementation
from calfspec._internal.errors import InputError, SpecError


def test_each_spec_form_builds_its_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALFSPEC_OPENAI_API_KEY", "sk-test")
    assert isinstance(load_implementation("reference"), ReferenceImplementation)
    assert isinstance(load_implementation(" reference "), ReferenceImplementation)
    assert isinstance(load_implementation("python:tests.fixtures.impls.pyfuncs:triage_model"), PythonImplementation)
    assert isinstance(load_implementation(f"cmd:{sys.executable} -V"), CommandImplementation)
    assert isinstance(load_implementation("http://127.0.0.1:9/triage"), HttpImplementation)
    assert isinstance(load_implementation("https://example.org/triage"), HttpImplementation)
    assert isinstance(load_implementation("openai:gpt-4o-mini"), OpenAIImplementation)


def test_names_are_the_spec_without_credentials() -> None:
    assert load_implementation("cmd:node examples/js/triage.mjs").name == "cmd:node examples/js/triage.mjs"
    http = load_implementation("http://alice:s3cret@127.0.0.1:8000/triage")
    assert http.name == "http://127.0.0.1:8000/triage"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", "unknown implementation spec"),
        ("cmd:", "has no command"),
        ("cmd:   ", "has no command"),
        ("cmd:'unclosed", "cannot split the command"),
        ("cmd:definitely-not-a-program-xyz --flag", "command not found: 'definitely-not-a-program-xyz'"),
        ("http://", "not an http(s) URL with a host"),
        ("ftp:whatever", "unknown implementation spec 'ftp:whatever'"),
        ("no-such-entry-point-xyz", "no entry point of that name"),
        ("openai:model#colour=blue", "unknown openai option 'colour'"),
        ("openai:model@http://127.0.0.1:1/v1#temperature=hot", "temperature must be a number"),
    ],
)
def test_bad_specs_are_usage_errors_naming_the_problem(spec: str, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        load_implementation(spec)
    assert expected in info.value.message
    assert isinstance(info.value, InputError)  # the CLI's exit status 4
    assert info.value.hint


def test_unknown_name_hint_lists_the_spec_forms() -> None:
    with pytest.raises(SpecError) as info:
        load_implementation("acme")
    assert info.value.hint is not None
    assert "cmd:COMMAND" in info.value.hint and "python:MODULE:CALLABLE" in info.value.hint
