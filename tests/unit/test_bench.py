"""The benchmark package's pieces that are not timings: the fuzz counter, the suite generator, the verdict words."""

from __future__ import annotations

from pathlib import Path

from calfspec._internal.bench.fuzz import fuzz_throughput
from calfspec._internal.bench.gen_suite import generate_suite
from calfspec._internal.bench.measurement import Measurement
from calfspec._internal.bench.output import verdict
from calfspec._internal.guideline import load_guideline
from calfspec._internal.scenarios import load_scenarios
from tests.conftest import SCENARIOS_DIR


def test_fuzz_throughput_counts_examples_over_every_invariant() -> None:
    rate = fuzz_throughput("reference", examples=3, seed=0)
    assert rate > 0


def test_a_generated_suite_loads_with_unique_ids_that_name_their_originals(tmp_path: Path) -> None:
    guideline = load_guideline()
    originals = {s.scenario.id for s in load_scenarios(SCENARIOS_DIR, guideline)}
    ids = generate_suite(tmp_path / "suite", len(originals) + 3, SCENARIOS_DIR)
    loaded = load_scenarios(tmp_path / "suite", guideline)
    assert sorted(s.scenario.id for s in loaded) == sorted(ids)
    assert len(set(ids)) == len(ids)
    # each copy names its original (shortened only where the id limit of 80 characters needs it)
    assert all(any(o.startswith(i.rsplit("-copy-", 1)[0]) for o in originals) for i in ids)


def _row(met: bool | None) -> Measurement:
    return Measurement("k", "t", 1.0, "h", 2.0, "b", "s", "x", met)


def test_each_row_is_met_missed_or_informational() -> None:
    assert [verdict(_row(m)) for m in (True, False, None)] == ["met", "missed", "n/a"]
    assert _row(None).ratio == 0.5
