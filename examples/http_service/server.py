"""A small calf-pain triage HTTP service, in the Python standard library only.

    python examples/http_service/server.py --port 8000
    calfspec run --impl http://127.0.0.1:8000/triage

``POST /triage`` takes a TriageRequest as JSON and answers a TriageDecision as
JSON (see docs/implementing.md and schemas/). ``GET /health`` answers 200.
The decision comes from calfspec's reference triage, imported through its
public API; replace :func:`decide` with your own system to put it under test.
Bad input gets a 400 with a JSON error, which calfspec reports as an error
for that case (it does not retry 4xx).
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from calfspec import TriageRequest, load_guideline, reference_triage

GUIDELINE = load_guideline()  # load once, before any request thread needs it
MAX_BODY = 1 << 20


def decide(request: dict[str, object]) -> dict[str, object]:
    """The triage itself: JSON in, JSON out. Swap in your own logic here."""
    decision = reference_triage(TriageRequest.model_validate(request), GUIDELINE)
    return decision.model_dump(mode="json")


class TriageHandler(BaseHTTPRequestHandler):
    """POST /triage -> decision; GET /health -> ok."""

    protocol_version = "HTTP/1.1"  # keep connections alive between cases
    # Send headers and body in one segment (Nagle plus delayed ACKs would stall keep-alive).
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def _send_json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_json(404, {"error": "not found; POST a request to /triage"})

    def do_POST(self) -> None:
        if self.path != "/triage":
            self._send_json(404, {"error": "not found; POST a request to /triage"})
            return
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send_json(413, {"error": "request too large"})
            return
        try:
            request = json.loads(self.rfile.read(length))
            if not isinstance(request, dict):
                raise ValueError("the request must be a JSON object")
            decision = decide(request)
        except ValueError as exc:  # JSON and pydantic validation errors
            self._send_json(400, {"error": str(exc)[:2000]})
            return
        self._send_json(200, decision)

    def log_message(self, format: str, *args: object) -> None:
        # Access logs go to stderr, prefixed, so they are easy to tell apart.
        sys.stderr.write("triage-service: " + (format % args) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args()
    if args.quiet:
        TriageHandler.log_message = lambda self, format, *a: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer((args.host, args.port), TriageHandler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/triage", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
