"""Entry points: an installed package registers an implementation under calfspec.implementations.

A real (minimal) distribution is "installed" by putting a ``.dist-info`` folder
on ``sys.path``, which is exactly where importlib.metadata looks.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calfspec import TriageRequest, Urgency, load_implementation
from calfspec._internal.adapters.entrypoints import installed_names
from calfspec._internal.errors import SpecError


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Path]:
    dist = tmp_path / "acme_triage-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-triage\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[calfspec.implementations]\n"
        "acme = tests.fixtures.impls.pyfuncs:triage_model\n"
        "acme-full = tests.fixtures.impls.pyfuncs:FullImplementation\n"
        "acme-factory = tests.fixtures.impls.pyfuncs:make_triage\n"
        "acme-broken = tests.fixtures.impls.broken_import:triage\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("name", ["acme", "acme-full", "acme-factory"])
def test_an_entry_point_is_addressed_by_its_bare_name(name: str) -> None:
    async def go() -> Urgency:
        impl = load_implementation(name)
        await impl.start()
        try:
            reply = await impl.triage(TriageRequest(findings={"calf_swelling": "present"}), 5.0)
        finally:
            await impl.close()
        return reply.decision.urgency

    assert asyncio.run(go()) is Urgency.URGENT


@pytest.mark.usefixtures("installed")
def test_a_broken_entry_point_is_a_spec_error_naming_it() -> None:
    with pytest.raises(SpecError) as info:
        load_implementation("acme-broken")
    assert "acme-broken" in info.value.message and "missing configuration" in info.value.message


@pytest.mark.usefixtures("installed")
def test_an_unknown_name_lists_the_installed_entry_points() -> None:
    assert {"acme", "acme-full"} <= set(installed_names())
    with pytest.raises(SpecError) as info:
        load_implementation("acme-typo")
    assert info.value.hint is not None and "acme-full" in info.value.hint
