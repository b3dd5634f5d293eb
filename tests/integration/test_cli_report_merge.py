"""``calfspec report merge`` / ``render`` as subprocesses, on hand-built shards and on real sharded runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xmlschema

from calfspec._internal.compare import load_run_result
from calfspec._internal.models.results import RunResult, Verdict
from tests.conftest import FIXTURES_DIR
from tests.fixtures.results import case, run
from tests.fixtures.results.cli import calfspec, save

XSD = FIXTURES_DIR / "junit" / "junit-10.xsd"


def verdicts(result: RunResult) -> dict[tuple[str, int], tuple[Verdict, str | None, tuple[str, ...]]]:
    return {
        (c.scenario_id, c.repeat): (
            c.verdict,
            c.given.value if c.given else None,
            tuple(f.kind.value for f in c.failures),
        )
        for c in result.cases
    }


def test_merge_writes_every_format_from_hand_built_shards(tmp_path: Path) -> None:
    one = save(tmp_path / "s1.json", run([case("b", "urgent"), case("d", "routine")], shard="1/2"))
    two = save(tmp_path / "s2.json", run([case("a", "self_care")], shard="2/2"))
    proc = calfspec(
        "report", "merge", one, two,
        "--report", "json:out/all.json", "--report", "junit:out/junit.xml",
        "--report", "md:out/comment.md", "--report", "html:out/report.html", "--report", "console:out/summary.txt",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 shard(s): 3 scenario(s), 3 trial(s)" in proc.stderr
    merged = load_run_result(tmp_path / "out" / "all.json")
    assert [c.scenario_id for c in merged.cases] == ["a", "b", "d"]
    assert merged.complete and merged.shard is None and merged.selected == 3
    assert merged.metrics is not None and merged.metrics.under_triaged == 2
    xmlschema.XMLSchema(str(XSD)).validate(str(tmp_path / "out" / "junit.xml"))
    assert 'id="confusion-matrix"' in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "calfspec: FAILED" in (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert "FAILED" in (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")


def test_merge_defaults_to_json_on_stdout(tmp_path: Path) -> None:
    one = save(tmp_path / "s1.json", run([case("a", "urgent")], shard="1/1"))
    proc = calfspec("report", "merge", one, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kind"] == "calfspec-result"


def test_merge_refuses_overlapping_shards_with_exit_4(tmp_path: Path) -> None:
    one = save(tmp_path / "s1.json", run([case("a", "urgent")], shard="1/2"))
    two = save(tmp_path / "s2.json", run([case("a", "urgent")], shard="2/2"))
    proc = calfspec("report", "merge", one, two, "--report", "json:all.json", cwd=tmp_path)
    assert proc.returncode == 4
    assert "s2.json: merge-overlap: scenario 'a' is in two shards" in proc.stderr
    assert not (tmp_path / "all.json").exists()


def test_merge_of_a_missing_shard_warns_and_marks_incomplete(tmp_path: Path) -> None:
    one = save(tmp_path / "s1.json", run([case("a", "urgent")], shard="1/3"))
    proc = calfspec("report", "merge", one, "--report", "json:all.json", cwd=tmp_path)
    assert proc.returncode == 0
    assert "warning: missing shard(s) 2/3, 3/3" in proc.stderr
    assert not load_run_result(tmp_path / "all.json").complete


def test_render_rewrites_a_result_in_another_format(tmp_path: Path) -> None:
    result = save(tmp_path / "r.json", run([case("a", "self_care", ("urgent", "urgent"))]))
    proc = calfspec("report", "render", result, "--report", "md:-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## ❌ calfspec: FAILED")


def test_render_needs_a_report_and_a_valid_file(tmp_path: Path) -> None:
    assert calfspec("report", "render", tmp_path / "x.json", cwd=tmp_path).returncode == 4
    proc = calfspec("report", "render", tmp_path / "x.json", "--report", "md:-", cwd=tmp_path)
    assert proc.returncode == 4
    assert "result-missing" in proc.stderr


@pytest.mark.slow
def test_merged_shards_of_a_real_run_equal_the_unsplit_run(tmp_path: Path) -> None:
    # A flawed implementation, so the verdicts to compare are not all "pass".
    impl = "python:tests.fixtures.results.fakes:crashes_on_emergencies"
    cwd = Path(__file__).resolve().parents[2]
    whole = calfspec("run", "--impl", impl, "--timeout", "60", "--report", f"json:{tmp_path / 'whole.json'}", cwd=cwd)
    assert whole.returncode == 1, whole.stderr
    shards = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}.json"
        proc = calfspec(
            "run", "--impl", impl, "--timeout", "60", "--shard", f"{k}/3", "--report", f"json:{out}", cwd=cwd
        )
        assert proc.returncode in (0, 1), proc.stderr
        shards.append(out)
    merged_path = tmp_path / "merged.json"
    proc = calfspec("report", "merge", *shards, "--report", f"json:{merged_path}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    unsplit, merged = load_run_result(tmp_path / "whole.json"), load_run_result(merged_path)
    assert verdicts(merged) == verdicts(unsplit)
    assert any(v[0] is Verdict.ERROR for v in verdicts(merged).values())
    assert merged.complete and merged.selected == unsplit.selected
    assert merged.metrics is not None and unsplit.metrics is not None
    assert merged.metrics.model_dump() == unsplit.metrics.model_dump()
