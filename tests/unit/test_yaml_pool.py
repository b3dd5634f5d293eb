"""When the parallel reader starts worker processes, and when it reads in this process."""

from __future__ import annotations

import threading

import pytest

from calfspec._internal import _yaml_pool
from calfspec._internal._yaml_pool import MIN_FILES, WORKERS_ENV, workers_for


@pytest.fixture
def one_thread_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    # The decision reads the thread count and the cores this process may use; pin both.
    monkeypatch.setattr(_yaml_pool, "_single_threaded", lambda: True)
    monkeypatch.setattr(_yaml_pool, "_usable_cores", lambda: 2)
    monkeypatch.delenv(WORKERS_ENV, raising=False)


@pytest.mark.usefixtures("one_thread_two_cores")
def test_a_large_suite_gets_a_worker_per_core_and_a_small_one_none() -> None:
    assert workers_for(MIN_FILES) == 2
    assert workers_for(MIN_FILES - 1) == 0


@pytest.mark.usefixtures("one_thread_two_cores")
@pytest.mark.parametrize(("value", "workers"), [("0", 0), ("1", 0), ("3", 3), ("x", 0), (" 2 ", 2)])
def test_the_environment_variable_sets_the_count_or_turns_the_pool_off(
    monkeypatch: pytest.MonkeyPatch, value: str, workers: int
) -> None:
    monkeypatch.setenv(WORKERS_ENV, value)
    assert workers_for(10) == workers, "the variable applies whatever the suite's size"


@pytest.mark.usefixtures("one_thread_two_cores")
def test_one_core_means_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml_pool, "_usable_cores", lambda: 1)
    assert workers_for(50 * MIN_FILES) == 0


@pytest.mark.usefixtures("one_thread_two_cores")
def test_a_process_with_other_threads_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real thread count, not the fixture's
    monkeypatch.setattr(_yaml_pool, "_usable_cores", lambda: 2)
    started = threading.Event()
    stop = threading.Event()

    def wait() -> None:
        started.set()
        stop.wait(10)

    other = threading.Thread(target=wait)
    other.start()
    try:
        started.wait(10)
        assert workers_for(50 * MIN_FILES) == 0
        monkeypatch.setenv(WORKERS_ENV, "4")
        assert workers_for(50 * MIN_FILES) == 0, "not even when asked for"
    finally:
        stop.set()
        other.join()
