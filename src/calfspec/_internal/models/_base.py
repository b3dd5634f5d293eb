"""The shared base of every public calfspec model: frozen, strict about extra fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["MAX_EXCERPT_WORDS", "Excerpt", "Id", "Model", "Text"]


class Model(BaseModel):
    """Frozen pydantic model that rejects unknown fields.

    Every public model derives from it: data is data, and a typo in a YAML
    file is an error rather than a silently ignored field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", min_length=1, max_length=80),
]
"""A stable identifier: lower case letters and digits, words joined by ``-`` or ``_``."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True, pattern=r"\S")]
"""Non-empty prose written by the project (statements, titles, reasons); never only whitespace."""

MAX_EXCERPT_WORDS = 30
"""An excerpt locates a passage; it is never a copy of the source's prose."""

Excerpt = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=400,
        pattern=rf"^\s*\S+(?:\s+\S+){{0,{MAX_EXCERPT_WORDS - 1}}}\s*$",
    ),
]
"""A short verbatim passage (at most 30 words), written so the JSON Schema enforces the limit too."""
