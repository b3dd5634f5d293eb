"""The JUnit report: structure, counts, properties, XML safety (calfspec._internal.reports.junit)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import xmlschema

from calfspec._internal.reports.junit import INCOMPLETE_CASE, render_junit, xml_safe
from tests.conftest import FIXTURES_DIR
from tests.fixtures.results import case, run, sample_run

XSD = FIXTURES_DIR / "junit" / "junit-10.xsd"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_one_testcase_per_trial_with_failure_and_error_elements() -> None:
    root = parse(render_junit(sample_run()))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 7
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "4", "1")
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["gym-strain-but-warm-swollen"].find("failure")
    assert failure is not None and failure.get("type") == "safety"
    assert "expected: urgent..emergency" in (failure.text or "")
    assert by_name["cramp-at-night"].find("failure").get("type") == "quality"  # type: ignore[union-attr]
    error = by_name["cold-pale-leg"].find("error")
    assert error is not None and error.get("message") == 'timed out <after> 5 s & "gave up"'
    assert by_name["dvt-warm-swollen-left"].find("failure") is None


def test_classname_groups_by_first_tag() -> None:
    root = parse(render_junit(sample_run()))
    names = {c.get("name"): c.get("classname") for c in root.iter("testcase")}
    assert names["dvt-warm-swollen-left"] == "calfspec.red-flag"
    assert names["cramp-at-night"] == "calfspec.self-care"
    untagged = parse(render_junit(run([case("plain", "urgent")])))
    assert next(untagged.iter("testcase")).get("classname") == "calfspec"


def test_suite_properties_name_implementation_guideline_protocol_and_calfspec() -> None:
    props = {p.get("name"): p.get("value") for p in parse(render_junit(sample_run())).iter("property")}
    assert props["implementation"] == "python:tests.fixtures.fake:triage"
    assert props["guideline.id"] == "calfspec-calf-pain"
    assert props["guideline.version"] == "0.1.0"
    assert props["protocol.version"] == "1.0"
    assert props["calfspec.version"] == "0.1.0"
    assert props["complete"] == "true"


def test_repeats_are_separate_testcases_with_a_name_suffix() -> None:
    r = run([case("a", "urgent", repeat=0), case("a", "routine", repeat=1)], repeat=2)
    names = [c.get("name") for c in parse(render_junit(r)).iter("testcase")]
    assert names == ["a [repeat 1/2]", "a [repeat 2/2]"]


def test_characters_xml_cannot_carry_are_replaced_and_the_file_stays_valid() -> None:
    nasty = "bell\x07 nul\x00 esc\x1b ok\ttab <tag> & ]]> \ufffe"
    assert xml_safe(nasty) == "bell\ufffd nul\ufffd esc\ufffd ok\ttab <tag> & ]]> \ufffd"
    text = render_junit(run([case("a", None, error=nasty)], implementation="cmd:echo \x01"))
    xmlschema.XMLSchema(str(XSD)).validate(text)
    assert "<tag> & ]]>" in (next(parse(text).iter("error")).get("message") or "")


def test_empty_run_is_a_valid_suite() -> None:
    text = render_junit(run([]))
    xmlschema.XMLSchema(str(XSD)).validate(text)
    assert parse(text).find("testsuite").get("tests") == "0"  # type: ignore[union-attr]


def test_incomplete_run_gets_an_error_testcase_so_ci_does_not_show_it_green() -> None:
    r = run([case("a", "urgent"), case("b", "urgent")], complete=False, selected=40)
    root = parse(render_junit(r))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "0", "1")
    marker = [c for c in suite.iter("testcase") if c.get("name") == INCOMPLETE_CASE]
    assert len(marker) == 1
    error = marker[0].find("error")
    assert error is not None and error.get("type") == "incomplete"
    assert "2 of 40 selected scenario(s)" in (error.get("message") or "")
    complete = parse(render_junit(run([case("a", "urgent")])))
    assert not [c for c in complete.iter("testcase") if c.get("name") == INCOMPLETE_CASE]


def test_a_time_that_is_not_finite_is_written_as_zero() -> None:
    r = run([case("a", "urgent").model_copy(update={"elapsed_ms": float("nan")})])
    assert next(parse(render_junit(r)).iter("testcase")).get("time") == "0.000"


def test_the_self_reported_name_version_cache_and_usage_are_suite_properties() -> None:
    from calfspec._internal.models.results import ChatUsage, ImplementationInfo
    from calfspec._internal.reports.junit import render_junit
    from tests.fixtures.results import case, run

    info = ImplementationInfo(
        name="gpt-x",
        version="fp_9",
        cache="c",
        cache_hits=2,
        usage=ChatUsage(
            requests=1,
            prompt_tokens=10,
            completion_tokens=5,
            total_tokens=15,
            price_prompt=1,
            price_completion=1,
            estimated_cost=1.5e-05,
        ),
    )
    xml = render_junit(run([case("a", "urgent")]).model_copy(update={"implementation_info": info}))
    for name, value in (
        ("implementation.reported_name", "gpt-x"),
        ("implementation.reported_version", "fp_9"),
        ("cache.hits", "2"),
        ("usage.total_tokens", "15"),
        ("usage.estimated_cost_usd", "1.5e-05"),
    ):
        assert f'<property name="{name}" value="{value}" />' in xml
