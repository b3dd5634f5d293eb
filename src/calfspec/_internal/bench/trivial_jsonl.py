"""A trivial JSON-lines triage implementation: the cheapest process a ``cmd:`` spec can run.

It answers every case with the same decision, so a benchmark over it measures
calfspec's transport and nothing else. Standard library only, so starting it is
as cheap as starting Python: the process-per-case baseline is honest.
Speaks protocol 1 (see :mod:`calfspec._internal.adapters.cmd`): hello, triage*, bye.
"""

from __future__ import annotations

import json
import sys

DECISION = {"urgency": "urgent", "pathways": ["urgent-same-day-assessment"]}


def main() -> int:
    """Serve cases from stdin until ``bye`` or end of input."""
    out = sys.stdout
    reply: dict[str, object]
    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get("type")
        if kind == "hello":
            reply = {"type": "hello", "protocol_version": "1.0", "name": "trivial-jsonl", "version": "1"}
        elif kind == "triage":
            reply = {"type": "decision", "id": message["id"], "decision": DECISION}
        elif kind == "bye":
            break
        else:
            continue
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
