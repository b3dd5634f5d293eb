"""The fuzz throughput the benchmark reports: invariant-search examples per second."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..guideline import GuidelineIndex


def fuzz_throughput(
    spec: str = "reference", examples: int = 100, seed: int = 0, guideline: GuidelineIndex | None = None
) -> float:
    """Examples per second over every invariant against ``spec``.

    Counts every call of the hypothesis test (generation and any shrinking),
    including the implementation's own time.
    """
    from ...invariants import Fuzzer, FuzzOptions, derive_invariants
    from ..adapters import load_implementation
    from ..guideline import load_guideline

    index = guideline if guideline is not None else load_guideline()
    invariants = derive_invariants(index)
    total = 0
    started = time.perf_counter()
    with Fuzzer(load_implementation(spec, index), index, FuzzOptions(examples=examples, seed=seed)) as fuzzer:
        for invariant in invariants:
            total += fuzzer.check(invariant).examples
    return total / (time.perf_counter() - started)
