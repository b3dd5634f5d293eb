"""Secrets calfspec holds (API keys, URL passwords, passed-on variables), and their removal from text.

Adapters register every secret they are given; reports and adapter error
messages pass their text through :func:`redact`. A secret is removed in the
forms a server or a child process is likely to echo it in: as it is,
URL-encoded, and base64-encoded (standard and URL-safe alphabets) at any
position inside a longer encoded text, such as a ``Basic`` token or the base64
of ``Bearer <key>``.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "forget_secrets", "holding_secrets", "redact", "register_secret", "secret_forms"]

REDACTED = "[redacted]"

_MIN_SECRET = 4
"""Shorter values are not treated as secrets: redacting them would garble ordinary text."""

_MIN_CORE = 6
"""Shortest base64 fragment that is removed (shorter ones match by chance)."""

_forms: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _base64_cores(raw: bytes) -> set[str]:
    """Fragments that appear in the base64 of *any* text containing ``raw``, one per byte alignment."""
    cores: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        # The first group mixes the padding bytes in; the last partial group depends on what follows.
        start = 4 if shift else 0
        end = len(encoded) - (len(encoded) % 4 or (0 if (shift + len(raw)) % 3 == 0 else 4))
        core = encoded[start:end]
        if len(core) >= _MIN_CORE:
            cores.update((core, core.replace("+", "-").replace("/", "_")))
    return cores


def secret_forms(secret: str) -> set[str]:
    """The texts that give ``secret`` away: raw, URL-encoded, and its base64 fragments."""
    if len(secret) < _MIN_SECRET:
        return set()
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode("utf-8")
    for whole in (raw, b"Bearer " + raw):
        # The whole encodings too, padding included, so the common echoes leave nothing behind.
        forms.update((base64.b64encode(whole).decode("ascii"), base64.urlsafe_b64encode(whole).decode("ascii")))
    forms |= _base64_cores(raw)
    return {f for f in forms if f}


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so every later :func:`redact` removes it (in every form)."""
    global _pattern
    if not secret:
        return
    new = secret_forms(secret) - _forms
    if new:
        _forms.update(new)
        # Longest first, so a raw key is replaced whole before one of its fragments could match.
        _pattern = re.compile("|".join(re.escape(f) for f in sorted(_forms, key=len, reverse=True)))


def forget_secrets() -> None:
    """Forget every registered secret (for tests, which must not leak secrets into each other)."""
    global _pattern
    _forms.clear()
    _pattern = None


def holding_secrets() -> bool:
    """Whether any secret is registered (reports skip the scan when none is)."""
    return _pattern is not None


def redact(text: str) -> str:
    """``text`` with every registered secret, in every form, replaced by ``[redacted]``."""
    if _pattern is None or not text:
        return text
    return _pattern.sub(REDACTED, text)
