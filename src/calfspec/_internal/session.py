"""One owner for an implementation's lifecycle and for the conversation with it.

``calfspec run``, ``calfspec fuzz``, the pytest plugin and the benchmark all
start, converse with and close an implementation through this module, so the
containment rules hold the same everywhere:

* :func:`started` is an async context manager: a ``start()`` that raises
  anything (``SystemExit`` and ``KeyboardInterrupt`` from the implementation
  included) becomes an :class:`~calfspec._internal.errors.ImplementationError` with code
  ``implementation-start-failed``, never a traceback; ``close()`` always runs,
  shielded from cancellation, also after Ctrl-C;
* :class:`ImplementationLoop` is the one sync wrapper: one event loop, one
  started implementation, :meth:`ImplementationLoop.run` for each call, and a
  close that cancels what is left before closing the implementation;
* :func:`ask` is one contained call; :func:`converse` is the multi-round
  question loop. A decision that carries ``questions`` the harness has not
  answered yet is provisional: each is answered (the runner answers from the
  scenario's ``reveal_on_ask``, "not sure" for what the scenario does not know;
  the fuzzer's simulated patient draws an answer) and the system is asked
  again. When the rounds run out and the system still asks something new, the
  conversation ends in an error, ``no final decision after N rounds``: a
  provisional answer is never judged as if it were final.

Every round is kept as it happened: its own request, its own decision (none
when the round failed) and its own raw reply text.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from time import perf_counter
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, TypeVar

from .errors import CalfspecError, ImplementationError
from .models.results import Exchange
from .models.triage import FindingState, Presentation, Side, TriageDecision, TriageRequest
from .words import state_word

if TYPE_CHECKING:
    from .adapters.base import Implementation
    from .guideline import GuidelineIndex

__all__ = [
    "Conversation",
    "ImplementationLoop",
    "answer_request",
    "ask",
    "askable",
    "converse",
    "interrupted",
    "note_sigint",
    "started",
    "stdout_to_stderr",
]

_GRACE_S = 2.0
"""Backstop beyond the adapter's own timeout before a call is cancelled."""

_T = TypeVar("_T")

AnswerSource = Callable[[str], FindingState | Side]
"""Answers one question (a finding id, ``side`` or ``pregnant``) the system asked."""


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send ``print()`` output of in-process code to stderr while the block runs.

    An in-process implementation that prints would otherwise corrupt a machine
    report written to stdout (``--report json:-``). Only ``sys.stdout`` is
    swapped; calfspec writes its stdout reports after the block.
    """
    previous = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = previous


_sigint_seen = False
"""Set by :func:`note_sigint` when a real Ctrl-C (SIGINT) arrives."""


@contextlib.contextmanager
def note_sigint() -> Iterator[None]:
    """While the block runs, remember a real SIGINT before the current handler acts on it.

    Then a ``KeyboardInterrupt`` met inside a call can be told apart: the user's
    Ctrl-C stops the run; one the implementation raised itself is its error on
    that case. Outside the main thread this does nothing.
    """
    import signal
    import threading

    global _sigint_seen
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def noted(signum: int, frame: FrameType | None) -> None:
        global _sigint_seen
        if not _sigint_seen:
            # An in-process call that never returns cannot be cancelled; say how to stop anyway.
            print("interrupted: stopping (press Ctrl-C again to stop at once)", file=sys.stderr, flush=True)
        else:
            _quiet_forced_stop()
        _sigint_seen = True
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    _sigint_seen = False
    signal.signal(signal.SIGINT, noted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet_forced_stop() -> None:
    """The second Ctrl-C: stop at once, without asyncio's teardown complaints.

    The event loop is torn down with tasks and subprocess transports still in
    flight (the user asked for it), and asyncio reports each of them ("Task was
    destroyed but it is pending", "Exception ignored in ... __del__", "Loop ...
    is closed"). The process is about to exit with status 2 and its reports are
    marked incomplete, so those messages say nothing the user needs; children
    are still killed by the adapters' process-group handling.
    """
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
    sys.unraisablehook = lambda _unraisable: None


def interrupted() -> bool:
    """Whether the user pressed Ctrl-C while :func:`note_sigint` was watching."""
    return _sigint_seen


def _contained(what: str, exc: BaseException) -> ImplementationError:
    return ImplementationError(f"{what}: {type(exc).__name__}: {exc}", code="implementation-start-failed")


@contextlib.asynccontextmanager
async def started(impl: Implementation) -> AsyncIterator[Implementation]:
    """Start ``impl``, yield it, and always close it.

    Anything ``start()`` raises is an :class:`ImplementationError` (code
    ``implementation-start-failed``) after ``impl`` was closed; the caller
    decides what that costs (every case an error, exit 1). ``close()`` runs
    shielded, so a Ctrl-C during the run still leaves no process behind.
    """
    try:
        await impl.start()
    except asyncio.CancelledError:
        await asyncio.shield(_close_quietly(impl))
        raise
    except ImplementationError as exc:
        await asyncio.shield(_close_quietly(impl))
        raise ImplementationError(
            f"implementation failed to start: {exc.message}", code="implementation-start-failed", hint=exc.hint
        ) from exc
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        # SystemExit and KeyboardInterrupt too: an implementation calling sys.exit(0) in
        # start() must not end calfspec with status 0 and no report.
        await asyncio.shield(_close_quietly(impl))
        raise _contained("implementation failed to start", exc) from exc
    try:
        yield impl
    finally:
        await asyncio.shield(_close_quietly(impl))


async def _close_quietly(impl: Implementation) -> None:
    """Close ``impl``; what a broken ``close()`` raises must not hide the run's outcome."""
    with contextlib.suppress(Exception, SystemExit, KeyboardInterrupt):
        await impl.close()


async def ask(impl: Implementation, request: TriageRequest, timeout: float) -> tuple[TriageDecision, str | None]:
    """One call, contained: anything but a decision in time is an :class:`ImplementationError`."""
    try:
        # A timeout scope, not wait_for: no extra task per call, and a TimeoutError the
        # implementation raises itself is not mistaken for the backstop firing.
        async with asyncio.timeout(timeout + _GRACE_S) as scope:
            reply = await impl.triage(request, timeout)
    except TimeoutError as exc:
        if not scope.expired():
            raise ImplementationError(
                f"implementation raised TimeoutError: {exc}", code="implementation-raised"
            ) from exc
        raise ImplementationError(
            f"no answer within the {timeout:g} s timeout", code="implementation-timeout"
        ) from None
    except CalfspecError:
        raise
    except KeyboardInterrupt as exc:
        if _sigint_seen:
            # The user's Ctrl-C landed inside an in-process call that never yields. Stop the
            # run as a cancellation, the way asyncio stops it everywhere else: a
            # KeyboardInterrupt escaping a task would end in "Task exception was never
            # retrieved" noise instead of the clean interrupt (exit 2, reports written).
            raise asyncio.CancelledError from None
        raise ImplementationError(
            f"implementation raised KeyboardInterrupt: {exc}", code="implementation-raised"
        ) from exc
    except (Exception, SystemExit) as exc:
        # SystemExit and KeyboardInterrupt raised *by the implementation* are its failure on
        # this case: sys.exit(0) must not end calfspec with status 0, and a stray
        # KeyboardInterrupt must not abort the whole run.
        raise ImplementationError(
            f"implementation raised {type(exc).__name__}: {exc}", code="implementation-raised"
        ) from exc
    return reply.decision, reply.raw


def askable(question: str, request: Presentation, guideline: GuidelineIndex) -> bool:
    """Whether ``question`` asks for a fact ``request`` leaves unknown (a finding, ``side`` or ``pregnant``)."""
    if question == "side":
        return request.side is Side.UNKNOWN
    if question == "pregnant":
        return request.pregnant is FindingState.UNKNOWN
    return question in guideline.findings and request.state(question) is FindingState.UNKNOWN


def answer_request(
    request: TriageRequest,
    answered: Mapping[str, FindingState | Side],
    guideline: GuidelineIndex | None = None,
) -> TriageRequest:
    """The next round's request: the answered facts filled in, and, for systems that read
    text, the answers appended to the narrative in plain words."""
    if not answered:
        return request
    from .scenarios import with_answers

    filled = with_answers(request, answered)
    narrative = request.narrative
    if narrative is not None:
        label = guideline.label if guideline else None
        words = [
            f"{label(key) if label else key}: "
            + (state_word(value, "patient") if isinstance(value, FindingState) else value.value)
            for key, value in answered.items()
        ]
        narrative = f"{narrative}\n\nAnswers to your questions: " + "; ".join(words) + "."
    return filled.model_copy(update={"narrative": narrative})


@dataclass(frozen=True)
class Conversation:
    """One request and the rounds it took, each kept as it happened.

    ``error`` is set when the conversation ended without a final decision: a
    round failed (its exchange has no decision, and the raw reply of *that*
    round), or the rounds ran out while the system still asked new questions.
    """

    exchanges: tuple[Exchange, ...]
    error: ImplementationError | None = None

    @property
    def request(self) -> TriageRequest:
        """The first request."""
        return self.exchanges[0].request

    @property
    def final_request(self) -> TriageRequest:
        """The request the last round answered (with every answer so far)."""
        return self.exchanges[-1].request

    @property
    def decision(self) -> TriageDecision:
        """The final decision (only for a conversation that ended without an error)."""
        decision = self.exchanges[-1].decision
        assert decision is not None and self.error is None, "the conversation ended without a final decision"
        return decision

    @property
    def raw(self) -> str | None:
        """The raw text of the last reply."""
        return self.exchanges[-1].raw_reply

    @property
    def answers(self) -> dict[str, FindingState | Side]:
        """Every question the harness answered, with the answer (``unknown`` = "not sure")."""
        out: dict[str, FindingState | Side] = {}
        for exchange in self.exchanges:
            out.update({q: Side(v) if q == "side" else FindingState(v) for q, v in exchange.answered.items()})
        return out


@functools.cache
def _decision_checks() -> tuple[
    Callable[[TriageDecision, GuidelineIndex], None], Callable[[GuidelineIndex, TriageDecision], TriageDecision]
]:
    """:func:`~calfspec._internal.judge.validate_decision` and :func:`~calfspec._internal.policy.canonical_decision`.

    Imported on the first conversation, not with this module (they bring in the guideline
    machinery), and only once: import statements in :func:`converse` cost about as much per
    case as the checks themselves.
    """
    from .judge import validate_decision
    from .policy import canonical_decision

    return validate_decision, canonical_decision


async def converse(
    impl: Implementation,
    request: TriageRequest,
    guideline: GuidelineIndex,
    *,
    timeout: float,
    max_rounds: int,
    answer: AnswerSource,
) -> Conversation:
    """Ask; answer each new question about a fact the request leaves unknown; ask again.

    A question is *new* when the harness has not answered it yet and it asks
    for a fact the first request leaves unknown. The conversation ends with a
    final decision when a reply asks nothing new; when reply ``max_rounds + 1``
    still asks something new, it ends with the error ``no final decision after
    N rounds`` (code ``no-final-decision``). A failing round ends it with that
    round's error. Never raises :class:`ImplementationError`.
    """
    validate_decision, canonical_decision = _decision_checks()
    exchanges: list[Exchange] = []
    answered: dict[str, FindingState | Side] = {}
    current = request
    for round_no in range(max_rounds + 1):
        t0 = perf_counter()
        decision: TriageDecision | None = None
        raw: str | None = None
        try:
            decision, raw = await ask(impl, current, timeout)
            validate_decision(decision, guideline)
            # Deprecated ids (a 1.0 implementation asking about `pop_or_snap`) read as their
            # replacements, so the questions are answered and the decision judged in 1.1 terms.
            decision = canonical_decision(guideline, decision)
        except ImplementationError as exc:
            exchanges.append(
                Exchange(
                    request=current,
                    decision=decision,
                    raw_reply=raw if raw is not None else exc.raw,
                    elapsed_ms=(perf_counter() - t0) * 1000,
                )
            )
            return Conversation(tuple(exchanges), exc)
        new = [q for q in dict.fromkeys(decision.questions) if q not in answered and askable(q, request, guideline)]
        if new and round_no == max_rounds:
            exchanges.append(
                Exchange(request=current, decision=decision, raw_reply=raw, elapsed_ms=(perf_counter() - t0) * 1000)
            )
            rounds = f"{max_rounds + 1} round{'s' if max_rounds else ''}"
            error = ImplementationError(
                f"no final decision after {rounds}: the system still asks about {', '.join(new)}",
                code="no-final-decision",
                hint="raise --max-rounds, or answer with a decision that asks nothing new",
            )
            return Conversation(tuple(exchanges), error)
        replies = {q: answer(q) for q in new}
        exchanges.append(
            Exchange(
                request=current,
                decision=decision,
                raw_reply=raw,
                answered={k: v.value for k, v in replies.items()},
                elapsed_ms=(perf_counter() - t0) * 1000,
            )
        )
        if not new:
            break
        answered.update(replies)
        current = answer_request(request, answered, guideline)
    return Conversation(tuple(exchanges))


class ImplementationLoop:
    """The one sync wrapper: an event loop of its own with one started implementation.

    ``with ImplementationLoop(impl) as loop: loop.run(coro)``. Entering starts
    the implementation (a failure is an :class:`ImplementationError`, with the
    loop already closed); leaving cancels any call still running, closes the
    implementation and then the loop, also after Ctrl-C. The fuzzer, the pytest
    plugin and the benchmark drive implementations through it, so one started
    instance can serve both scenarios and invariants.
    """

    def __init__(self, impl: Implementation) -> None:
        self.impl = impl
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    @property
    def running(self) -> bool:
        """True between a successful start and the close."""
        return self._loop is not None

    def __enter__(self) -> ImplementationLoop:
        loop = asyncio.new_event_loop()
        stack = contextlib.AsyncExitStack()
        try:
            loop.run_until_complete(stack.enter_async_context(started(self.impl)))
        except BaseException:
            _finish(loop)
            raise
        self._loop, self._stack = loop, stack
        return self

    def run(self, coro: Coroutine[object, object, _T]) -> _T:
        """Run ``coro`` on the loop to its end."""
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("the implementation is not started (use ImplementationLoop as a context manager)")
        with note_sigint():
            try:
                return loop.run_until_complete(coro)
            except asyncio.CancelledError:
                if _sigint_seen:
                    raise KeyboardInterrupt from None  # see ask(): the user's Ctrl-C
                raise

    def close(self) -> None:
        """Cancel what is left, close the implementation, then the loop; safe to call twice."""
        loop, stack = self._loop, self._stack
        self._loop = self._stack = None
        if loop is None or stack is None:
            return
        try:
            _cancel_pending(loop)
            loop.run_until_complete(stack.aclose())
        finally:
            _finish(loop)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    # A Ctrl-C lands in the middle of a call: cancel it, and let it clean up, before the
    # implementation is closed.
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    try:
        _cancel_pending(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
