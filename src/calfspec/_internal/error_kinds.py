"""Errors by kind: what went wrong when a trial got no judged answer.

Each error keeps its stable code (``CaseResult.error_code``); this module groups
the codes into the kinds a report shows, so that answer *extraction* is measured
as a component of its own. A reply that could not be read, parsed or validated
is never scored as under- or over-triage; the reports say which of these it was:

============  ===========================================================
kind          codes
============  ===========================================================
unparseable   invalid-json, invalid-completion, protocol-error, oversized-output
schema        schema-invalid-decision
refusal       model-refusal
unknown_id    unknown-guideline-id
timeout       implementation-timeout
extraction    extraction (a prose reply, ``#format=text``, that calfspec._internal.extract could not read)
transport     http-status, http-request-failed, http-unavailable
crash         implementation-crashed, -raised, -start-failed, -closed, -reported-error
no_decision   no-final-decision
other         any other code, or none
============  ===========================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from .models.results import CaseResult, Verdict

__all__ = ["ErrorKind", "count_error_kinds", "error_kind"]


class ErrorKind(StrEnum):
    """Why a trial has no judged answer, in report order."""

    UNPARSEABLE = "unparseable"
    SCHEMA = "schema"
    REFUSAL = "refusal"
    UNKNOWN_ID = "unknown_id"
    TIMEOUT = "timeout"
    EXTRACTION = "extraction"
    TRANSPORT = "transport"
    CRASH = "crash"
    NO_DECISION = "no_decision"
    OTHER = "other"


_KINDS: dict[str, ErrorKind] = {
    "invalid-json": ErrorKind.UNPARSEABLE,
    "invalid-completion": ErrorKind.UNPARSEABLE,
    "protocol-error": ErrorKind.UNPARSEABLE,
    "oversized-output": ErrorKind.UNPARSEABLE,
    "schema-invalid-decision": ErrorKind.SCHEMA,
    "model-refusal": ErrorKind.REFUSAL,
    "unknown-guideline-id": ErrorKind.UNKNOWN_ID,
    "implementation-timeout": ErrorKind.TIMEOUT,
    "timeout": ErrorKind.TIMEOUT,
    "extraction": ErrorKind.EXTRACTION,
    "http-status": ErrorKind.TRANSPORT,
    "http-request-failed": ErrorKind.TRANSPORT,
    "http-unavailable": ErrorKind.TRANSPORT,
    "implementation-crashed": ErrorKind.CRASH,
    "implementation-raised": ErrorKind.CRASH,
    "implementation-start-failed": ErrorKind.CRASH,
    "implementation-closed": ErrorKind.CRASH,
    "implementation-reported-error": ErrorKind.CRASH,
    "no-final-decision": ErrorKind.NO_DECISION,
}


def error_kind(code: str | None) -> ErrorKind:
    """The kind of an error code (``other`` for an unknown code or none)."""
    return _KINDS.get(code or "", ErrorKind.OTHER)


def count_error_kinds(cases: Iterable[CaseResult]) -> dict[str, int]:
    """Errored trials per kind, in :class:`ErrorKind` order, kinds with none left out.

    Unperturbed trials only, like the run's error count; a perturbed trial's error
    shows in its family's table (``--perturb``).
    """
    counts = Counter(error_kind(c.error_code) for c in cases if c.verdict is Verdict.ERROR and c.perturbation is None)
    return {kind.value: counts[kind] for kind in ErrorKind if counts[kind]}
