"""Redaction removes a registered secret from any text that carries it raw, base64- or URL-encoded."""

from __future__ import annotations

import base64
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal._secrets import forget_secrets, redact, register_secret

_SECRET_CHARS = st.characters(min_codepoint=33, max_codepoint=126)


@settings(max_examples=150)
@given(
    secret=st.text(_SECRET_CHARS, min_size=12, max_size=40),
    before=st.binary(max_size=20),
    after=st.binary(max_size=20),
    urlsafe=st.booleans(),
)
def test_no_base64_text_containing_the_secret_keeps_it_after_redaction(
    secret: str, before: bytes, after: bytes, urlsafe: bool
) -> None:
    register_secret(secret)
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    echoed = encode(before + secret.encode() + after).decode()
    try:
        cleaned = redact(f"server said {echoed} and {secret} and {quote(secret, safe='')}")
    finally:
        forget_secrets()
    assert secret not in cleaned and quote(secret, safe="") not in cleaned
    # What is left of the base64 cannot be decoded back into the secret.
    for piece in cleaned.split():
        try:
            decoded = (base64.urlsafe_b64decode if urlsafe else base64.b64decode)(piece + "==")
        except ValueError:
            continue
        assert secret.encode() not in decoded


def test_ordinary_text_is_left_alone() -> None:
    register_secret("sk-test-SECRET-5f2c9a1b7e")
    try:
        assert redact("swollen left calf after a long flight") == "swollen left calf after a long flight"
    finally:
        forget_secrets()
