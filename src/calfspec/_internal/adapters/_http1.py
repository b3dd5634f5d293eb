"""The http adapter's plain-``http://`` lanes: one keep-alive HTTP/1.1 connection each, httptools parsing.

A lane is an :class:`asyncio.Protocol` on one connection, one request at a
time: the whole request (a head built once per adapter, the content length,
the body) goes out in one write, and the answer is parsed as it arrives by
httptools (llhttp, the C parser uvicorn uses), which hands back the status, the
headers that matter and the body; one future per request wakes the caller.
This is what the connection pool, locks and checkpoints of httpcore, and a
pure-Python parser such as h11, would otherwise cost per request at
concurrency 64, several times the work of the request itself. The head's
header names and values are checked by h11's rules once, when it is built.

Failures are raised as httpx's exceptions (``ConnectError``, ``ReadError``,
``RemoteProtocolError``, ``LocalProtocolError``), so the poster treats these
lanes and httpx's transports alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

import httptools

from ..errors import ImplementationError

if TYPE_CHECKING:
    import httpx

__all__ = ["Http1Lane", "request_head"]

_DISCONNECTED = "Server disconnected without sending a response."


def request_head(target: httpx.URL, headers: Mapping[str, str]) -> bytes:
    """The head of a POST to ``target`` up to the value of its ``content-length`` header.

    Raises ``httpx.LocalProtocolError`` (or ``UnicodeError``) for a header that
    h11 would refuse to send, such as a value with a line break.
    """
    import h11
    import httpx

    fields = [("host", target.netloc.decode("ascii")), *headers.items()]
    try:
        # Only for its checks: h11 refuses what is not a token or a field value.
        h11.Request(method="POST", target=target.raw_path, headers=[*fields, ("content-length", "0")])
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc)) from None
    lines = [b"POST " + target.raw_path + b" HTTP/1.1"]
    lines += [name.encode("ascii") + b": " + value.encode("ascii") for name, value in fields]
    return b"\r\n".join(lines) + b"\r\ncontent-length: "


class _Connection(asyncio.Protocol):
    """One connection: parses what arrives and resolves the future of the request in flight."""

    def __init__(self, max_body: int, shown_url: str) -> None:
        self._max_body = max_body
        self._shown_url = shown_url
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[int, str, bytes]] | None = None
        self._lost = False
        self._keep_alive = False
        self._begun = False
        """Whether a message of the current request has begun: bytes before that nobody asked for."""
        self.answered = False
        """Whether the request in flight has received the head of a (final) answer."""
        self._status = 0
        self._reason = b""
        self._chunks: list[bytes] = []
        self._size = 0
        self._framed = False
        self._failure: Exception | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Resolved once the connection is gone."""

    # --- used by the lane ---

    def reusable(self) -> bool:
        """Whether the last answer left the connection open and ready for the next request."""
        transport = self._transport
        return (
            not self._lost
            and self._keep_alive
            and transport is not None
            and not transport.is_closing()
            and self._waiter is not None
            and self._waiter.done()
        )

    def send(self, request: bytes) -> asyncio.Future[tuple[int, str, bytes]]:
        """Write ``request``; the future of its status, reason and raw body."""
        assert self._transport is not None
        self._status, self._reason, self._chunks, self._size = 0, b"", [], 0
        self._framed = self._keep_alive = self._begun = self.answered = False
        self._failure = None
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        if self._lost:
            waiter.set_exception(_read_error(None))
        else:
            self._transport.write(request)
        return waiter

    def close(self) -> None:
        """Close the connection (never to be reused)."""
        self._keep_alive = False
        if self._transport is not None:
            self._transport.close()

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a bad answer fails the request in flight."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            # Bytes no request asked for: the framing of this connection is no longer known.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(_protocol_error("the server switched protocols without being asked"))
        except httptools.HttpParserCallbackError:
            self._fail(self._failure or _protocol_error("the answer could not be parsed"))
        except httptools.HttpParserError as exc:
            self._fail(_protocol_error(str(exc)))

    def eof_received(self) -> bool:
        """The server closed its side: the end of a body read to the close, or a failure."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self.answered and not self._framed:
                # No length and not chunked: the body is all that came before the close.
                waiter.set_result(self._answer())
            else:
                self._fail(
                    _protocol_error(
                        _DISCONNECTED if not self.answered else "Server disconnected before the end of the body."
                    )
                )
        self._lost = True
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: fail the request in flight, if any."""
        self._lost = True
        self._fail(_read_error(exc))
        if not self.closed.done():
            self.closed.set_result(None)

    # --- httptools callbacks ---

    def on_message_begin(self) -> None:
        """A message starts: one per request, after any 1xx."""
        if self._begun:
            # A second answer to one request: refuse to keep this connection.
            self._lost = True
        self._begun = True

    def on_status(self, reason: bytes) -> None:
        """The reason phrase (possibly in pieces)."""
        self._reason += reason

    def on_header(self, name: bytes, _value: bytes) -> None:
        """Note whether the answer says where its body ends."""
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        """The head is complete: a final answer, or a 1xx to skip."""
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            self._begun = False  # informational: the final answer follows
            self._reason = b""
            self._framed = False
            return
        self._status = status
        self.answered = True

    def on_body(self, body: bytes) -> None:
        """A piece of the body, refused past the size limit."""
        self._size += len(body)
        if self._size > self._max_body:
            self._failure = ImplementationError(
                f"oversized output: the response from {self._shown_url} is larger than {self._max_body} bytes",
                code="oversized-output",
            )
            raise self._failure
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        """The answer is complete (a 1xx is not the answer)."""
        if not self.answered:
            return
        self._keep_alive = self._parser.should_keep_alive()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(self._answer())

    # --- helpers ---

    def _answer(self) -> tuple[int, str, bytes]:
        return self._status, self._reason.decode("ascii", errors="replace"), b"".join(self._chunks)

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self.close()


def _protocol_error(message: str) -> Exception:
    import httpx

    return httpx.RemoteProtocolError(message)


def _read_error(exc: Exception | None) -> Exception:
    import httpx

    if exc is None:
        return httpx.RemoteProtocolError(_DISCONNECTED)
    return httpx.ReadError(str(exc) or type(exc).__name__)


class Http1Lane:
    """One keep-alive HTTP/1.1 connection to a plain ``http://`` origin, for one request at a time.

    Opened on the first request and again after the server closes it; any
    failure or cancellation mid-request closes it, so the next request starts
    clean.
    """

    def __init__(self, host: str, port: int, *, max_body: int, shown_url: str) -> None:
        self._host = host
        self._port = port
        self._max_body = max_body
        self._shown_url = shown_url
        self._connection: _Connection | None = None

    async def _connect(self) -> _Connection:
        import httpx

        self._drop()
        try:
            _, connection = await asyncio.get_running_loop().create_connection(
                lambda: _Connection(self._max_body, self._shown_url), self._host, self._port
            )
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from None
        self._connection = connection
        return connection

    async def post(self, request: bytes) -> tuple[int, str, bytes]:
        """Send the whole ``request``; the status, reason and raw body of the answer."""
        import httpx

        connection = self._connection
        reused = connection is not None and connection.reusable()
        if connection is None or not reused:
            connection = await self._connect()
        try:
            return await self._exchange(connection, request)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # A kept-alive connection the server dropped between requests fails before any
            # answer: try once more on a new connection, as httpcore's pool does.
            if not reused or connection.answered:
                raise
            return await self._exchange(await self._connect(), request)

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, str, bytes]:
        try:
            answer = await connection.send(request)
        except BaseException:
            # Mid-request failure or cancellation: nothing more on this connection can be trusted.
            connection.close()
            raise
        if not connection.reusable():
            connection.close()  # e.g. "Connection: close", an HTTP/1.0 server, a body read to the close
        return answer

    def _drop(self) -> _Connection | None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        return connection

    async def aclose(self) -> None:
        """Close the connection, if one is open, and wait until it is."""
        connection = self._drop()
        if connection is not None:
            await connection.closed
