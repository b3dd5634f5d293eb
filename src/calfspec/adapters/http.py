"""The ``http://`` / ``https://`` adapter: POST the request JSON, read the decision JSON.

Connections are kept alive and reused, up to the concurrency limit. Each
connection is its own small :class:`httpx.AsyncClient` (a *lane*, sharing one
TLS context), handed out from a free list: httpcore's shared pool does work in
proportion to requests x connections on every hand-over, which at 64 concurrent
cases cost more CPU than the requests themselves. Each case
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
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ..errors import ImplementationError, SpecError
from ..models.triage import TriageRequest
from ._decode import decision_from_text, excerpt
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


def public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for names and messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def check_url(url: str) -> str:
    """Check that ``url`` is an absolute http(s) URL with a host; return it stripped."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError(
            f"not an http(s) URL with a host: {public_url(url)!r}",
            hint="e.g. http://127.0.0.1:8000/triage",
        )
    return url


def _no_redaction(text: str) -> str:
    return text


class JsonPoster:
    """POSTs JSON bodies to one URL with a deadline, bounded retries and a size limit.

    ``redact`` is applied to every text that leaves this class (errors and
    bodies), so a secret a server echoes back is never reported.
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
        self._redact = redact
        self._lanes: list[httpx.AsyncClient] = []
        self._free: asyncio.LifoQueue[httpx.AsyncClient] | None = None
        self._tls: ssl.SSLContext | None = None
        self._lane_headers: dict[str, str] = {}

    async def open(self) -> None:
        """Prepare the shared settings (idempotent); lanes are created as needed."""
        if self._free is not None:
            return
        import ssl

        import httpx

        from .. import __version__

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
        self._lane_headers = {
            "user-agent": f"calfspec/{__version__}",
            "content-type": "application/json",
            **self._headers,
        }

    def _new_lane(self) -> httpx.AsyncClient:
        import httpx

        # No httpx timeouts: the caller's deadline (asyncio) bounds every attempt and the
        # backoff together, which a per-operation timeout could not.
        lane = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            headers=self._lane_headers,
            timeout=None,
            follow_redirects=False,
            verify=self._tls if self._tls is not None else True,
        )
        self._lanes.append(lane)
        return lane

    @contextlib.asynccontextmanager
    async def _lane(self) -> AsyncIterator[httpx.AsyncClient]:
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

    async def _attempt(self, client: httpx.AsyncClient, body: bytes) -> tuple[int, str, bytes]:
        async with client.stream("POST", self.url, content=body) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > self._max_body:
                    raise ImplementationError(
                        f"oversized output: the response from {self.shown_url} is larger than {self._max_body} bytes",
                        code="oversized-output",
                    )
                chunks.append(chunk)
            return response.status_code, response.reason_phrase, b"".join(chunks)


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
        text = await self._poster.post(request.model_dump_json().encode(), timeout)
        return Reply(decision_from_text(text), raw=text)

    async def close(self) -> None:
        """Close the client and its connections."""
        await self._poster.aclose()
