"""The ordered urgency scale: ``emergency > urgent > routine > self_care``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["URGENCY_ORDER", "Urgency"]


class Urgency(StrEnum):
    """How soon the patient needs care; the order is the point.

    * ``emergency``: call emergency services now;
    * ``urgent``: same-day medical assessment;
    * ``routine``: see a doctor in the coming days or weeks;
    * ``self_care``: manage at home, with safety-netting.
    """

    SELF_CARE = "self_care"
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """0 for ``self_care`` up to 3 for ``emergency``."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """Human wording for reports."""
        return _LABELS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Urgency):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Urgency):
            return NotImplemented
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Urgency):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Urgency):
            return NotImplemented
        return _RANK[self] >= _RANK[other]


URGENCY_ORDER: tuple[Urgency, ...] = (
    Urgency.SELF_CARE,
    Urgency.ROUTINE,
    Urgency.URGENT,
    Urgency.EMERGENCY,
)
"""Least to most urgent."""

_RANK = {u: i for i, u in enumerate(URGENCY_ORDER)}

_LABELS = {
    Urgency.SELF_CARE: "self-care at home",
    Urgency.ROUTINE: "routine doctor visit",
    Urgency.URGENT: "same-day assessment",
    Urgency.EMERGENCY: "emergency services now",
}
