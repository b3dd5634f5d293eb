"""The http adapter's pieces that need no server: URLs, credentials in names, the shared TLS context."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from calfspec._internal.adapters import load_implementation
from calfspec._internal.adapters.http import HttpImplementation, JsonPoster, check_url, public_url
from calfspec._internal.errors import SpecError


def test_public_url_drops_user_and_password_but_keeps_host_port_and_path() -> None:
    assert public_url("http://ann:s3cret@example.org:8080/triage?x=1") == "http://example.org:8080/triage?x=1"
    assert public_url("https://example.org/triage") == "https://example.org/triage"


def test_the_implementation_name_never_carries_the_password() -> None:
    assert HttpImplementation("http://ann:s3cret@127.0.0.1:9/triage").name == "http://127.0.0.1:9/triage"


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http:///triage", "example.org/triage", "http://a:pw@/x"])
def test_check_url_refuses_what_is_not_an_http_url_with_a_host(url: str) -> None:
    with pytest.raises(SpecError) as caught:
        check_url(url)
    assert "pw" not in caught.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://ann:pw@127.0.0.1:abc/triage", "Port could not be cast"),
        ("http://ann:pw@127.0.0.1:99999/triage", "Port out of range"),
        ("http://ann:pw@[::1/triage", "Invalid IPv6 URL"),
        ("http://ann:pw@127.0.0.1/tri age", "spaces or control characters"),
        ("http://ann:pw@127.0.0.1/tri\tage", "spaces or control characters"),
    ],
)
def test_a_malformed_url_is_a_spec_error_at_load_time_not_a_crash_later(url: str, expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_implementation(url)
    assert expected in caught.value.message
    assert "pw" not in caught.value.render()


def test_public_url_strips_credentials_even_from_text_that_does_not_parse() -> None:
    assert public_url("http://ann:pw@[::1/triage") == "http://[::1/triage"
    assert public_url("http://host/path@not-userinfo") == "http://host/path@not-userinfo"


def test_concurrency_below_one_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="at least 1"):
        JsonPoster("http://127.0.0.1:9/", concurrency=0)


def lane_contexts(url: str, lanes: int) -> tuple[ssl.SSLContext, list[object]]:
    """The poster's TLS context and the one each of ``lanes`` new lanes was given."""

    async def go() -> tuple[ssl.SSLContext, list[object]]:
        poster = JsonPoster(url, concurrency=lanes)
        await poster.open()
        try:
            made = [poster._new_lane() for _ in range(lanes)]
            assert poster._tls is not None
            # a plain-http stream lane has no TLS context at all (None)
            return poster._tls, [getattr(getattr(lane, "_pool", None), "_ssl_context", None) for lane in made]
        finally:
            await poster.aclose()

    return asyncio.run(go())


def test_every_https_lane_shares_one_context_with_the_ca_bundle_loaded_once() -> None:
    shared, contexts = lane_contexts("https://127.0.0.1:9/triage", 4)
    assert all(context is shared for context in contexts)
    assert shared.cert_store_stats()["x509_ca"] > 0


def test_plain_http_lanes_load_no_ca_bundle_at_all() -> None:
    # Each lane loading its own bundle cost about a second at 64 lanes. Plain-http lanes
    # without a proxy are stream lanes: no TLS at all.
    shared, contexts = lane_contexts("http://127.0.0.1:9/triage", 4)
    assert contexts == [None] * 4
    assert shared.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}


def opened_proxy(url: str) -> str | None:
    async def go() -> str | None:
        poster = JsonPoster(url)
        await poster.open()
        await poster.aclose()
        return poster._proxy

    return asyncio.run(go())


@pytest.fixture
def clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for scheme in ("http", "https", "all", "no"):
        monkeypatch.delenv(f"{scheme}_proxy", raising=False)
        monkeypatch.delenv(f"{scheme.upper()}_PROXY", raising=False)
    return monkeypatch


def test_the_proxy_variables_pick_a_proxy_per_scheme_and_no_proxy_bypasses_it(
    clean_proxy_environment: pytest.MonkeyPatch,
) -> None:
    env = clean_proxy_environment
    assert opened_proxy("http://svc.example/triage") is None
    env.setenv("HTTPS_PROXY", "proxy.example:3128")
    assert opened_proxy("http://svc.example/triage") is None
    assert opened_proxy("https://svc.example/triage") == "http://proxy.example:3128"
    env.setenv("ALL_PROXY", "http://all.example:8080")
    assert opened_proxy("http://svc.example/triage") == "http://all.example:8080"
    env.setenv("NO_PROXY", "svc.example")
    assert opened_proxy("https://ann:pw@svc.example:8443/triage") is None
