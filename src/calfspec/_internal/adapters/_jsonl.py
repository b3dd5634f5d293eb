"""The framing of the ``cmd:`` protocol: JSON lines on stdout, a bounded tail of stderr.

:mod:`.cmd` owns the process (its group, its restarts, its cases in flight);
this module owns what travels over its pipes: building the lines calfspec
writes, cutting stdout into lines no longer than a limit, reading one line as
a message, checking the hello, and keeping the last lines of stderr for error
messages. Nothing here touches a process or the event loop.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping

from ..models.triage import PROTOCOL_VERSION, TriageRequest
from ._decode import excerpt

__all__ = [
    "BYE_LINE",
    "READ_CHUNK",
    "LineSplitter",
    "StderrTail",
    "case_answer",
    "check_hello",
    "decode_line",
    "hello_line",
    "line",
    "triage_line",
]

READ_CHUNK = 1 << 16
"""Bytes asked of a pipe at a time."""

_STDERR_KEEP = 40
_STDERR_SHOW = 5
_STDERR_LINE_CHARS = 300


def line(message: Mapping[str, object]) -> str:
    """One protocol line: compact JSON, as docs/implementing.md shows it."""
    return json.dumps(message, separators=(",", ":"))


def hello_line() -> str:
    """calfspec's hello, naming the protocol and calfspec versions."""
    from .._version import __version__

    return line({"type": "hello", "protocol_version": PROTOCOL_VERSION, "calfspec_version": __version__})


def triage_line(ident: str, request: TriageRequest) -> str:
    """The line that sends one case under protocol id ``ident``."""
    return line({"type": "triage", "id": ident, "request": request.model_dump(mode="json")})


BYE_LINE = line({"type": "bye"})
"""The last line calfspec writes before closing stdin."""


def check_hello(answer: object) -> tuple[bool, str] | None:
    """``None`` if the hello is good, else (whether to give up for good, what is wrong)."""
    if not isinstance(answer, dict) or answer.get("type") != "hello":
        return False, f"expected a hello message first, got {excerpt(json.dumps(answer))}"
    theirs = answer.get("protocol_version")
    if not isinstance(theirs, str) or not theirs.split(".")[0].isdigit():
        return True, f"the hello has no valid protocol_version (got {theirs!r})"
    if theirs.split(".")[0] != PROTOCOL_VERSION.split(".")[0]:
        return True, (
            f"protocol version mismatch: calfspec speaks {PROTOCOL_VERSION}, the implementation speaks {theirs}"
        )
    return None


def decode_line(raw: bytes) -> tuple[object, str, str | None]:
    """``(message, text, problem)`` for one stdout line; ``problem`` says why it is not JSON, else ``None``."""
    text = raw.decode("utf-8", errors="replace")
    try:
        message: object = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # RecursionError: a line of 100 000 nested brackets is not JSON calfspec can read
        # either, and must not kill the reader (every case would then time out).
        why = " (nested too deeply)" if isinstance(exc, RecursionError) else ""
        return None, text, f"the process wrote a line that is not JSON{why}: {excerpt(text)}"
    return message, text, None


def case_answer(message: object) -> tuple[str, dict[str, object]] | None:
    """``(id, message)`` if ``message`` is a decision or an error for a case, else ``None``."""
    if (
        not isinstance(message, dict)
        or not isinstance(message.get("id"), str)
        or message.get("type") not in ("decision", "error")
    ):
        return None
    return message["id"], message


class LineSplitter:
    """Cuts a byte stream into lines, dropping (and reporting) any longer than ``max_line`` bytes.

    An oversized line is skipped up to its end without being held in memory.
    """

    def __init__(self, max_line: int) -> None:
        self._max_line = max_line
        self._buffer = bytearray()
        self._skipping = False  # inside an oversized line, dropping bytes up to its end

    def feed(self, chunk: bytes) -> Iterator[bytes | None]:
        """Each line ``chunk`` completes, in order; ``None`` where an oversized line was dropped."""
        pieces = chunk.split(b"\n")
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            if self._skipping:
                self._skipping = last
                continue
            if len(self._buffer) + len(piece) > self._max_line:
                self._buffer.clear()
                self._skipping = last
                yield None
                continue
            self._buffer += piece
            if not last:
                complete = bytes(self._buffer)
                self._buffer.clear()
                yield complete

    def end(self) -> bytes | None:
        """The unterminated last line at end of file, if there is one."""
        if self._buffer and not self._skipping:
            return bytes(self._buffer)
        return None


class StderrTail:
    """The last lines a process wrote on stderr, bounded in lines and length."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=_STDERR_KEEP)
        self._partial = bytearray()

    def feed(self, chunk: bytes) -> None:
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            self._partial += piece
            self._push(bytes(self._partial))
            self._partial.clear()
        self._partial += rest
        if len(self._partial) > 4 * _STDERR_LINE_CHARS:
            self._push(bytes(self._partial))
            self._partial.clear()

    def flush(self) -> None:
        if self._partial:
            self._push(bytes(self._partial))
            self._partial.clear()

    def _push(self, raw: bytes) -> None:
        from .._secrets import redact

        text = redact(raw.decode("utf-8", errors="replace").rstrip())
        if text:
            if len(text) > _STDERR_LINE_CHARS:
                text = text[:_STDERR_LINE_CHARS] + "..."
            self.lines.append(text)

    def render(self) -> str:
        """``; stderr: a | b`` with the last few lines, or a note that there were none."""
        if not self.lines:
            return "; nothing on stderr"
        shown = list(self.lines)[-_STDERR_SHOW:]
        return "; stderr (last lines): " + " | ".join(shown)
