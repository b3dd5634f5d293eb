"""Joining shard results (calfspec._internal.reports.merge)."""

from __future__ import annotations

import datetime as dt

import pytest

from calfspec._internal.errors import InputError
from calfspec._internal.models.results import RunResult
from calfspec._internal.reports.merge import merge_runs
from tests.fixtures.results import case, run


def shards() -> tuple[RunResult, RunResult]:
    one = run([case("b", "urgent"), case("d", "routine", ("routine", "routine"))], shard="1/2")
    two = run([case("a", "self_care", ("urgent", "urgent")), case("c", "urgent")], shard="2/2")
    return one, two


def test_merge_joins_cases_sorted_by_scenario_and_sums_selected() -> None:
    one, two = shards()
    merged = merge_runs([two, one])
    assert [c.scenario_id for c in merged.result.cases] == ["a", "b", "c", "d"]
    assert merged.result.selected == 4
    assert merged.result.complete
    assert merged.result.shard is None
    assert merged.warnings == ()


def test_merge_is_independent_of_shard_order() -> None:
    one, two = shards()
    assert merge_runs([one, two]).result == merge_runs([two, one]).result


def test_merge_spans_the_shards_time() -> None:
    one, two = shards()
    later = two.model_copy(update={"finished_at": two.finished_at + dt.timedelta(minutes=5)})
    merged = merge_runs([one, later]).result
    assert merged.started_at == one.started_at
    assert merged.finished_at == later.finished_at


def test_a_scenario_in_two_shards_is_refused_naming_both_files() -> None:
    one, _ = shards()
    other = run([case("b", "urgent")], shard="2/2")
    with pytest.raises(InputError, match=r"'b' is in two shards: s1\.json and s2\.json") as info:
        merge_runs([one, other], names=["s1.json", "s2.json"])
    assert info.value.code == "merge-overlap"


@pytest.mark.parametrize(
    ("field", "value"),
    [("implementation", "cmd:other"), ("guideline_version", "9.9.9"), ("protocol_version", "2.0"), ("repeat", 3)],
)
def test_shards_of_different_runs_are_refused(field: str, value: object) -> None:
    one, two = shards()
    with pytest.raises(InputError, match=f"{field} differs between shards"):
        merge_runs([one, two.model_copy(update={field: value})])


def test_a_missing_shard_makes_the_merge_incomplete_with_a_warning() -> None:
    one, _ = shards()
    merged = merge_runs([one])
    assert not merged.result.complete
    assert any("missing shard(s) 2/2" in w for w in merged.warnings)


def test_an_incomplete_shard_makes_the_merge_incomplete() -> None:
    one, two = shards()
    merged = merge_runs([one, two.model_copy(update={"complete": False})])
    assert not merged.result.complete


def test_the_same_shard_twice_is_refused() -> None:
    one, _ = shards()
    again = run([case("z", "urgent")], shard="1/2")
    with pytest.raises(InputError, match="shard given twice"):
        merge_runs([one, again])


def test_shards_of_different_splits_are_refused() -> None:
    one, _ = shards()
    with pytest.raises(InputError, match="different splits"):
        merge_runs([one, run([case("z", "urgent")], shard="2/3")])


def test_nothing_to_merge() -> None:
    with pytest.raises(InputError, match="nothing to merge"):
        merge_runs([])


def test_a_shard_number_outside_one_to_n_is_refused_not_counted_as_coverage() -> None:
    # Without the check, "3/2" would be accepted and 2/2 reported merely missing.
    one, _ = shards()
    with pytest.raises(InputError, match="shard numbers out of range"):
        merge_runs([one, run([case("z", "urgent")], shard="3/2")])
