"""One example's dealings with the implementation: the requests it sends and the simulated patient.

The follow-up conversation itself is :func:`calfspec._internal.session.converse`,
the one the runner uses; only the source of the patient's answers differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._internal.adapters import Implementation
from .._internal.guideline import GuidelineIndex
from .._internal.judge import validate_decision
from .._internal.models.results import Exchange
from .._internal.models.triage import FindingState, Presentation, Side, TriageDecision, TriageRequest
from .._internal.session import Conversation, ask, converse

__all__ = ["Case", "Session"]


@dataclass(frozen=True)
class Case:
    """What one example sends: one request, or two whose answers an invariant relates."""

    requests: tuple[TriageRequest, ...]
    relation: str = ""
    """How the second request was made from the first, in words (empty for single requests)."""


class Session:
    """One example's dealings with the implementation: calls, follow-up rounds, the patient's answers.

    The simulated patient answers a question about a fact the request left
    unknown (a finding, ``side`` or ``pregnant``) with a value drawn by
    ``draw_answer(question, request)``; the fuzzer draws it from
    :func:`calfspec.strategies.patient_answers`. An answer is drawn once per
    example and reused, so both sides of a relation hear the same patient.
    """

    def __init__(
        self,
        impl: Implementation,
        guideline: GuidelineIndex,
        *,
        timeout: float,
        max_rounds: int,
        draw_answer: Callable[[str, Presentation], FindingState | Side],
    ) -> None:
        self.impl = impl
        self.guideline = guideline
        self.timeout = timeout
        self.max_rounds = max_rounds
        self._draw_answer = draw_answer
        self.answers: dict[str, FindingState | Side] = {}
        self.conversations: list[Conversation] = []

    def answer(self, question: str, request: Presentation) -> FindingState | Side:
        """The patient's answer to ``question`` (drawn on first asking, the same ever after)."""
        if question not in self.answers:
            self.answers[question] = self._draw_answer(question, request)
        return self.answers[question]

    async def _decide(self, request: TriageRequest) -> tuple[TriageDecision, str | None]:
        decision, raw = await ask(self.impl, request, self.timeout)
        validate_decision(decision, self.guideline)
        return decision, raw

    async def decide(self, request: TriageRequest) -> TriageDecision:
        """One call, no follow-up rounds."""
        decision, raw = await self._decide(request)
        self.conversations.append(Conversation((Exchange(request=request, decision=decision, raw_reply=raw),)))
        return decision

    async def converse(self, request: TriageRequest) -> Conversation:
        """Ask, answer the questions the system asks about unknown facts, ask again.

        The conversation loop is :func:`calfspec._internal.session.converse`, the one the
        runner uses; the patient's answers are drawn. A conversation that ends
        without a final decision (a failing round, or still asking after
        ``max_rounds`` follow-ups) raises its :class:`ImplementationError`.
        """
        conversation = await converse(
            self.impl,
            request,
            self.guideline,
            timeout=self.timeout,
            max_rounds=self.max_rounds,
            answer=lambda question: self.answer(question, request),
        )
        if conversation.error is not None:
            raise conversation.error
        self.conversations.append(conversation)
        return conversation
