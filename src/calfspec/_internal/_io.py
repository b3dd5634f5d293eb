"""File I/O with the guarantees calfspec promises.

* writes are atomic: a reader sees the old file or the new one, never half of either;
* reads of user files are bounded in size, UTF-8 only, and fail with a positioned error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import InputError

__all__ = ["atomic_open", "atomic_write_bytes", "atomic_write_text", "read_user_text"]


@contextlib.contextmanager
def atomic_open(path: str | Path, *, text: bool = False) -> Iterator[IO[Any]]:
    """A file that replaces ``path`` only when the block completes: a temporary file beside it,
    fsynced, then renamed over it; on any error (or interrupt) the temporary file is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; a report should get the permissions any new file would.
        os.fchmod(fd, _existing_mode(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    with atomic_open(path) as fh:
        fh.write(data)


def _existing_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | Path, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_user_text(
    path: str | Path,
    *,
    max_bytes: int,
    kind: str,
    error: type[InputError] = InputError,
    missing_hint: str = "check the path",
    large_hint: str = "check this is the right file",
) -> str:
    """Read a user-supplied UTF-8 text file (a leading BOM is dropped).

    A missing, unreadable, oversized or non-UTF-8 file raises ``error`` with a
    code ``<kind>-missing`` / ``-unreadable`` / ``-too-large`` / ``-not-utf8``,
    naming the file and, for bad bytes, the line.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise error("file not found", code=f"{kind}-missing", path=str(p), hint=missing_hint) from None
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror}", code=f"{kind}-unreadable", path=str(p)) from None
    if size > max_bytes:
        raise error(
            f"file is {size} bytes, larger than the {max_bytes}-byte limit",
            code=f"{kind}-too-large",
            path=str(p),
            hint=large_hint,
        )
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"bytes that are not UTF-8 at offset {exc.start}",
            code=f"{kind}-not-utf8",
            path=str(p),
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")
