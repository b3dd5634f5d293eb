"""Loading scenarios: every problem is named by file and line before anything runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from calfspec._internal.errors import InputError
from calfspec._internal.guideline import load_guideline
from calfspec._internal.scenarios import ScenarioInvalid, load_scenarios, parse_shard, scenario_files, select_scenarios

GOOD = """\
id: {id}
title: Swollen calf after a flight
tags: [red-flag, dvt]
presentation:
  side: left
  findings:
    calf_swelling: present
    long_travel: present
narrative: My left calf has been swollen since the flight.
expect:
  urgency: {{min: urgent, max: emergency}}
  pathways_required: [urgent-dvt-assessment]
  claims: [dvt-red-flag-signs]
covers:
  red_flags: [dvt-swollen-warm-red-calf]
"""


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems_of(d: Path) -> list[str]:
    with pytest.raises(ScenarioInvalid) as info:
        load_scenarios(d, load_guideline())
    return [p.render() for p in info.value.problems]


def test_a_valid_scenario_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="dvt-a"))
    [loaded] = load_scenarios(tmp_path, load_guideline())
    assert loaded.id == "dvt-a"


def test_unknown_finding_is_named_with_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", GOOD.format(id="a").replace("long_travel", "long_travle"))
    [msg] = problems_of(tmp_path)
    assert msg.startswith(f"{p}:8:5:")
    assert "unknown finding 'long_travle'" in msg


def test_impossible_urgency_range_is_rejected_with_its_line(tmp_path: Path) -> None:
    p = write(
        tmp_path, "a.yaml", GOOD.format(id="a").replace("min: urgent, max: emergency", "min: emergency, max: routine")
    )
    [msg] = problems_of(tmp_path)
    assert msg.startswith(f"{p}:11:") and "impossible expectation" in msg


def test_duplicate_key_is_rejected(tmp_path: Path) -> None:
    p = write(tmp_path, "a.yaml", GOOD.format(id="a") + "title: again\n")
    [msg] = problems_of(tmp_path)
    assert msg.startswith(f"{p}:") and "duplicate key" in msg


def test_duplicate_scenario_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="same"))
    write(tmp_path, "b.yaml", GOOD.format(id="same"))
    [msg] = problems_of(tmp_path)
    assert "duplicate scenario id 'same'" in msg


def test_covers_must_match_what_the_rule_says_about_the_facts(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="a").replace("calf_swelling: present", "calf_swelling: absent"))
    [msg] = problems_of(tmp_path)
    assert "covers.red_flags lists 'dvt-swollen-warm-red-calf'" in msg


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="a").replace("long_travel", "nope_one"))
    write(tmp_path, "b.yaml", "id: [unclosed\n")
    assert len(problems_of(tmp_path)) == 2


def test_reviewers_registry_and_signoffs_are_not_scenarios(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="a"))
    write(tmp_path, "reviewers.yaml", "reviewers: []\n")
    (tmp_path / "signoffs").mkdir()
    write(tmp_path / "signoffs", "x.yaml", "anything: 1\n")
    assert [p.name for p in scenario_files(tmp_path)] == ["a.yaml"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        scenario_files(tmp_path / "nope")


def test_shards_partition_the_selection_deterministically(tmp_path: Path) -> None:
    for i in range(23):
        write(tmp_path, f"s{i}.yaml", GOOD.format(id=f"case-{i}"))
    loaded = load_scenarios(tmp_path, load_guideline())
    parts = [select_scenarios(loaded, shard=(k, 4)) for k in range(1, 5)]
    ids = [s.id for part in parts for s in part]
    assert sorted(ids) == sorted(s.id for s in loaded)
    assert len(set(ids)) == len(ids)
    assert [s.id for s in select_scenarios(loaded, shard=(2, 4))] == [s.id for s in parts[1]]


def test_tag_selection_matches_any_tag(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="a"))
    loaded = load_scenarios(tmp_path, load_guideline())
    assert select_scenarios(loaded, tags=["dvt", "other"]) == loaded
    assert select_scenarios(loaded, tags=["benign"]) == []


@pytest.mark.parametrize("bad", ["0/2", "3/2", "x/2", "1-2", "1/2/3"])
def test_bad_shard_specs_are_usage_errors(bad: str) -> None:
    with pytest.raises(InputError):
        parse_shard(bad)
