"""The triage contract: what calfspec sends (:class:`TriageRequest`) and expects back.

These two models, and their JSON Schemas in ``schemas/``, are all an
implementation has to know. They are JSON-shaped and versioned by
:data:`PROTOCOL_VERSION`; adapters translate them to transports.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ._base import Id, Model
from .urgency import Urgency

__all__ = [
    "PROTOCOL_VERSION",
    "QUESTION_FIELDS",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "FindingState",
    "Onset",
    "Presentation",
    "Sex",
    "Side",
    "TriageDecision",
    "TriageRequest",
]

PROTOCOL_VERSION = "1.1"
"""Version of the request/decision contract. Minor versions only add optional fields or vocabulary ids.

1.1 added finding ids and split compound ones; the old ids stay accepted as deprecated
aliases (``guideline/aliases.yaml``), read as all their replacements. 1.0 requests and
implementations keep working: the major version is what must match.
"""

SUPPORTED_PROTOCOL_VERSIONS = ("1.0", "1.1")
"""Protocol versions calfspec accepts from an implementation (same major version)."""

QUESTION_FIELDS = frozenset({"side", "pregnant", "age", "sex", "onset", "duration_days", "trigger"})
"""Non-finding :class:`Presentation` fields a system may ask about in ``questions``.

Part of the contract: the judge accepts them and the decision's JSON Schema lists them.
"""


class FindingState(StrEnum):
    """Three-valued: ``unknown`` is never the same as ``absent``."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class Sex(StrEnum):
    """Sex recorded for the presentation."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Side(StrEnum):
    """Which calf hurts."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"
    UNKNOWN = "unknown"


class Onset(StrEnum):
    """How the pain started."""

    SUDDEN = "sudden"
    GRADUAL = "gradual"
    UNKNOWN = "unknown"


class Presentation(Model):
    """A structured calf-pain presentation.

    ``findings`` maps guideline finding ids to their state; a finding left out
    is ``unknown``. Which ids exist is set by the guideline vocabulary (the
    committed JSON Schema lists them).
    """

    age: int | None = Field(default=None, ge=0, le=130)
    sex: Sex = Sex.UNKNOWN
    pregnant: FindingState = FindingState.UNKNOWN
    side: Side = Side.UNKNOWN
    onset: Onset = Onset.UNKNOWN
    duration_days: float | None = Field(default=None, ge=0, le=36500)
    trigger: str | None = Field(default=None, max_length=200)
    findings: dict[Id, FindingState] = Field(default_factory=dict)

    def state(self, finding: str) -> FindingState:
        """The state of a finding; left out means unknown."""
        return self.findings.get(finding, FindingState.UNKNOWN)


class TriageRequest(Presentation):
    """What an implementation receives for one case."""

    protocol_version: str = PROTOCOL_VERSION
    case_id: str | None = Field(default=None, max_length=200)
    narrative: str | None = Field(
        default=None, max_length=20000, description="Patient-style text, for systems that read text."
    )


class TriageDecision(Model):
    """What an implementation answers.

    ``pathways`` and ``advice`` are guideline ids. ``questions`` lists finding
    ids the system wants answered before it decides; the harness answers what
    the scenario knows and asks again.
    """

    urgency: Urgency
    pathways: tuple[Id, ...] = ()
    advice: tuple[Id, ...] = ()
    conditions: tuple[Id, ...] = ()
    questions: tuple[Id, ...] = ()
    rationale: str | None = Field(default=None, max_length=20000)
