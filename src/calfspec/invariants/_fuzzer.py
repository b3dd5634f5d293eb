"""The search: each invariant as a seeded hypothesis test against one started implementation.

:class:`Fuzzer` owns the :class:`~calfspec._internal.session.ImplementationLoop`
(or borrows one), runs an invariant's cases, and turns the first failure,
shrunk, into a :class:`Violation`; :func:`check_invariant` is the one-call entry point.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from types import TracebackType

from hypothesis import strategies as st

from .._internal.adapters import Implementation, load_implementation
from .._internal.errors import ImplementationError, InputError
from .._internal.guideline import GuidelineIndex, load_guideline
from .._internal.models.triage import FindingState
from .._internal.session import Conversation, ImplementationLoop
from ..strategies import patient_answers
from ._consultation import Case, Session
from ._definitions import Invariant, ViolationKind
from ._derive import derive_invariants

__all__ = ["FuzzOptions", "Fuzzer", "InvariantReport", "Violation", "check_invariant"]


@dataclass(frozen=True)
class Violation:
    """The minimal case that breaks an invariant, and what the implementation did with it."""

    invariant: str
    kind: ViolationKind
    problems: tuple[str, ...]
    case: Case
    conversations: tuple[Conversation, ...]
    reproducible: bool = True
    """False when the shrunk case did not fail again on replay (a nondeterministic implementation)."""

    def present_findings(self) -> set[str]:
        """Finding ids present in any request of the case (the measure of how small it is)."""
        return {f for r in self.case.requests for f, s in r.findings.items() if s is FindingState.PRESENT}


@dataclass(frozen=True)
class InvariantReport:
    """The outcome of searching one invariant."""

    name: str
    description: str
    claims: tuple[str, ...]
    examples: int
    elapsed_s: float
    violation: Violation | None = None

    @property
    def passed(self) -> bool:
        """True when no example broke the invariant."""
        return self.violation is None


@dataclass(frozen=True)
class FuzzOptions:
    """How hard to search, and how to talk to the implementation."""

    examples: int = 100
    """Examples hypothesis generates per invariant (``max_examples``); shrinking adds more calls."""
    seed: int = 0
    timeout: float = 30.0
    max_rounds: int = 3


class _Found(Exception):
    """Raised inside the hypothesis test so hypothesis shrinks the case; carries the violation."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.invariant)
        self.violation = violation


def _derived_seed(seed: int, name: str) -> int:
    # One stream per invariant, stable across processes (hash() of a str is not).
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")


def _size(v: Violation) -> tuple[int, int, int]:
    return (
        len(v.present_findings()),
        sum(len(r.findings) for r in v.case.requests),
        sum(len(r.model_dump_json()) for r in v.case.requests),
    )


@dataclass
class Fuzzer:
    """Runs invariants against one implementation through an :class:`~calfspec._internal.session.ImplementationLoop`.

    Use as a context manager: the implementation is started once on entry and
    closed on exit, also on Ctrl-C; a ``start()`` that fails is an
    :class:`~calfspec._internal.errors.ImplementationError` (code
    ``implementation-start-failed``). Pass ``shared``, an already started
    loop, to search with an implementation someone else owns (the pytest
    plugin's, shared with its scenarios); the fuzzer then neither starts nor
    closes it. :meth:`check` is synchronous (hypothesis tests are).
    """

    impl: Implementation
    guideline: GuidelineIndex
    options: FuzzOptions = field(default_factory=FuzzOptions)
    shared: ImplementationLoop | None = None
    _loop: ImplementationLoop | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> Fuzzer:
        if self.shared is not None:
            self._loop = self.shared
        else:
            self._loop = ImplementationLoop(self.impl).__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and loop is not self.shared:
            loop.close()

    def check(self, invariant: Invariant) -> InvariantReport:
        """Search for a case breaking ``invariant``; shrink the first one found."""
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as seed_decorator
        from hypothesis.errors import Flaky

        loop = self._loop
        if loop is None:
            raise RuntimeError("use the Fuzzer as a context manager (`with Fuzzer(...) as fuzzer:`)")
        options = self.options
        found: list[Violation] = []
        calls = 0

        @seed_decorator(_derived_seed(options.seed, invariant.name))
        @settings(
            max_examples=options.examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )
        @given(case=invariant.cases(self.guideline), data=st.data())
        def search(case: Case, data: st.DataObject) -> None:
            nonlocal calls
            calls += 1
            session = Session(
                self.impl,
                self.guideline,
                timeout=options.timeout,
                max_rounds=options.max_rounds,
                draw_answer=lambda q, request: data.draw(patient_answers(q, request), label=f"answer to {q}"),
            )
            kind = invariant.violation_kind
            try:
                problems = loop.run(invariant.check(case, session))
            except ImplementationError as exc:
                kind, problems = ViolationKind.ERROR, [exc.message]
            if problems:
                violation = Violation(invariant.name, kind, tuple(problems), case, tuple(session.conversations))
                found.append(violation)
                raise _Found(violation)

        started = time.perf_counter()
        violation: Violation | None = None
        try:
            search()
        except _Found as exc:
            violation = exc.violation
        except Flaky:
            if not found:
                raise
            # The shrunk case passed on replay: the implementation is not deterministic.
            # Keep the smallest case that did fail, and say it may not reproduce.
            best = min(found, key=_size)
            violation = Violation(
                best.invariant, best.kind, best.problems, best.case, best.conversations, reproducible=False
            )
        return InvariantReport(
            name=invariant.name,
            description=invariant.description,
            claims=invariant.claims,
            examples=calls,
            elapsed_s=time.perf_counter() - started,
            violation=violation,
        )


def _resolve(impl: Implementation | str, guideline: GuidelineIndex) -> Implementation:
    return load_implementation(impl, guideline) if isinstance(impl, str) else impl


def check_invariant(
    name: str,
    impl: Implementation | str,
    *,
    examples: int = 100,
    seed: int = 0,
    guideline: GuidelineIndex | None = None,
    timeout: float = 30.0,
) -> InvariantReport:
    """Search one invariant (by name) against ``impl`` (an :class:`Implementation` or a spec string).

    Synchronous: call it from a plain (not ``async``) test. The implementation is
    started and closed around the search. Raises
    :class:`~calfspec._internal.errors.InputError` for an unknown invariant name.
    """
    index = guideline if guideline is not None else load_guideline()
    invariants = derive_invariants(index)
    invariant = next((inv for inv in invariants if inv.name == name), None)
    if invariant is None:
        raise InputError(
            f"unknown invariant {name!r}",
            code="unknown-invariant",
            hint="invariants: " + ", ".join(inv.name for inv in invariants),
        )
    options = FuzzOptions(examples=examples, seed=seed, timeout=timeout)
    with Fuzzer(_resolve(impl, index), index, options) as fuzzer:
        return fuzzer.check(invariant)
