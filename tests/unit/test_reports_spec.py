"""--report FORMAT:PATH parsing, dispatch to streams, and atomic writes (calfspec._internal.reports)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from calfspec import load_guideline
from calfspec._internal.errors import InputError
from calfspec._internal.reports import (
    ReportFormat,
    ReportSpec,
    atomic_write_text,
    check_target,
    parse_report_spec,
    write_report,
)
from tests.fixtures.results import case, run, sample_run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("json:out/r.json", ReportSpec(ReportFormat.JSON, Path("out/r.json"))),
        ("junit:-", ReportSpec(ReportFormat.JUNIT, None)),
        ("md:comment.md", ReportSpec(ReportFormat.MARKDOWN, Path("comment.md"))),
        ("markdown:-", ReportSpec(ReportFormat.MARKDOWN, None)),
        ("HTML:r.html", ReportSpec(ReportFormat.HTML, Path("r.html"))),
        ("console", ReportSpec(ReportFormat.CONSOLE, None, stderr=True)),
        ("csv:cases.csv", ReportSpec(ReportFormat.CSV, Path("cases.csv"))),
        ("console:-", ReportSpec(ReportFormat.CONSOLE, None)),
        ("console:log.txt", ReportSpec(ReportFormat.CONSOLE, Path("log.txt"))),
        ("json:C:\\ci\\r.json", ReportSpec(ReportFormat.JSON, Path("C:\\ci\\r.json"))),
    ],
)
def test_parse_report_spec_accepts(text: str, expected: ReportSpec) -> None:
    assert parse_report_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("pdf:x.pdf", "unknown report format"), ("json", "has no PATH"), ("junit:", "empty PATH"), ("", "unknown")],
)
def test_parse_report_spec_rejects_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_report_spec(text)
    assert info.value.code == "bad-report-spec"
    assert info.value.hint is not None and "FORMAT:PATH" in info.value.hint


def test_spec_str_round_trips() -> None:
    for text in ("json:-", "html:r.html", "console:-", "console", "csv:c.csv"):
        assert str(parse_report_spec(text)) == text


def test_dash_is_stdout_for_every_format_and_bare_console_is_stderr() -> None:
    g = load_guideline()
    out, err = io.StringIO(), io.StringIO()
    write_report(parse_report_spec("json:-"), sample_run(), g, stdout=out, stderr=err)
    assert json.loads(out.getvalue())["kind"] == "calfspec-result"
    assert err.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    write_report(parse_report_spec("console:-"), sample_run(), g, stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert "under-triage" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    write_report(parse_report_spec("console"), sample_run(), g, stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "under-triage" in err.getvalue()


@pytest.mark.parametrize("fmt", ["console", "json", "junit", "md", "html", "csv"])
def test_every_format_writes_a_file_creating_folders_and_leaving_no_temp_file(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / "nested" / "dir" / f"report.{fmt}"
    write_report(parse_report_spec(f"{fmt}:{target}"), sample_run(), load_guideline())
    assert target.read_text(encoding="utf-8").strip()
    assert os.listdir(target.parent) == [target.name]


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old and longer than the new text", encoding="utf-8")
    atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"


def test_failed_write_leaves_the_old_target_and_no_temp_file(tmp_path: Path) -> None:
    # The temp file is written, then os.replace fails: a folder is in the way.
    target = tmp_path / "r.json"
    target.mkdir()
    (target / "keep").write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write report"):
        atomic_write_text(target, "new")
    assert (target / "keep").read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["r.json"]


def test_unwritable_folder_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write report") as info:
        atomic_write_text(blocker / "r.json", "{}")
    assert info.value.code == "report-unwritable"


@pytest.mark.parametrize("fmt", ["console", "json", "junit", "md", "html", "csv"])
def test_lone_surrogates_from_an_implementation_are_replaced_so_every_format_writes(tmp_path: Path, fmt: str) -> None:
    # A Python implementation can raise with a lone surrogate in its message; UTF-8 cannot encode one.
    target = tmp_path / f"report.{fmt}"
    broken = run([case("a", None, error="bad \ud800 byte")], implementation="cmd:echo \udcff")
    write_report(parse_report_spec(f"{fmt}:{target}"), broken, load_guideline())
    text = target.read_text(encoding="utf-8")
    assert "bad \ufffd byte" in text
    out, err = io.StringIO(), io.StringIO()
    write_report(parse_report_spec("console"), broken, load_guideline(), stdout=out, stderr=err)
    assert "bad \ufffd byte" in err.getvalue() and "\ud800" not in err.getvalue()


def test_check_target_accepts_new_folders_and_stdout_and_refuses_what_cannot_be_written(tmp_path: Path) -> None:
    check_target(parse_report_spec(f"json:{tmp_path / 'new' / 'deeper' / 'r.json'}"))
    check_target(parse_report_spec("json:-"))
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker / "r.json", blocker / "sub" / "r.json", tmp_path):
        with pytest.raises(InputError, match="cannot write report") as info:
            check_target(parse_report_spec(f"html:{target}"))
        assert info.value.code == "report-unwritable"
    assert not (tmp_path / "new").exists(), "checking creates nothing"
