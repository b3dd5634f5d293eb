"""A local HTTP triage service that takes 50 ms per request, for the HTTP benchmark.

``python slow_http_server.py [DELAY_S]`` listens on 127.0.0.1 on a free port,
prints the port on stdout, and answers every POST, after ``DELAY_S`` seconds
(default 0.05), with one fixed decision. One thread per connection with
HTTP/1.1 keep-alive and a deep listen backlog, so 64 concurrent requests are
all held at once: the ideal wall time for N requests at concurrency 64 is
N / 64 x 50 ms, and anything above it is the harness's cost.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = json.dumps({"urgency": "urgent", "pathways": ["urgent-same-day-assessment"]}).encode()


class SlowHandler(BaseHTTPRequestHandler):
    """Read the request, wait, answer the fixed decision."""

    protocol_version = "HTTP/1.1"
    # Without this, Nagle's algorithm holds small writes back until the client's delayed
    # ACK, adding up to 40 ms per response: a cost of the server, not of the harness.
    disable_nagle_algorithm = True
    delay = 0.05

    def do_POST(self) -> None:
        """Answer one triage request after the delay."""
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: one line per request would cost more than the server itself."""


class Server(ThreadingHTTPServer):
    """Threads per connection, daemonic, with room in the backlog for a burst of connects."""

    daemon_threads = True
    request_queue_size = 512


def main() -> int:
    """Serve until killed."""
    if len(sys.argv) > 1:
        SlowHandler.delay = float(sys.argv[1])
    server = Server(("127.0.0.1", 0), SlowHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
