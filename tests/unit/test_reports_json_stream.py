"""The JSON report written case by case: the same bytes as the one-string render, spooled as cases finish.

Covers calfspec._internal.reports.json.write_json and JsonReportStream.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal.models.results import CaseResult
from calfspec._internal.reports import ReportFormat, ReportSpec, write_report
from calfspec._internal.reports.json import JsonReportStream, render_json, spool_path, write_json
from tests.fixtures.results import run, sample_run


def test_streamed_document_is_byte_for_byte_the_rendered_one(tmp_path: Path) -> None:
    r = sample_run()
    out = tmp_path / "r.json"
    write_json(out, r)
    assert out.read_text(encoding="utf-8") == render_json(r)
    buf = io.StringIO()
    write_json(buf, r)
    assert buf.getvalue() == render_json(r)


def test_a_run_without_cases_streams_the_same_document() -> None:
    empty = run([])
    buf = io.StringIO()
    write_json(buf, empty)
    assert buf.getvalue() == render_json(empty)
    assert json.loads(buf.getvalue())["cases"] == []


@settings(max_examples=15, deadline=None)
@given(order=st.permutations(range(len(sample_run().cases))), spooled=st.sets(st.integers(0, 5)))
def test_spooled_cases_in_any_finishing_order_give_the_same_report(order: list[int], spooled: set[int]) -> None:
    # Cases finish in any order, and some may be replaced after spooling (a revised verdict):
    # the report holds the run's own cases in the run's order either way.
    r = sample_run()
    tmp = Path(__import__("tempfile").mkdtemp())
    target = tmp / "r.json"
    stream = JsonReportStream(target)
    for i in order:
        if i in spooled:
            stream.add(r.cases[i])
    revised = r.cases[0].model_copy(update={"elapsed_ms": 99.0})
    r2 = r.model_copy(update={"cases": (revised, *r.cases[1:])})
    write_json(target, r2, stream)
    assert target.read_text(encoding="utf-8") == render_json(r2)
    stream.close()
    assert not spool_path(target).exists()


def test_each_case_is_on_disk_as_soon_as_it_is_added(tmp_path: Path) -> None:
    r = sample_run()
    target = tmp_path / "out" / "r.json"
    stream = JsonReportStream(target)
    for n, c in enumerate(r.cases, start=1):
        stream.add(c)
        # another process (or what is left after a kill) reads the spool without calfspec's help
        text = spool_path(target).read_text(encoding="utf-8")
        blocks = json.loads("[" + text.rstrip().rstrip(",") + "]")
        assert len(blocks) == n
        assert CaseResult.model_validate(blocks[-1]) == c
    assert not target.exists(), "the report itself appears only when it is complete"
    stream.close()


def test_write_report_uses_the_stream_and_stays_atomic(tmp_path: Path) -> None:
    from calfspec._internal.guideline import load_guideline

    r = sample_run()
    target = tmp_path / "r.json"
    stream = JsonReportStream(target)
    for c in r.cases:
        stream.add(c)
    write_report(ReportSpec(ReportFormat.JSON, target), r, load_guideline(), json_stream=stream)
    stream.close()
    assert target.read_text(encoding="utf-8") == render_json(r)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_lone_surrogates_are_replaced_per_case(tmp_path: Path) -> None:
    r = sample_run()
    bad = r.cases[0].model_copy(update={"raw_reply": "broken \ud800 text"})
    r2 = r.model_copy(update={"cases": (bad, *r.cases[1:])})
    target = tmp_path / "r.json"
    write_json(target, r2)
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["cases"][0]["raw_reply"] == "broken \ufffd text"


def test_a_case_kept_as_a_slim_copy_is_written_whole_from_the_spool(tmp_path: Path) -> None:
    # `calfspec run` keeps copies without transcripts once a case is spooled: the report still has them.
    r = sample_run()
    target = tmp_path / "r.json"
    stream = JsonReportStream(target)
    kept = tuple(c.model_copy(update={"transcript": (), "raw_reply": None}) for c in r.cases)
    for case, slim in zip(r.cases, kept, strict=True):
        stream.add(case, kept=slim)
    write_json(target, r.model_copy(update={"cases": kept}), stream)
    stream.close()
    assert target.read_text(encoding="utf-8") == render_json(r)
