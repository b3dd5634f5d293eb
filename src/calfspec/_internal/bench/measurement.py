"""What one benchmark measurement is, and how much work each size of run does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does (``--quick`` shrinks all of it)."""

    rounds: int
    in_process_calls: int
    jsonl_cases: int
    jsonl_process_cases: int
    http_cases: int
    startup_runs: int
    fuzz_examples: int
    scale_scenarios: int


FULL = Sizes(
    rounds=5,
    in_process_calls=5000,
    jsonl_cases=20000,
    jsonl_process_cases=40,
    http_cases=640,
    startup_runs=9,
    fuzz_examples=50,
    scale_scenarios=10_000,
)
QUICK = Sizes(
    rounds=2,
    in_process_calls=500,
    jsonl_cases=2000,
    jsonl_process_cases=8,
    http_cases=128,
    startup_runs=3,
    fuzz_examples=5,
    scale_scenarios=500,
)


@dataclass(frozen=True)
class Measurement:
    """One comparison: a harness figure, the baseline it is measured against, and the target."""

    key: str
    """Stable id: in_process, in_process_runner, jsonl, http, suite, suite_cli, load, scale, scale_memory,
    startup, fuzz."""
    title: str
    harness: float
    harness_label: str
    baseline: float
    baseline_label: str
    unit: str
    target: str
    met: bool | None
    """None when the row is informational (no target)."""
    note: str = ""
    ideal: float | None = None
    """For a row whose target is a multiple of an ideal figure rather than of the baseline (HTTP): that ideal."""

    @property
    def ratio(self) -> float:
        """``harness / baseline`` (for a cost: how many times the baseline; for a throughput: how many times faster)."""
        return self.harness / self.baseline
