"""A lint problem: what is wrong, where, and what to do (what ``calfspec check`` reports)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CalfspecError, Location

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the guideline, where it is, and what to do."""

    code: str
    message: str
    location: Location
    hint: str | None = None
    subject: str | None = None
    """The id the problem is about, when there is one (a deprecated id for ``deprecated-id``)."""

    def render(self) -> str:
        """``path:line:col: code: message`` (the hint, if any, on the next line)."""
        text = f"{self.location.render()}: {self.code}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_json(self) -> dict[str, str | int | None]:
        """A plain mapping for ``--json``."""
        return {
            "code": self.code,
            "message": self.message,
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "hint": self.hint,
        }

    @classmethod
    def from_error(cls, error: CalfspecError) -> Problem:
        """A loader error as a problem."""
        return cls(error.code, error.message, error.location, error.hint)
