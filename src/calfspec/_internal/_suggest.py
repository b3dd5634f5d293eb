"""Did-you-mean hints for unknown ids: the nearest known ids by :mod:`difflib` similarity."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["nearest", "suggest"]


def nearest(word: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` known ids closest to ``word``, best first (difflib ratio at least ``cutoff``).

    Ids are compared with ``-`` and ``_`` treated alike, since the vocabulary uses
    ``leg_swollen`` and the rules ``dvt-swollen-warm-red-calf``.
    """
    norm = {k.replace("-", "_").lower(): k for k in known}
    found = difflib.get_close_matches(word.replace("-", "_").lower(), list(norm), n=n, cutoff=cutoff)
    return [norm[f] for f in found]


def suggest(word: str, known: Iterable[str], *, listing: str | None = "calfspec ids") -> str:
    """A hint: ``did you mean 'a' or 'b'? (`calfspec ids` lists them all)``; ``listing`` None drops the tail."""
    close = nearest(word, known)
    tail = f" (`{listing}` lists them all)" if listing else ""
    if not close:
        return f"no id is close to {word!r}" + (f";{tail[:-1].replace(' (', ' ', 1)}" if listing else "")
    quoted = [repr(c) for c in close]
    options = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {options}?{tail}"
