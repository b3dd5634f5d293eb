"""The JUnit report validates against Jenkins' JUnit XSD, checked by two independent validators.

``xmlschema`` (Python) and ``xmllint --schema`` (libxml2, what many CI images
carry) must both accept every report: a plain run, a repeated run, an empty run,
an interrupted run, and one full of characters XML cannot carry.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import xmlschema

from calfspec import load_guideline
from calfspec._internal.models.results import RunResult
from calfspec._internal.reports import parse_report_spec, write_report
from tests.conftest import FIXTURES_DIR, require_tool
from tests.fixtures.results import case, run, sample_run

XSD = FIXTURES_DIR / "junit" / "junit-10.xsd"

pytestmark = pytest.mark.needs_tool


def runs() -> dict[str, RunResult]:
    nasty = "ctrl \x01\x02\x1f, xml <a href='x'>&amp;</a> ]]> \ufffe\uffff, emoji 🦵"
    return {
        "sample": sample_run(),
        "repeated": run([case("a", "urgent", repeat=r) for r in range(3)] + [case("b", None, repeat=0)], repeat=3),
        "empty": run([]),
        "interrupted": run([case("a", "urgent")], complete=False, selected=40, shard="2/4"),
        "nasty": run([case("a", None, error=nasty), case("b", "self_care", tags=("tricky",))], implementation=nasty),
    }


@pytest.mark.parametrize("name", ["empty", "interrupted", "nasty", "repeated", "sample"])
def test_junit_report_validates_with_xmlschema_and_xmllint(name: str, tmp_path: Path) -> None:
    xmllint = require_tool("xmllint")
    target = tmp_path / f"{name}.xml"
    write_report(parse_report_spec(f"junit:{target}"), runs()[name], load_guideline())
    xmlschema.XMLSchema(str(XSD)).validate(str(target))
    proc = subprocess.run(
        [xmllint, "--noout", "--schema", str(XSD), str(target)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "validates" in proc.stderr


def test_xmllint_rejects_a_broken_report(tmp_path: Path) -> None:
    # The check above can fail: a testsuite without its required counts is refused.
    xmllint = require_tool("xmllint")
    bad = tmp_path / "bad.xml"
    bad.write_text('<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>', encoding="utf-8")
    proc = subprocess.run([xmllint, "--noout", "--schema", str(XSD), str(bad)], capture_output=True, check=False)
    assert proc.returncode != 0
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(str(XSD)).validate(str(bad))
