"""Files of the review: the reviewers registry, the sign-off records, and the outputs written.

* ``scenarios/reviewers.yaml`` is a :class:`~calfspec._internal.review.models.ReviewerRegistry`.
* ``scenarios/signoffs/`` holds one JSON file per :class:`~calfspec._internal.review.models.SignOff`,
  named ``<scenario-id>.<reviewer>.<date>.json``. Records are only ever added:
  writing never replaces an existing file, and nothing here touches a scenario.

A record file that cannot be read is not an error that stops the review: it is
returned as a :class:`RecordFile` with a ``problem``, so ``review verify`` can
name it as invalid among the others. Outputs (the reviewer pack, the matrix, the
hazard log) go through :func:`write_output`, which reports an unwritable path as an
:class:`InputError`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .._io import atomic_write_text
from .._yaml import MAX_BYTES, load_yaml, validate_doc
from ..errors import InputError
from ..guideline import data_dir
from .models import ReviewerRegistry, SignOff

__all__ = [
    "REVIEWERS_FILE",
    "SIGNOFFS_DIR",
    "RecordFile",
    "load_records",
    "load_registry",
    "record_json",
    "review_root",
    "write_output",
    "write_record",
]

REVIEWERS_FILE = "reviewers.yaml"
SIGNOFFS_DIR = "signoffs"


def review_root(scenarios_path: Path | None) -> Path:
    """The folder holding ``reviewers.yaml`` and ``signoffs/`` for a scenario path.

    That is the nearest folder, from ``scenarios_path`` upwards (at most three
    levels), that has either; ``None`` means the bundled ``scenarios/``. When
    none is found, the scenario folder itself is used, which then has no
    reviewers and no records: nothing counts as approved.
    """
    if scenarios_path is None:
        return data_dir("scenarios")
    start = scenarios_path if scenarios_path.is_dir() else scenarios_path.parent
    here = start.resolve()
    for candidate in (here, *list(here.parents)[:3]):
        if (candidate / REVIEWERS_FILE).is_file() or (candidate / SIGNOFFS_DIR).is_dir():
            return candidate
    return start


def load_registry(path: Path) -> ReviewerRegistry:
    """Read the reviewers registry; a missing or malformed file is an :class:`InputError`."""
    if not path.is_file():
        raise InputError(
            "reviewers registry not found",
            code="reviewers-missing",
            path=path,
            hint="create it (see docs/reviewing.md) or pass --reviewers FILE",
        )
    doc = load_yaml(path)
    if doc.data is None:
        return ReviewerRegistry()
    return validate_doc(ReviewerRegistry, doc)


@dataclass(frozen=True)
class RecordFile:
    """One file in the sign-offs folder: the parsed record, or why it could not be read."""

    path: Path
    record: SignOff | None
    problem: str | None = None


def _read_record(path: Path) -> RecordFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return RecordFile(path, None, f"cannot read file: {exc.strerror}")
    if len(raw) > MAX_BYTES:
        return RecordFile(path, None, f"file is larger than {MAX_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return RecordFile(path, None, "bytes that are not UTF-8")
    except json.JSONDecodeError as exc:
        return RecordFile(path, None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    try:
        return RecordFile(path, SignOff.model_validate(data))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(record)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return RecordFile(path, None, f"not a sign-off record: {where}: {first.get('msg')}{more}")


def load_records(folder: Path) -> list[RecordFile]:
    """Every ``*.json`` record in ``folder`` (sorted by name); none if it does not exist."""
    if not folder.is_dir():
        return []
    return [_read_record(p) for p in sorted(folder.glob("*.json")) if p.is_file()]


def record_json(record: SignOff) -> str:
    """A record as it is stored: indented JSON with sorted keys, for readable git diffs."""
    return json.dumps(record.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_record(folder: Path, record: SignOff) -> Path:
    """Write ``record`` as a new file in ``folder`` and return its path.

    The file appears atomically and is never overwritten: if the natural name is
    taken (a second record the same day), a counter is added.
    """
    stem = f"{record.scenario_id}.{record.reviewer}.{record.date.isoformat()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".signoff-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(
            f"cannot write a sign-off record here: {exc.strerror or exc}",
            code="signoffs-unwritable",
            path=folder,
            hint="check the sign-offs folder (--signoffs) exists or can be created, and is writable",
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(record_json(record))
        for n in range(1, 1000):
            target = folder / (f"{stem}.json" if n == 1 else f"{stem}.{n}.json")
            try:
                # link() fails if the target exists, unlike replace(): no record is clobbered.
                os.link(tmp, target)
            except FileExistsError:
                continue
            return target
        raise InputError("too many sign-off records with the same name", code="signoff-name", path=folder)
    finally:
        tmp.unlink(missing_ok=True)


def write_output(path: Path, text: str) -> None:
    """Write a review output (reviewer pack, matrix, hazard log) atomically.

    A path that cannot be written (a folder, a file where a folder should be, no
    permission) is an :class:`InputError` naming it, not a traceback.
    """
    if path.is_dir():
        raise InputError("cannot write here: the path is a folder", code="output-unwritable", path=path)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(
            f"cannot write here: {exc.strerror or exc}",
            code="output-unwritable",
            path=path,
            hint="check that the folder exists or can be created, and is writable",
        ) from None
