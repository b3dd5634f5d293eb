"""The ``cmd:`` adapter: one long-running subprocess speaking JSON lines.

``cmd:COMMAND`` is split like a shell would split it (:func:`shlex.split`) but
run without a shell. One process serves many cases; it is restarted when it
dies. Protocol version 1, one JSON object per line on stdin and stdout::

    calfspec -> {"type": "hello", "protocol_version": "1.1", "calfspec_version": "0.1.0"}
    impl     -> {"type": "hello", "protocol_version": "1.1", "name": "...", "version": "..."}
    calfspec -> {"type": "triage", "id": "1", "request": {...}}
    impl     -> {"type": "decision", "id": "1", "decision": {...}}
             or {"type": "error", "id": "1", "message": "..."}
    calfspec -> {"type": "bye"}          (then stdin is closed)

Each id is answered once: a second answer for an id is a protocol error for that case
(reported by :meth:`CommandImplementation.protocol_violations`, since the first may be
judged already), and an answer for an id never sent fails the cases waiting at once.
The child inherits calfspec's environment without its secret ``CALFSPEC_*`` variables,
unless they are named in ``pass_env`` (:func:`child_environment`).

Requests are *multiplexed*: calfspec may send several before the first answer,
and answers may come in any order, matched by ``id``. An implementation that
reads a line, answers it and reads the next is correct; it just serves one
case at a time.

Containment, so that a misbehaving process costs only the cases it touches:

* the process runs in its own session (process group); stopping it signals the
  whole group, so grandchildren die too;
* stderr is drained all the time into a bounded buffer; its last lines are
  quoted in error messages, and chatter on it never blocks or fails anything;
* a line longer than ``max_line_bytes`` on stdout is an "oversized output"
  error, and is skipped without being held in memory;
* a line that is not JSON, or cannot be matched to a case, fails the cases
  waiting at that moment (it cannot be told which one it belonged to);
* a crash fails the cases in flight, naming the exit status and stderr tail;
  the next case starts a new process;
* a case with no answer within its timeout kills the process (it may be stuck),
  which also fails the other cases in flight; the next case starts a new one;
* after ``max_failed_starts`` processes in a row end without answering a single
  case, the adapter gives up: every later case fails at once with the last
  cause, instead of spinning. A protocol major version mismatch gives up at once.

On :meth:`CommandImplementation.close` calfspec sends ``bye``, closes stdin,
waits briefly, then sends SIGTERM and finally SIGKILL to the process group.

This module owns the process group and the cases in flight; the framing of
what crosses the pipes (lines, messages, the hello check, the stderr tail) is
in :mod:`._jsonl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shlex
import shutil
import signal
from collections.abc import Mapping, Sequence

from ..errors import ImplementationError, SpecError
from ..models.triage import TriageRequest
from ._decode import decision_from_data, describe_exit, excerpt
from ._jsonl import (
    BYE_LINE,
    READ_CHUNK,
    LineSplitter,
    StderrTail,
    case_answer,
    check_hello,
    decode_line,
    hello_line,
    triage_line,
)
from .base import Reply

__all__ = ["CommandImplementation", "child_environment", "is_secret_variable", "parse_command"]

MAX_LINE_BYTES = 1 << 20
"""Longest accepted line on the implementation's stdout (1 MiB)."""

MAX_FAILED_STARTS = 3
"""Processes in a row that may end without serving a case before the adapter gives up."""

BYE_GRACE = 1.0
"""Seconds a process has to exit by itself after ``bye``."""

TERM_GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL."""

_CaseAnswer = tuple[dict[str, object], str]


_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")


def is_secret_variable(name: str) -> bool:
    """Whether ``name`` is a ``CALFSPEC_*`` variable that holds a secret (``CALFSPEC_OPENAI_API_KEY``)."""
    upper = name.upper()
    return upper.startswith("CALFSPEC_") and any(word in upper for word in _SECRET_WORDS)


def child_environment(environ: Mapping[str, str], pass_env: Sequence[str] = ()) -> dict[str, str]:
    """The environment of a ``cmd:`` child: calfspec's own, without its secrets unless named in ``pass_env``.

    A child that echoes its environment (in an error message, or on stderr that
    a crash message quotes) would otherwise put calfspec's API key into every
    report. ``calfspec run --pass-env NAME`` hands one on deliberately.
    """
    allowed = set(pass_env)
    return {k: v for k, v in environ.items() if k in allowed or not is_secret_variable(k)}


def parse_command(text: str, spec: str) -> list[str]:
    """Split the part after ``cmd:`` into argv; check the program exists."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise SpecError(
            f"cannot split the command in {spec!r}: {exc}",
            hint="quote the command like a shell would, e.g. cmd:'node examples/js/triage.mjs'",
        ) from None
    if not argv:
        raise SpecError("the cmd: spec has no command", hint="e.g. cmd:node examples/js/triage.mjs")
    if shutil.which(argv[0]) is None:
        raise SpecError(
            f"command not found: {argv[0]!r}",
            hint="give a program on PATH or a path to an executable file",
        )
    return argv


class _Child:
    """One incarnation of the implementation's process."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        loop = asyncio.get_running_loop()
        self.proc = proc
        self.pid = proc.pid
        self.hello: asyncio.Future[object] = loop.create_future()
        self.pending: dict[str, asyncio.Future[_CaseAnswer]] = {}
        self.sent: dict[str, str] = {}
        """Protocol id -> the request's case_id, for every case sent to this process."""
        self.answered: set[str] = set()
        """Protocol ids that got an answer: a second one for the same id is a protocol error."""
        self.stderr = StderrTail()
        self.ready = False
        self.served = 0
        self.ended: str | None = None
        self.gone = asyncio.Event()
        self.write_lock = asyncio.Lock()
        self.tasks: list[asyncio.Task[None]] = []

    def fail_waiting(self, message: str, code: str) -> None:
        """Fail the handshake (if still open) and every case waiting for an answer."""
        waiting: list[asyncio.Future[object]] = [self.hello]
        waiting.extend(self.pending.values())  # type: ignore[arg-type]
        for fut in waiting:
            if not fut.done():
                fut.set_exception(ImplementationError(message, code=code))
                # Retrieved or not, it is reported through the case, not the loop.
                fut.exception()


class CommandImplementation:
    """Drives a JSON-lines implementation in a subprocess (see the module docstring)."""

    def __init__(
        self,
        argv: list[str],
        name: str,
        *,
        max_failed_starts: int = MAX_FAILED_STARTS,
        max_line_bytes: int = MAX_LINE_BYTES,
        pass_env: Sequence[str] = (),
    ) -> None:
        self._argv = list(argv)
        self._env = child_environment(os.environ, pass_env)
        from .._secrets import register_secret

        for key, value in os.environ.items():
            # Passed on or not, such a value never reaches a report (a child may echo it).
            if is_secret_variable(key):
                register_secret(value)
        self._name = name
        self._max_failed_starts = max_failed_starts
        self._max_line = max_line_bytes
        self._child: _Child | None = None
        self._children: list[_Child] = []
        self._failed_starts = 0
        self._gave_up: str | None = None
        self._closed = False
        self._start_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._reapers: set[asyncio.Task[None]] = set()
        self._violations: dict[str, str] = {}
        self.peer: dict[str, str] = {}
        """``name`` and ``version`` the implementation announced in its hello."""

    @property
    def name(self) -> str:
        """The spec as given."""
        return self._name

    @property
    def pid(self) -> int | None:
        """Process id of the current process, if one is running."""
        child = self._child
        return child.pid if child is not None and child.ended is None else None

    @property
    def spawned_pids(self) -> tuple[int, ...]:
        """Every process id this adapter started, oldest first (for containment checks)."""
        return tuple(child.pid for child in self._children)

    def protocol_violations(self) -> dict[str, str]:
        """Cases (by the request's ``case_id``) whose answer was contradicted later, with the cause.

        A second answer for an id that was already answered cannot be undone
        when it arrives: the first may already be judged. The runner reads this
        after closing the adapter and turns each case named here into an error.
        """
        return dict(self._violations)

    async def start(self) -> None:
        """Start the process and send the hello; failures surface in the first cases."""
        async with self._start_lock:
            if self._child is None and self._gave_up is None:
                with contextlib.suppress(ImplementationError):
                    await self._spawn()

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """Send one case and wait for its answer (see the module docstring for failures)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        child = await self._ready(deadline, timeout)
        case = str(next(self._ids))
        answer: asyncio.Future[_CaseAnswer] = loop.create_future()
        child.pending[case] = answer
        child.sent[case] = request.case_id or case
        message = triage_line(case, request)
        try:
            async with asyncio.timeout_at(deadline) as scope:
                await self._send(child, message)
                reply, raw = await answer
        except TimeoutError:
            if not scope.expired():
                raise
            self._retire(
                child,
                f"was killed because case {request.case_id or case} got no answer within {timeout:g} s",
            )
            raise ImplementationError(
                f"no answer within {timeout:g} s; the process was killed and is restarted "
                f"for the next case{child.stderr.render()}",
                code="implementation-timeout",
            ) from None
        finally:
            child.pending.pop(case, None)
        # A well-formed answer, even an error report, shows the process is alive and
        # speaking the protocol, so the run of failed starts is over.
        child.served += 1
        self._failed_starts = 0
        if reply.get("type") == "error":
            reported = reply.get("message")
            text = reported if isinstance(reported, str) else json.dumps(reported)
            error = ImplementationError(
                f"the implementation reported an error: {excerpt(text, 500)}",
                code="implementation-reported-error",
            )
            error.raw = raw
            raise error
        try:
            return Reply(decision_from_data(reply.get("decision")), raw=raw)
        except ImplementationError as exc:
            exc.raw = raw
            raise

    async def close(self) -> None:
        """Say bye, then stop the process group; afterwards no process of ours is left."""
        self._closed = True
        child = self._child
        if child is not None and child.ended is None:
            await self._stop(child)
        while self._reapers:
            await asyncio.gather(*list(self._reapers), return_exceptions=True)

    # -- process lifecycle -------------------------------------------------------

    async def _ready(self, deadline: float, timeout: float) -> _Child:
        """The current process, started and past the handshake, or an error."""
        child = self._child
        if child is not None and child.ready and child.ended is None:
            return child
        in_handshake: _Child | None = None
        try:
            async with asyncio.timeout_at(deadline):
                async with self._start_lock:
                    if self._gave_up is not None:
                        raise ImplementationError(self._gave_up, code="implementation-gave-up")
                    if self._closed:
                        raise ImplementationError("the adapter was closed", code="implementation-closed")
                    child = self._child
                    if child is None or child.ended is not None:
                        child = await self._spawn()
                    if not child.ready:
                        in_handshake = child
                        await self._handshake(child)
                    return child
        except TimeoutError:
            if in_handshake is not None:
                self._retire(in_handshake, f"did not answer the hello within {timeout:g} s")
                raise ImplementationError(
                    f"no answer within {timeout:g} s: the process did not answer the hello"
                    f"{in_handshake.stderr.render()}",
                    code="implementation-timeout",
                ) from None
            raise ImplementationError(
                f"no answer within {timeout:g} s: the process was still being started for another case",
                code="implementation-timeout",
            ) from None

    async def _spawn(self) -> _Child:
        """Start a new process, its readers, and send the hello."""
        creating = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
                start_new_session=True,
            )
        )
        try:
            proc = await asyncio.shield(creating)
        except OSError as exc:
            self._count_failed_start(f"could not be started: {exc}")
            raise ImplementationError(
                f"could not start {self._argv[0]!r}: {exc}", code="implementation-crashed"
            ) from None
        except asyncio.CancelledError:
            # Cancelled while the process was being created: make sure it dies.
            creating.add_done_callback(_kill_created)
            raise
        child = _Child(proc)
        self._child = child
        self._children.append(child)
        child.tasks = [
            asyncio.create_task(self._read_stdout(child)),
            asyncio.create_task(self._read_stderr(child)),
        ]
        # A process that dies at once is reported by the handshake, with its status.
        with contextlib.suppress(ImplementationError):
            await self._send(child, hello_line())
        return child

    async def _handshake(self, child: _Child) -> None:
        try:
            answer = await asyncio.shield(child.hello)
        except ImplementationError as exc:
            self._retire(child, "was stopped because it failed the hello")
            raise ImplementationError(exc.message, code=exc.code) from None
        problem = check_hello(answer)
        if problem is not None:
            permanent, text = problem
            self._retire(child, f"gave a bad hello: {text}")
            if permanent:
                self._gave_up = text
            raise ImplementationError(text + child.stderr.render(), code="protocol-error")
        assert isinstance(answer, dict)
        self.peer = {key: str(answer[key]) for key in ("name", "version") if isinstance(answer.get(key), str)}
        child.ready = True

    def _count_failed_start(self, cause: str) -> None:
        self._failed_starts += 1
        if self._failed_starts >= self._max_failed_starts and self._gave_up is None:
            self._gave_up = (
                f"gave up after {self._failed_starts} processes in a row ended without "
                f"answering a case; the last one {cause}"
            )

    def _retire(self, child: _Child, cause: str) -> None:
        """Mark ``child`` gone (once), fail its waiting cases and kill its process group.

        ``cause`` completes the sentence "the process ...".
        """
        if child.ended is not None:
            return
        child.stderr.flush()
        child.ended = cause
        if child.served == 0:
            self._count_failed_start(f"{cause}{child.stderr.render()}")
        child.fail_waiting(f"the process {cause}{child.stderr.render()}", "implementation-crashed")
        _kill_group(child.pid, signal.SIGKILL)
        if self._child is child:
            self._child = None
        child.gone.set()
        reaper = asyncio.ensure_future(self._reap(child))
        self._reapers.add(reaper)
        reaper.add_done_callback(self._reapers.discard)

    async def _reap(self, child: _Child) -> None:
        """Wait for the process and its reader tasks, so nothing is left running."""
        try:
            await asyncio.wait_for(child.proc.wait(), 5.0)
        except TimeoutError:  # pragma: no cover - SIGKILL does not fail on Linux
            _kill_group(child.pid, signal.SIGKILL)
            await child.proc.wait()
        # The subprocess transport only finishes once every pipe is closed: close
        # stdin, and let the readers reach end of file (the group is dead, so they do).
        stdin = child.proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        _, late = await asyncio.wait(child.tasks, timeout=5.0)
        for task in late:  # pragma: no cover - a pipe held open by an unkillable process
            task.cancel()
        await asyncio.gather(*child.tasks, return_exceptions=True)

    async def _stop(self, child: _Child) -> None:
        """The polite ending: bye, close stdin, then TERM, then KILL the group."""
        proc = child.proc
        try:
            with contextlib.suppress(ImplementationError, OSError, TimeoutError):
                async with asyncio.timeout(BYE_GRACE):
                    await self._send(child, BYE_LINE)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), BYE_GRACE)
            except TimeoutError:
                _kill_group(child.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), TERM_GRACE)
                except TimeoutError:
                    _kill_group(child.pid, signal.SIGKILL)
        finally:
            # Also reached when close() is cancelled: the group is killed either way,
            # including grandchildren that outlived a politely exiting leader.
            self._retire(child, "was stopped at the end of the run")

    async def _send(self, child: _Child, line: str) -> None:
        stdin = child.proc.stdin
        assert stdin is not None
        async with child.write_lock:
            if child.ended is not None:
                raise ImplementationError(
                    f"the process {child.ended}{child.stderr.render()}",
                    code="implementation-crashed",
                )
            try:
                stdin.write(line.encode() + b"\n")
                await stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                # It died; give the stdout reader a moment to learn the exit status.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(child.gone.wait(), 2.0)
                cause = child.ended or "closed its standard input"
                raise ImplementationError(
                    f"the process {cause}{child.stderr.render()}", code="implementation-crashed"
                ) from None

    # -- reading -----------------------------------------------------------------

    async def _read_stderr(self, child: _Child) -> None:
        stream = child.proc.stderr
        assert stream is not None
        while chunk := await stream.read(READ_CHUNK):
            child.stderr.feed(chunk)
        child.stderr.flush()

    async def _read_stdout(self, child: _Child) -> None:
        stream = child.proc.stdout
        assert stream is not None
        splitter = LineSplitter(self._max_line)
        while chunk := await stream.read(READ_CHUNK):
            for raw in splitter.feed(chunk):
                if raw is None:
                    self._on_oversized(child)
                else:
                    self._on_line(child, raw)
        if (rest := splitter.end()) is not None:
            self._on_line(child, rest)
        # stdout is closed: the process is ending (or closed stdout, which is as bad).
        try:
            returncode: int | None = await asyncio.wait_for(child.proc.wait(), 2.0)
        except TimeoutError:
            returncode = None
        how = describe_exit(returncode) if returncode is not None else "closed its stdout"
        # Let the stderr reader catch up, so the error quotes the last words.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(child.tasks[1]), 0.5)
        stage = "" if child.ready else " before answering the hello"
        self._retire(child, how + stage)

    def _on_oversized(self, child: _Child) -> None:
        child.fail_waiting(
            f"oversized output: a line longer than {self._max_line} bytes on stdout",
            "oversized-output",
        )

    def _on_line(self, child: _Child, raw: bytes) -> None:
        if not raw.strip():
            return
        message, text, problem = decode_line(raw)
        if problem is not None:
            child.fail_waiting(problem, "invalid-json")
            return
        if not child.hello.done():
            child.hello.set_result(message)
            return
        answered = case_answer(message)
        if answered is None:
            child.fail_waiting(
                "the process wrote a message that is not a decision or an error for a case: " + excerpt(text),
                "protocol-error",
            )
            return
        ident, reply = answered
        if ident not in child.sent:
            # Never sent: it cannot be told which case it was meant for, so it fails the
            # cases waiting now, at once, rather than leaving them to time out.
            child.fail_waiting(
                f"protocol error: the process answered id {ident!r}, which calfspec never sent: {excerpt(text)}",
                "protocol-error",
            )
            return
        if ident in child.answered:
            # A second answer for one case: the first may be judged already; the runner
            # turns the case into an error from protocol_violations() after the run.
            self._violations[child.sent[ident]] = (
                f"protocol error: the process answered the case twice (id {ident!r}); the later answer "
                f"contradicts the one judged: {excerpt(text)}"
            )
            return
        child.answered.add(ident)
        answer = child.pending.get(ident)
        # No waiter: the case already ended (failed by garbage, timed out or cancelled); drop it.
        if answer is not None and not answer.done():
            answer.set_result((reply, text))


def _kill_group(pid: int, sig: signal.Signals) -> None:
    """Signal the whole process group led by ``pid``; gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _kill_created(task: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if not task.cancelled() and task.exception() is None:
        _kill_group(task.result().pid, signal.SIGKILL)
