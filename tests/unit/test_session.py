"""calfspec._internal.session: one lifecycle (start contained, close always) and one conversation loop."""

from __future__ import annotations

import asyncio

import pytest

from calfspec._internal.adapters import Reply
from calfspec._internal.errors import ImplementationError
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.triage import FindingState, TriageDecision, TriageRequest
from calfspec._internal.session import ImplementationLoop, converse, started

GUIDELINE = load_guideline()


class Recorder:
    """An implementation whose start() may raise anything; records start and close."""

    def __init__(self, start_raises: BaseException | None = None, answers: list[TriageDecision] | None = None) -> None:
        self.start_raises = start_raises
        self.answers = list(answers or [])
        self.events: list[str] = []
        self.requests: list[TriageRequest] = []

    @property
    def name(self) -> str:
        return "recorder"

    async def start(self) -> None:
        self.events.append("start")
        if self.start_raises is not None:
            raise self.start_raises

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        self.requests.append(request)
        return Reply(
            self.answers.pop(0) if len(self.answers) > 1 else self.answers[0], raw=f"round {len(self.requests)}"
        )

    async def close(self) -> None:
        self.events.append("close")


@pytest.mark.parametrize(
    "raised", [ValueError("no config"), SystemExit(0), KeyboardInterrupt(), ImplementationError("x")]
)
def test_anything_start_raises_is_a_start_failure_and_the_implementation_is_closed(raised: BaseException) -> None:
    impl = Recorder(start_raises=raised)

    async def go() -> None:
        async with started(impl):
            raise AssertionError("the body must not run")

    with pytest.raises(ImplementationError) as info:
        asyncio.run(go())
    assert info.value.code == "implementation-start-failed"
    assert impl.events == ["start", "close"]


def test_the_sync_loop_starts_once_runs_calls_and_closes_on_exit() -> None:
    impl = Recorder(answers=[TriageDecision(urgency="routine")])
    request = TriageRequest(findings={"calf_swelling": "present"})
    with ImplementationLoop(impl) as loop:
        assert loop.running
        conversation = loop.run(
            converse(impl, request, GUIDELINE, timeout=5, max_rounds=3, answer=lambda _: FindingState.UNKNOWN)
        )
        assert conversation.error is None and conversation.decision.urgency.value == "routine"
    assert not loop.running
    assert impl.events == ["start", "close"]


def test_a_failing_start_leaves_the_sync_loop_closed() -> None:
    impl = Recorder(start_raises=OSError("port in use"))
    with pytest.raises(ImplementationError, match="port in use"):
        ImplementationLoop(impl).__enter__()
    assert impl.events == ["start", "close"]


def test_each_round_keeps_its_own_request_decision_and_raw_reply() -> None:
    from calfspec._internal.models.triage import FindingState

    asks = TriageDecision(urgency="urgent", pathways=("urgent-dvt-assessment",), questions=("chest_pain",))
    final = TriageDecision(urgency="emergency", pathways=("emergency-call-now",))
    impl = Recorder(answers=[asks, final])
    request = TriageRequest(findings={"calf_swelling": "present"})
    conversation = asyncio.run(
        converse(impl, request, GUIDELINE, timeout=5, max_rounds=3, answer=lambda q: FindingState.PRESENT)
    )
    first, second = conversation.exchanges
    assert (first.decision, first.raw_reply, first.answered) == (asks, "round 1", {"chest_pain": "present"})
    assert (second.decision, second.raw_reply) == (final, "round 2")
    assert first.request == request and second.request.state("chest_pain") is FindingState.PRESENT
    assert conversation.decision == final
