"""The cmd: adapter against real misbehaving subprocesses (tests/fixtures/impls/jsonl_fake.py).

Every test runs under ``no_leftover_processes``: after it, no process it
started (grandchildren included) may still be alive.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

import calfspec
from calfspec import ImplementationError, Reply, TriageRequest, Urgency, load_implementation
from calfspec._internal.adapters.cmd import CommandImplementation
from tests.conftest import FIXTURES_DIR
from tests.fixtures.containment import no_leftover_processes, pid_alive  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

FAKE = FIXTURES_DIR / "impls" / "jsonl_fake.py"
T = TypeVar("T")

SWOLLEN = TriageRequest(case_id="swollen", findings={"calf_swelling": "present"})


def fake(behaviour: str, *args: str) -> CommandImplementation:
    impl = load_implementation(f"cmd:{shlex.join([sys.executable, str(FAKE), behaviour, *args])}")
    assert isinstance(impl, CommandImplementation)
    return impl


def run(impl: CommandImplementation, body: Callable[[CommandImplementation], Awaitable[T]]) -> T:
    """Start ``impl``, run ``body``, close it (always), and check its processes are gone."""

    async def go() -> T:
        await impl.start()
        try:
            return await body(impl)
        finally:
            await impl.close()

    result = asyncio.run(go())
    assert impl.spawned_pids, "the adapter never started a process"
    assert not any(pid_alive(pid) for pid in impl.spawned_pids)
    return result


async def one_by_one(impl: CommandImplementation, n: int, timeout: float = 10.0) -> list[Reply | ImplementationError]:
    outcomes: list[Reply | ImplementationError] = []
    for i in range(n):
        try:
            outcomes.append(await impl.triage(SWOLLEN.model_copy(update={"case_id": f"case-{i}"}), timeout))
        except ImplementationError as exc:
            outcomes.append(exc)
    return outcomes


def errors(outcomes: list[Reply | ImplementationError]) -> list[ImplementationError]:
    return [o for o in outcomes if isinstance(o, ImplementationError)]


def test_a_good_process_serves_many_cases_and_keeps_the_raw_line() -> None:
    impl = fake("good")
    outcomes = run(impl, lambda i: one_by_one(i, 5))
    assert len(impl.spawned_pids) == 1, "one process serves every case"
    assert all(isinstance(o, Reply) and o.decision.urgency is Urgency.URGENT for o in outcomes)
    first = outcomes[0]
    assert isinstance(first, Reply) and first.raw is not None and '"type": "decision"' in first.raw
    assert impl.peer == {"name": "fake-good", "version": "0"}


def test_concurrent_cases_are_multiplexed_over_one_process() -> None:
    impl = fake("good")

    async def body(i: CommandImplementation) -> list[Reply]:
        requests = [SWOLLEN.model_copy(update={"case_id": f"c{n}"}) for n in range(20)]
        return await asyncio.gather(*(i.triage(r, 10.0) for r in requests))

    replies = run(impl, body)
    assert len(replies) == 20 and len(impl.spawned_pids) == 1


def test_a_crash_at_start_errors_each_case_with_status_and_stderr_then_gives_up() -> None:
    impl = fake("crash-at-start")
    started = time.monotonic()
    outcomes = run(impl, lambda i: one_by_one(i, 6))
    assert time.monotonic() - started < 30  # hang guard, not a timing claim
    failures = errors(outcomes)
    assert len(failures) == 6
    assert "exited with status 3 before answering the hello" in failures[0].message
    assert "fatal: cannot load my rules" in failures[0].message
    assert len(impl.spawned_pids) == 3, "restarts are bounded"
    assert all(f.code == "implementation-gave-up" for f in failures[3:])
    assert "gave up after 3" in failures[-1].message and "status 3" in failures[-1].message


def test_a_crash_mid_run_fails_only_the_case_in_flight_and_the_process_is_restarted() -> None:
    impl = fake("crash-after", "2")
    outcomes = run(impl, lambda i: one_by_one(i, 7))
    kinds = ["ok" if isinstance(o, Reply) else "error" for o in outcomes]
    # Each process answers two cases and dies on the third; the next case gets a new one.
    assert kinds == ["ok", "ok", "error", "ok", "ok", "error", "ok"]
    crash = errors(outcomes)[0]
    assert "exited with status 7" in crash.message and "segfault-ish after 2 cases" in crash.message
    assert len(impl.spawned_pids) == 3


def test_a_hang_is_a_timeout_for_that_case_and_the_process_is_replaced() -> None:
    impl = fake("hang-after", "1")

    async def body(i: CommandImplementation) -> list[Reply | ImplementationError]:
        # The first case's timeout includes the start of the process; give it room.
        first = await one_by_one(i, 1, timeout=30.0)
        hang = await one_by_one(i, 1, timeout=0.5)
        return first + hang + await one_by_one(i, 1, timeout=30.0)

    outcomes = run(impl, body)
    assert isinstance(outcomes[0], Reply)
    hang = outcomes[1]
    assert isinstance(hang, ImplementationError) and hang.code == "implementation-timeout"
    assert "no answer within 0.5 s" in hang.message
    assert isinstance(outcomes[2], Reply), "the restarted process answers the next case"
    assert len(impl.spawned_pids) == 2


def test_a_process_that_never_answers_the_hello_fails_fast_after_bounded_restarts() -> None:
    impl = load_implementation("cmd:sleep 1000")
    assert isinstance(impl, CommandImplementation)
    outcomes = run(impl, lambda i: one_by_one(i, 6, timeout=0.3))
    failures = errors(outcomes)
    assert len(failures) == 6
    assert "did not answer the hello" in failures[0].message
    assert failures[-1].code == "implementation-gave-up"
    assert len(impl.spawned_pids) == 3


@pytest.mark.parametrize(
    ("behaviour", "code", "expected"),
    [
        ("garbage", "invalid-json", "not JSON: 'this is not json at all'"),
        ("schema-breaking", "schema-invalid-decision", "urgency: Input should be"),
        ("error-reply", "implementation-reported-error", "my rules engine is not configured"),
        ("oversized", "oversized-output", "oversized output"),
    ],
)
def test_a_bad_answer_is_an_error_for_that_case_and_the_process_keeps_serving(
    behaviour: str, code: str, expected: str
) -> None:
    impl = fake(behaviour)
    outcomes = run(impl, lambda i: one_by_one(i, 3))
    failures = errors(outcomes)
    assert len(failures) == 3
    assert {f.code for f in failures} == {code}
    assert expected in failures[0].message
    assert len(impl.spawned_pids) == 1, "a bad answer is not a crash"


def test_after_an_oversized_line_the_stream_resynchronises() -> None:
    impl = fake("oversized-once")
    outcomes = run(impl, lambda i: one_by_one(i, 3))
    assert isinstance(outcomes[0], ImplementationError) and outcomes[0].code == "oversized-output"
    assert all(isinstance(o, Reply) for o in outcomes[1:])


def test_a_partial_json_line_is_a_timeout_not_a_success() -> None:
    impl = fake("partial-after", "1")

    async def body(i: CommandImplementation) -> list[Reply | ImplementationError]:
        first = await one_by_one(i, 1, timeout=30.0)  # room for the process to start
        return first + await one_by_one(i, 1, timeout=0.5)

    outcomes = run(impl, body)
    assert isinstance(outcomes[0], Reply)
    assert isinstance(outcomes[1], ImplementationError)
    assert outcomes[1].code == "implementation-timeout"


def test_a_partial_json_line_cut_off_by_exit_is_an_error_naming_the_fragment() -> None:
    outcomes = run(fake("partial-exit"), lambda i: one_by_one(i, 1))
    assert isinstance(outcomes[0], ImplementationError)
    assert "not JSON" in outcomes[0].message and '"decis' in outcomes[0].message


def test_an_unknown_pathway_passes_the_adapter_for_the_judge_to_flag() -> None:
    outcomes = run(fake("unknown-pathway"), lambda i: one_by_one(i, 1))
    assert isinstance(outcomes[0], Reply) and outcomes[0].decision.pathways == ("see-a-wizard",)


def test_heavy_stderr_chatter_neither_blocks_nor_fails_anything() -> None:
    outcomes = run(fake("chatter"), lambda i: one_by_one(i, 20))
    assert all(isinstance(o, Reply) for o in outcomes)


def test_a_wrong_protocol_version_errors_every_case_naming_both_versions() -> None:
    impl = fake("wrong-version")
    outcomes = run(impl, lambda i: one_by_one(i, 4))
    failures = errors(outcomes)
    assert len(failures) == 4
    for failure in failures:
        assert "calfspec speaks 1.1" in failure.message and "implementation speaks 2.0" in failure.message
    assert len(impl.spawned_pids) == 1, "a version mismatch is not retried"


def test_stdout_banner_before_the_hello_is_a_protocol_error() -> None:
    outcomes = run(fake("banner"), lambda i: one_by_one(i, 1))
    assert isinstance(outcomes[0], ImplementationError)
    assert "not JSON: 'Welcome to my triage engine!'" in outcomes[0].message


@pytest.mark.parametrize("behaviour", ["ignore-bye", "ignore-term", "grandchild"])
def test_close_stops_stubborn_processes_and_their_grandchildren(behaviour: str) -> None:
    # no_leftover_processes checks the grandchild too: it carries the test's mark.
    outcomes = run(fake(behaviour), lambda i: one_by_one(i, 2))
    assert all(isinstance(o, Reply) for o in outcomes)


def test_cancelling_a_case_leaves_the_process_usable_and_close_still_cleans_up() -> None:
    impl = fake("good")

    async def body(i: CommandImplementation) -> Reply:
        task = asyncio.ensure_future(i.triage(SWOLLEN, 10.0))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await i.triage(SWOLLEN, 10.0)

    assert isinstance(run(impl, body), Reply)


def test_false_errors_every_case_quickly() -> None:
    impl = load_implementation("cmd:false")
    assert isinstance(impl, CommandImplementation)
    outcomes = run(impl, lambda i: one_by_one(i, 5))
    assert len(errors(outcomes)) == 5
    assert "exited with status 1" in errors(outcomes)[0].message


def test_the_wire_lines_are_the_compact_json_lines_docs_implementing_md_shows(tmp_path: Path) -> None:
    seen = tmp_path / "stdin.jsonl"
    inner = shlex.join([sys.executable, str(FAKE), "good"])
    impl = load_implementation(f"cmd:sh -c {shlex.quote(f'tee {shlex.quote(str(seen))} | {inner}')}")
    assert isinstance(impl, CommandImplementation)
    run(impl, lambda i: i.triage(SWOLLEN, 10))
    hello, triage, bye = seen.read_text().splitlines()
    version = calfspec.__version__
    assert hello == f'{{"type":"hello","protocol_version":"1.1","calfspec_version":"{version}"}}'
    assert triage.startswith('{"type":"triage","id":"1","request":{"age":null,"sex":"unknown",')
    assert json.loads(triage)["request"]["findings"] == {"calf_swelling": "present"}
    assert bye == '{"type":"bye"}'
