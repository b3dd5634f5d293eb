"""The ``http://`` / ``https://`` adapter: POST the request JSON, read the decision JSON.

Connections are kept alive and reused, up to the concurrency limit. Each
connection is its own :class:`httpx.AsyncHTTPTransport` (a *lane*, all sharing
one TLS context), handed out from a free list: httpcore's shared pool does work
in proportion to requests x connections on every hand-over, which at 64
concurrent cases cost more CPU than the requests themselves. Requests go to the
transport directly (httpx's documented plugin boundary), not through
:class:`httpx.AsyncClient`: calfspec uses none of what the client adds per
request (URL merging, cookies, auth flows, redirects, event hooks), which cost
about a fifth of the CPU of a case; credentials in the URL and the proxy
variables of the environment are applied here once instead. A plain
``http://`` URL with no proxy goes further down still, to the lanes of
:mod:`._http1`: one keep-alive connection each, an asyncio protocol with
httptools' C parser, request head and body in one write, and none of
httpcore's pool, locks and anyio checkpoints, which at concurrency 64 cost
several times the client work of the request itself; errors are raised as the
same httpx exceptions, so retries and messages do not depend on the lane. Each case
has one deadline (its timeout) covering every attempt. Connection errors and 5xx
answers are retried a bounded number of times with exponential backoff; a 4xx
answer, a body that is not JSON or a decision that breaks the schema is an
error at once, because asking again would get the same answer. Redirects are
not followed (a POST body does not survive most of them): give the final URL.

:class:`JsonPoster` is shared with the ``openai:`` adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Union
from urllib.parse import urlsplit

from ..errors import ImplementationError, SpecError
from ..models.triage import TriageRequest
from ._decode import decision_from_text, excerpt
from ._http1 import Http1Lane, request_head
from .base import Reply

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_BODY_BYTES",
    "HttpImplementation",
    "JsonPoster",
    "public_url",
]

DEFAULT_CONCURRENCY = 64
"""Requests in flight at once per adapter (also the connection pool size)."""

MAX_BODY_BYTES = 1 << 20
"""Largest response body read (1 MiB); more is an "oversized output" error."""

RETRIES = 3
"""Extra attempts after a connection error or a retryable status."""

BACKOFF = 0.1
"""First backoff in seconds; doubled on every retry, with jitter."""

SERVER_ERRORS = frozenset(range(500, 600))


_USERINFO = re.compile(r"(?<=//)[^/?#]*@")


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for names and messages.

    Works on text that is not a valid URL too, so an error about a bad URL never shows its password.
    """
    return _USERINFO.sub("", url, count=1)


def check_url(url: str) -> str:
    """Check that ``url`` is an absolute http(s) URL with a host and a valid port; return it stripped."""
    import httpx

    url = url.strip()
    shown = public_url(url)
    hint = "e.g. http://127.0.0.1:8000/triage"
    if any(char.isspace() or not char.isprintable() for char in url):
        raise SpecError(f"the URL {shown!r} contains spaces or control characters", hint=hint)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number from 0 to 65535 raises here
        httpx.URL(url)  # what will actually be sent, checked now rather than in every case
    except (ValueError, httpx.InvalidURL) as exc:
        raise SpecError(f"not a valid URL: {shown!r}: {_without_userinfo(str(exc), url)}", hint=hint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError(f"not an http(s) URL with a host: {shown!r}", hint=hint)
    return url


def _without_userinfo(text: str, url: str) -> str:
    """``text`` with the ``user:password`` of ``url`` taken out (for parser messages that quote it)."""
    match = _USERINFO.search(url)
    return text.replace(match.group()[:-1], "***") if match and len(match.group()) > 1 else text


def _no_redaction(text: str) -> str:
    return text


class JsonPoster:
    """POSTs JSON bodies to one URL with a deadline, bounded retries and a size limit.

    ``redact`` is applied to every text that leaves this class (errors and
    bodies), so a secret a server echoes back is never reported; the password
    of the URL, and the basic-auth token made from it, are always removed too.
    """

    def __init__(
        self,
        url: str,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        headers: Mapping[str, str] | None = None,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        retry_statuses: Collection[int] = SERVER_ERRORS,
        max_body_bytes: int = MAX_BODY_BYTES,
        redact: Callable[[str], str] = _no_redaction,
    ) -> None:
        if concurrency < 1:
            raise SpecError(f"concurrency must be at least 1, got {concurrency}")
        self.url = url
        self.shown_url = public_url(url)
        self._concurrency = concurrency
        self._headers = dict(headers or {})
        self._retries = retries
        self._backoff = backoff
        self._retry_statuses = frozenset(retry_statuses)
        self._max_body = max_body_bytes
        self._caller_redact = redact
        self._secrets: list[str] = []
        self._lanes: list[_Lane] = []
        self._free: asyncio.LifoQueue[_Lane] | None = None
        self._tls: ssl.SSLContext | None = None
        self._proxy: str | None = None
        self._target: httpx.URL | None = None
        self._request_headers: dict[str, str] = {}
        self._head: bytes | None = None
        """The request head of the plain-http lanes, up to the content length (built on first use)."""

    async def open(self) -> None:
        """Prepare the shared settings (idempotent); lanes are created as needed."""
        if self._free is not None:
            return
        import ssl

        import httpx

        from .._version import __version__

        self._free = asyncio.LifoQueue()  # LIFO: reuse the warmest connection first
        # Every lane must be given this one context: left to itself, each httpx client
        # loads the CA bundle again (~15 ms each, a second for 64 lanes).
        if self.url.startswith("https:"):
            # httpx's own defaults (certifi, or $SSL_CERT_FILE / $SSL_CERT_DIR), loaded once.
            self._tls = httpx.create_ssl_context()
        else:
            # Plain http never does TLS (redirects are not followed). A verifying context
            # with no CA loaded costs nothing to build and would refuse any certificate.
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._proxy = _environment_proxy(self.url)
        target = httpx.URL(self.url)
        self._target = target.copy_with(username=None, password=None)
        self._request_headers = {
            "user-agent": f"calfspec/{__version__}",
            "content-type": "application/json",
            **self._headers,
        }
        if target.username or target.password:
            # As httpx.AsyncClient does: URL credentials become basic auth, over any other.
            token = _basic_auth(target.username, target.password)
            self._request_headers["authorization"] = token
            self._secrets = [secret for secret in (token.split()[1], target.password) if secret]
            from .._secrets import register_secret

            for secret in self._secrets:
                register_secret(secret)

    def _redact(self, text: str) -> str:
        from .._secrets import redact

        text = self._caller_redact(text)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        # Every registered secret, also base64- and URL-encoded (a server may echo them so).
        return redact(text)

    def _new_lane(self) -> _Lane:
        import httpx

        assert self._target is not None
        if self._proxy is None and self._target.scheme == "http":
            stream_lane = Http1Lane(
                self._target.host, self._target.port or 80, max_body=self._max_body, shown_url=self.shown_url
            )
            self._lanes.append(stream_lane)
            return stream_lane
        # No httpx timeouts (none are set on the requests either): the caller's deadline
        # (asyncio) bounds every attempt and the backoff together, which a per-operation
        # timeout could not.
        lane = httpx.AsyncHTTPTransport(
            verify=self._tls if self._tls is not None else True,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            proxy=self._proxy,
        )
        self._lanes.append(lane)
        return lane

    @contextlib.asynccontextmanager
    async def _lane(self) -> AsyncIterator[_Lane]:
        """A free lane, or a new one while under the concurrency limit; wait otherwise."""
        free = self._free
        if free is None:
            raise ImplementationError("the HTTP client is closed", code="implementation-closed")
        if free.empty() and len(self._lanes) < self._concurrency:
            lane = self._new_lane()
        else:
            lane = await free.get()
        try:
            yield lane
        finally:
            free.put_nowait(lane)

    async def aclose(self) -> None:
        """Close every lane and its connection."""
        lanes, self._lanes, self._free = self._lanes, [], None
        await asyncio.gather(*(lane.aclose() for lane in lanes), return_exceptions=True)

    async def post(self, body: bytes, timeout: float) -> str:
        """POST ``body``; return the response text, or raise :class:`ImplementationError`."""
        import httpx

        await self.open()
        last_problem = "no attempt finished"
        first_problem: str | None = None
        attempts = 0
        try:
            async with asyncio.timeout(timeout) as scope:
                while True:
                    attempts += 1
                    try:
                        async with self._lane() as lane:
                            status, reason, content = await self._attempt(lane, body)
                    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                        last_problem = f"{type(exc).__name__}: {exc or 'connection failed'}"
                    except (httpx.HTTPError, UnicodeError) as exc:
                        # The request itself cannot be sent (a header value httpx refuses, a
                        # proxy that fails): asking again would fail the same way. httpx quotes
                        # the bad header, which may hold a secret, hence the redaction.
                        raise ImplementationError(
                            self._redact(
                                f"the request to {self.shown_url} could not be sent: {type(exc).__name__}: {exc}"
                            ),
                            code="http-request-failed",
                        ) from None
                    else:
                        if 200 <= status < 300:
                            return self._redact(content.decode("utf-8", errors="replace"))
                        last_problem = f"HTTP {status} {reason}: {excerpt(content)}"
                        if status not in self._retry_statuses:
                            raise ImplementationError(
                                self._redact(f"{last_problem} (from {self.shown_url})"),
                                code="http-status",
                                hint=_status_hint(status),
                            )
                    first_problem = first_problem or last_problem
                    if attempts > self._retries:
                        earlier = "" if first_problem == last_problem else f"; first: {first_problem}"
                        raise ImplementationError(
                            self._redact(f"{last_problem} (from {self.shown_url}, {attempts} attempts{earlier})"),
                            code="http-unavailable",
                        )
                    delay = self._backoff * 2 ** (attempts - 1)
                    await asyncio.sleep(delay * random.uniform(0.75, 1.25))
        except TimeoutError:
            if not scope.expired():
                raise
            raise ImplementationError(
                self._redact(
                    f"no answer within {timeout:g} s from {self.shown_url} "
                    f"({attempts} attempt(s); last problem: {last_problem})"
                ),
                code="implementation-timeout",
            ) from None

    async def _attempt(self, lane: _Lane, body: bytes) -> tuple[int, str, bytes]:
        import httpx

        assert self._target is not None
        if isinstance(lane, Http1Lane):
            head = self._head
            if head is None:
                # Raises for a header h11 refuses, on every attempt: nothing is cached then.
                head = self._head = request_head(self._target, self._request_headers)
            return await lane.post(b"".join((head, b"%d\r\n\r\n" % len(body), body)))
        request = httpx.Request("POST", self._target, headers=self._request_headers, content=body)
        response = await lane.handle_async_request(request)
        try:
            assert isinstance(response.stream, httpx.AsyncByteStream)
            chunks: list[bytes] = []
            size = 0
            # The raw bytes as they arrive: a body over the limit is refused before it is
            # all read, and a content-encoding is not expanded (the size limit holds).
            async for chunk in response.stream:
                size += len(chunk)
                if size > self._max_body:
                    raise ImplementationError(
                        f"oversized output: the response from {self.shown_url} is larger than {self._max_body} bytes",
                        code="oversized-output",
                    )
                chunks.append(chunk)
            return response.status_code, response.reason_phrase, b"".join(chunks)
        finally:
            # Hands the connection back for keep-alive, or closes it if the body was not read.
            await response.aclose()


_Lane = Union["httpx.AsyncHTTPTransport", Http1Lane]
"""A connection lane: httpx's transport (https, proxies) or the plain-http stream lane."""


def _basic_auth(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _environment_proxy(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``), if any."""
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.netloc.rpartition("@")[2]):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _status_hint(status: int) -> str | None:
    if status in (401, 403):
        return "the service refused the credentials (or needs some)"
    if status == 404:
        return "check the path of the URL"
    if 300 <= status < 400:
        return "calfspec does not follow redirects; give the final URL"
    return None


class HttpImplementation:
    """An implementation behind an HTTP endpoint that takes a request and returns a decision."""

    def __init__(self, url: str, *, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._poster = JsonPoster(check_url(url), concurrency=concurrency)

    @property
    def name(self) -> str:
        """The URL, without credentials."""
        return self._poster.shown_url

    async def start(self) -> None:
        """Open the HTTP client."""
        await self._poster.open()

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """POST the request; the response body must be the decision JSON."""
        # The serializer's bytes as they are (model_dump_json would decode them, only for .encode() here).
        text = await self._poster.post(TriageRequest.__pydantic_serializer__.to_json(request), timeout)
        return Reply(decision_from_text(text), raw=text)

    async def close(self) -> None:
        """Close the client and its connections."""
        await self._poster.aclose()
