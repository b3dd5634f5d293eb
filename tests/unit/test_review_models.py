"""Sign-off and registry models: strict shapes, real OpenSSH public keys, unique reviewers."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from calfspec._internal.review.models import Reviewer, ReviewerRegistry, Role, Signature

# A syntactically valid ed25519 public key line (type string + 32 key bytes).
_BLOB = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes(range(32))).decode()
KEY = f"ssh-ed25519 {_BLOB} alice@example"


def _reviewer(**kw: object) -> Reviewer:
    data: dict[str, object] = {"id": "alice", "name": "Dr Alice", "role": "clinician", "public_keys": [KEY]}
    data.update(kw)
    return Reviewer.model_validate(data)


def test_a_registered_reviewer_keeps_their_key_and_role() -> None:
    r = _reviewer()
    assert r.role is Role.CLINICIAN
    assert r.public_keys == (KEY,)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("just-one-word", "not an OpenSSH public key line"),
        (f"ssh-dss {_BLOB}", "unsupported key type"),
        ("ssh-ed25519 @@@@", "not an OpenSSH public key line"),
        (f"ssh-rsa {_BLOB}", "is not a ssh-rsa key"),
        ("ssh-ed25519 AAAA", "too short"),
    ],
)
def test_malformed_public_keys_are_rejected_with_the_reason(key: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _reviewer(public_keys=[key])


def test_a_reviewer_needs_at_least_one_key() -> None:
    with pytest.raises(ValidationError):
        _reviewer(public_keys=[])


def test_unknown_role_is_rejected() -> None:
    with pytest.raises(ValidationError):
        _reviewer(role="surgeon-in-chief")


def test_registry_rejects_a_reviewer_listed_twice() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        ReviewerRegistry(reviewers=(_reviewer(), _reviewer(name="Another Alice")))


def test_registry_rejects_one_key_registered_for_two_reviewers() -> None:
    # Its holder could sign as both, and count twice towards a quorum.
    bob = _reviewer(id="bob", name="Dr Bob", public_keys=[KEY.replace("alice@example", "bob@example")])
    with pytest.raises(ValidationError, match=r"same public key .* both 'alice' and 'bob'"):
        ReviewerRegistry(reviewers=(_reviewer(), bob))


def _key(seed: int, comment: str) -> str:
    blob = b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20" + bytes((seed + i) % 256 for i in range(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def test_a_reviewer_may_list_several_keys_beside_others_with_their_own() -> None:
    alice = _reviewer(public_keys=[KEY, _key(1, "alice-new@example")])
    bob = _reviewer(id="bob", name="Dr Bob", public_keys=[_key(2, "bob@example")])
    registry = ReviewerRegistry(reviewers=(alice, bob))
    assert [r.id for r in registry.reviewers] == ["alice", "bob"]


def test_registry_lookup_and_extra_fields() -> None:
    reg = ReviewerRegistry(reviewers=(_reviewer(),))
    assert reg.get("alice") is not None
    assert reg.get("bob") is None
    with pytest.raises(ValidationError):
        ReviewerRegistry.model_validate({"reviewers": [], "approvers": []})


def test_signature_must_be_armored() -> None:
    with pytest.raises(ValidationError, match="armored"):
        Signature(value="deadbeef")
    ok = Signature(value="-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")
    assert ok.namespace == "calfspec-signoff"


def test_shipped_registry_has_no_reviewers() -> None:
    """Nothing here fakes a clinical approval: the bundled registry is empty."""
    from calfspec._internal.review.store import load_registry
    from tests.conftest import SCENARIOS_DIR

    assert load_registry(SCENARIOS_DIR / "reviewers.yaml").reviewers == ()
    assert not (SCENARIOS_DIR / "signoffs").exists() or not list((SCENARIOS_DIR / "signoffs").glob("*.json"))
