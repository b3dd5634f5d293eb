"""The http adapter's plain-http stream lanes against servers that stretch HTTP/1.1 (real sockets on 127.0.0.1).

A ``Connection: close`` answer, a chunked body, and a server that silently drops
a kept-alive connection between requests: each case still gets its decision,
and the dropped connection is replaced at once, without a retry's backoff.
"""

from __future__ import annotations

import asyncio
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from calfspec import TriageRequest
from calfspec._internal.adapters.http import JsonPoster

DECISION = json.dumps({"urgency": "urgent", "pathways": ["urgent-same-day-assessment"]}).encode()
SWOLLEN = TriageRequest(case_id="swollen", findings={"calf_swelling": "present"})


class _Handler(socketserver.StreamRequestHandler):
    style = "keep-alive"
    connections: list[int]

    def handle(self) -> None:
        self.connections.append(1)
        answered = 0
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = self.rfile.read(1)
                if not byte:
                    return
                head += byte
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            self.rfile.read(length)
            answered += 1
            if self.style == "stale" and answered == 2 and len(self.connections) == 1:
                return  # a reused connection dies before its answer: what a raced idle timeout looks like
            if self.style == "chunked":
                half = len(DECISION) // 2
                body = b"".join(
                    f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (DECISION[:half], DECISION[half:])
                )
                self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n")
                continue
            if self.style == "unframed":  # no length, not chunked: the body ends where the connection does
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + DECISION)
                return
            if self.style == "informational":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            extra = b"Connection: close\r\n" if self.style == "close" else b""
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + extra
                + f"Content-Length: {len(DECISION)}\r\n\r\n".encode()
                + DECISION
            )
            if self.style in ("close", "drop"):
                return  # "drop": closes without saying so, as an idle timeout on the server would


@contextmanager
def serving(style: str) -> Iterator[tuple[str, list[int]]]:
    connections: list[int] = []
    handler = type("Handler", (_Handler,), {"style": style, "connections": connections})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/triage", connections
    finally:
        server.shutdown()
        server.server_close()


BACKOFF = 5.0
"""A retry after a failed attempt waits at least 3.75 s (jitter), so any such retry shows in the elapsed time."""


async def sequential(url: str, n: int, pause: float = 0.0) -> list[str]:
    """The bodies of ``n`` POSTs, one after another over one lane."""
    poster = JsonPoster(url, concurrency=1, backoff=BACKOFF)
    try:
        bodies = []
        for _ in range(n):
            bodies.append(await poster.post(SWOLLEN.model_dump_json().encode(), 30.0))
            await asyncio.sleep(pause)
        return bodies
    finally:
        await poster.aclose()


def test_a_connection_close_answer_is_read_whole_and_the_next_case_opens_a_new_connection() -> None:
    with serving("close") as (url, connections):
        replies = asyncio.run(sequential(url, 3))
    assert replies == [DECISION.decode()] * 3
    assert len(connections) == 3


def test_a_chunked_answer_is_decoded_and_the_connection_kept() -> None:
    with serving("chunked") as (url, connections):
        replies = asyncio.run(sequential(url, 3))
    assert replies == [DECISION.decode()] * 3
    assert len(connections) == 1


def test_a_kept_alive_connection_the_server_dropped_is_replaced_without_backoff() -> None:
    with serving("drop") as (url, connections):
        started = time.perf_counter()
        # the pause lets the server's close arrive before the next case picks the connection up
        replies = asyncio.run(sequential(url, 4, pause=0.02))
        elapsed = time.perf_counter() - started
    assert replies == [DECISION.decode()] * 4 and len(connections) == 4
    assert elapsed < 2.0, "a retry's backoff would show here"


def test_a_reused_connection_that_dies_before_the_answer_is_retried_at_once_on_a_new_one() -> None:
    with serving("stale") as (url, connections):
        started = time.perf_counter()
        replies = asyncio.run(sequential(url, 3))
        elapsed = time.perf_counter() - started
    assert replies == [DECISION.decode()] * 3
    assert len(connections) == 2, "the second case's connection died; the third reuses its replacement"
    assert elapsed < 2.0, "a retry's backoff would show here"


def test_an_answer_without_length_is_read_to_the_close_of_its_connection() -> None:
    with serving("unframed") as (url, connections):
        replies = asyncio.run(sequential(url, 2))
    assert replies == [DECISION.decode()] * 2
    assert len(connections) == 2


def test_a_1xx_before_the_answer_is_skipped_and_the_connection_kept() -> None:
    with serving("informational") as (url, connections):
        replies = asyncio.run(sequential(url, 3))
    assert replies == [DECISION.decode()] * 3
    assert len(connections) == 1
