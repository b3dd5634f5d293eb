"""One CONNECTORS table: the spec forms, the --impl help and the SpecError hints are generated from it."""

from __future__ import annotations

import click
import pytest

from calfspec import SpecError, load_implementation
from calfspec._internal.adapters.spec import CONNECTORS, ENTRY_POINT_FORM, SPEC_FORMS, spec_help


def test_every_connector_form_is_a_spec_form_and_every_prefix_form_names_its_kind() -> None:
    for kind, connector in CONNECTORS.items():
        assert set(connector.forms) <= set(SPEC_FORMS), kind
        if not connector.bare:
            assert all(form.startswith((kind, "http(s)")) for form in connector.forms), kind
    assert SPEC_FORMS[-1] == ENTRY_POINT_FORM
    # The forms the old hand-written help left out.
    assert {"python:path/to/file.py:CALLABLE", "openai:MODEL[@BASE_URL][#OPTIONS]"} <= set(SPEC_FORMS)


@pytest.mark.parametrize("command", ["run", "fuzz"])
def test_the_impl_option_help_lists_every_form(command: str) -> None:
    from calfspec._internal.cli import cli

    ctx = click.Context(cli)
    found = cli.get_command(ctx, command)
    assert found is not None
    [impl] = [p for p in found.params if p.name == "impl_spec"]
    assert isinstance(impl, click.Option) and impl.help == spec_help()
    for form in SPEC_FORMS:
        if form != ENTRY_POINT_FORM:
            assert form in impl.help, form


def test_an_unknown_spec_hints_at_every_form() -> None:
    with pytest.raises(SpecError) as info:
        load_implementation("nonsense:thing")
    assert info.value.hint is not None
    for form in SPEC_FORMS:
        assert form in info.value.hint, form


def test_a_bare_kind_is_not_a_prefix_and_a_prefix_kind_is_not_bare() -> None:
    assert load_implementation(" reference ").name == "reference"
    with pytest.raises(SpecError):
        load_implementation("reference:extra")
    with pytest.raises(SpecError, match="no entry point"):
        load_implementation("cmd")
