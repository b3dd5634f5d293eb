"""The http:// adapter against real servers on 127.0.0.1 (tests/fixtures/servers/triage_server.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
import urllib.request

import pytest

from calfspec import ImplementationError, Reply, TriageRequest, Urgency, load_implementation
from calfspec._internal.adapters.http import HttpImplementation, JsonPoster
from tests.fixtures.containment import no_leftover_processes  # noqa: F401
from tests.fixtures.servers import running_server

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

SWOLLEN = TriageRequest(case_id="swollen", findings={"calf_swelling": "present"})


async def cases(
    url: str, n: int, timeout: float = 10.0, concurrent: bool = False, concurrency: int | None = None
) -> list[Reply | ImplementationError]:
    impl = load_implementation(url, concurrency=concurrency)
    assert isinstance(impl, HttpImplementation)
    await impl.start()

    async def one() -> Reply | ImplementationError:
        try:
            return await impl.triage(SWOLLEN, timeout)
        except ImplementationError as exc:
            return exc

    try:
        if concurrent:
            return list(await asyncio.gather(*(one() for _ in range(n))))
        return [await one() for _ in range(n)]
    finally:
        await impl.close()


def test_a_good_service_answers_with_the_decision_and_the_raw_body_is_kept() -> None:
    with running_server("triage_server", "--mode", "good") as (url, _):
        outcomes = asyncio.run(cases(f"{url}/triage", 3))
    for outcome in outcomes:
        assert isinstance(outcome, Reply)
        assert outcome.decision.urgency is Urgency.URGENT
        assert outcome.raw is not None and '"urgent-dvt-assessment"' in outcome.raw


NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Asks the server directly, whatever proxy a test puts in the environment."""


def server_stats(url: str, settle: float = 2.0) -> dict[str, int]:
    """The server's connection counts, once every connection calfspec closed is seen closed."""
    deadline = time.monotonic() + settle
    while True:
        with NO_PROXY_OPENER.open(f"{url}/stats", timeout=5) as response:
            stats: dict[str, int] = json.load(response)
        if stats["open"] == 0 or time.monotonic() > deadline:
            return stats
        time.sleep(0.02)


def test_sequential_cases_reuse_one_connection_and_close_it_at_the_end() -> None:
    with running_server("triage_server", "--mode", "good") as (url, _):
        outcomes = asyncio.run(cases(f"{url}/triage", 10))
        stats = server_stats(url)
    assert all(isinstance(o, Reply) for o in outcomes)
    assert (stats["connections"], stats["open"], stats["peak"]) == (1, 0, 1)


def test_concurrent_cases_open_no_more_connections_than_the_concurrency() -> None:
    with running_server("triage_server", "--mode", "good", "--latency-ms", "20") as (url, _):
        outcomes = asyncio.run(cases(f"{url}/triage", 64, concurrent=True, concurrency=8))
        stats = server_stats(url)
    assert all(isinstance(o, Reply) for o in outcomes)
    # The bound is on connections open at once: under load a connection the server drops
    # may be replaced, so the total opened over the run can exceed the limit.
    assert 1 <= stats["peak"] <= 8
    assert stats["open"] == 0, "every socket is closed when the adapter closes"


def test_5xx_answers_are_retried_with_backoff_until_the_service_recovers() -> None:
    with running_server("triage_server", "--mode", "flaky", "--count", "2") as (url, _):
        outcomes = asyncio.run(cases(url, 1))
    assert isinstance(outcomes[0], Reply), "two 500s are within the retry budget"


def test_500s_then_refused_connections_are_errors_naming_the_cause() -> None:
    with running_server("triage_server", "--mode", "dying", "--count", "4") as (url, _):
        outcomes = asyncio.run(cases(url, 2))
    first, second = outcomes
    assert isinstance(first, ImplementationError) and first.code == "http-unavailable"
    assert "HTTP 500" in first.message and "4 attempts" in first.message
    assert isinstance(second, ImplementationError) and second.code == "http-unavailable"
    assert "ConnectError" in second.message and "4 attempts" in second.message


def test_a_refused_connection_is_retried_then_an_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcomes = asyncio.run(cases(f"http://127.0.0.1:{port}/triage", 1))
    assert isinstance(outcomes[0], ImplementationError)
    assert "ConnectError" in outcomes[0].message


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (("--mode", "status", "--count", "404"), "http-status", "HTTP 404 Not Found"),
        (("--mode", "status", "--count", "422"), "http-status", "HTTP 422"),
        (("--mode", "not-json"), "invalid-json", "not valid JSON"),
        (("--mode", "schema-breaking"), "schema-invalid-decision", "urgency: Input should be"),
        (("--mode", "oversized"), "oversized-output", "oversized output"),
    ],
)
def test_4xx_and_bad_bodies_are_errors_at_once_without_retry(args: tuple[str, ...], code: str, expected: str) -> None:
    with running_server("triage_server", *args) as (url, _):
        outcomes = asyncio.run(cases(url, 1))
    assert isinstance(outcomes[0], ImplementationError)
    assert outcomes[0].code == code
    assert expected in outcomes[0].message
    assert "attempts" not in outcomes[0].message


def test_an_unknown_pathway_passes_the_adapter_for_the_judge_to_flag() -> None:
    with running_server("triage_server", "--mode", "unknown-pathway") as (url, _):
        outcomes = asyncio.run(cases(url, 1))
    assert isinstance(outcomes[0], Reply) and outcomes[0].decision.pathways == ("see-a-wizard",)


def test_a_hanging_service_is_a_timeout_for_the_case() -> None:
    with running_server("triage_server", "--mode", "hang") as (url, _):
        outcomes = asyncio.run(cases(url, 1, timeout=0.5))
    assert isinstance(outcomes[0], ImplementationError)
    assert outcomes[0].code == "implementation-timeout"
    assert "no answer within 0.5 s" in outcomes[0].message


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_reported() -> None:
    with running_server("triage_server", "--mode", "auth", "--credentials", "ann:s@cret") as (url, _):
        with_credentials = url.replace("http://", "http://ann:s%40cret@")
        good = asyncio.run(cases(f"{with_credentials}/triage", 1))
        wrong = asyncio.run(cases(f"{url.replace('http://', 'http://ann:guess@')}/triage", 1))
    assert isinstance(good[0], Reply)
    assert isinstance(wrong[0], ImplementationError) and wrong[0].code == "http-status"
    assert "HTTP 401" in wrong[0].message and "guess" not in wrong[0].message


def test_the_proxy_named_by_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "all_proxy", "no_proxy", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with running_server("triage_server", "--mode", "good") as (url, _):
        monkeypatch.setenv("HTTP_PROXY", url)
        # The host does not exist: only the proxy (our server) can answer.
        outcomes = asyncio.run(cases("http://triage.calfspec.invalid/triage", 1))
        stats = server_stats(url)
    assert isinstance(outcomes[0], Reply)
    assert stats["connections"] == 1


def test_url_credentials_a_service_echoes_back_are_redacted_from_the_error() -> None:
    with running_server("triage_server", "--mode", "echo-auth") as (url, _):
        outcomes = asyncio.run(cases(f"{url.replace('http://', 'http://ann:s3cret@')}/triage", 1))
    error = outcomes[0]
    assert isinstance(error, ImplementationError) and "HTTP 400" in error.message
    assert "[redacted]" in error.message
    token = base64.b64encode(b"ann:s3cret").decode()
    assert token not in error.render() and "s3cret" not in error.render()


def test_a_request_httpx_refuses_to_send_is_an_error_without_the_secret_and_without_retries() -> None:
    async def post(url: str) -> ImplementationError:
        poster = JsonPoster(url, headers={"x-token": "s3cret\n"}, redact=lambda text: text.replace("s3cret", "[key]"))
        try:
            await poster.post(b"{}", 5.0)
        except ImplementationError as exc:
            return exc
        finally:
            await poster.aclose()
        raise AssertionError("a header with a line break was sent")

    with running_server("triage_server", "--mode", "good") as (url, _):
        error = asyncio.run(post(f"{url}/triage"))
    assert error.code == "http-request-failed"
    assert "[key]" in error.message and "s3cret" not in error.render()
