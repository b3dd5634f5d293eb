"""Data of the clinical review: the reviewers registry and signed sign-off records.

A sign-off record binds one reviewer's decision to one exact content: the
``digest`` of the parsed scenario plus the guideline claims it cites (see
:mod:`calfspec._internal.review.digest`). The record also keeps that content itself
(``content``), so a later change can be shown as a diff of old against new.
The ``signature`` is an OpenSSH signature (``ssh-keygen -Y sign``) over the
canonical JSON of the record without the signature.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, JsonValue, field_validator

from ..models._base import Id, Model, Text

__all__ = [
    "REVIEWERS_FORMAT_VERSION",
    "SIGNATURE_NAMESPACE",
    "SIGNOFF_FORMAT_VERSION",
    "Decision",
    "Reviewer",
    "ReviewerRegistry",
    "Role",
    "SignOff",
    "Signature",
    "UnsignedSignOff",
    "latest_signing_date",
]

SIGNATURE_NAMESPACE: Literal["calfspec-signoff"] = "calfspec-signoff"
"""The ``-n`` namespace of every sign-off signature: a signature made for git or
for another tool can never be replayed as a calfspec sign-off."""

SIGNOFF_FORMAT_VERSION: Literal["1"] = "1"
REVIEWERS_FORMAT_VERSION: Literal["1"] = "1"

# Key types ssh-keygen -Y can sign with; the blob's own type must match the prefix.
_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_PUBLIC_KEY = re.compile(r"^(?P<type>[a-z0-9@.-]+) (?P<blob>[A-Za-z0-9+/]+={0,3})(?: (?P<comment>.*))?$")
_ARMOR = re.compile(r"^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+\n-----END SSH SIGNATURE-----\n?$")


def latest_signing_date(today: dt.date) -> dt.date:
    """The latest date a sign-off may carry on ``today``: one day of slack for time zones."""
    return today + dt.timedelta(days=1)


class Role(StrEnum):
    """What a reviewer signs as. The role in a record must match the registry."""

    CLINICIAN = "clinician"
    CLINICAL_SAFETY_OFFICER = "clinical-safety-officer"


class Decision(StrEnum):
    """A reviewer's decision on one exact content."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


def _check_public_key(value: str) -> str:
    value = value.strip()
    m = _PUBLIC_KEY.match(value)
    if m is None:
        raise ValueError(
            "not an OpenSSH public key line (expected e.g. 'ssh-ed25519 AAAAC3... name@host', "
            "the content of a .pub file)"
        )
    key_type = m.group("type")
    if key_type not in _KEY_TYPES:
        raise ValueError(f"unsupported key type {key_type!r}; use one of {', '.join(_KEY_TYPES)}")
    try:
        blob = base64.b64decode(m.group("blob"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key's base64 part does not decode") from None
    # The blob starts with the length-prefixed key type; a mismatch means a pasted
    # or edited key that ssh-keygen would reject later with a vaguer message.
    if len(blob) < 4:
        raise ValueError("the key's base64 part is too short to be a key")
    n = int.from_bytes(blob[:4], "big")
    if blob[4 : 4 + n].decode("ascii", "replace") != key_type:
        raise ValueError(f"the key's base64 part is not a {key_type} key")
    return value


class Reviewer(Model):
    """A person allowed to sign off scenarios, with the public keys they sign with.

    Several keys allow rotation: a record signed with a key that is still listed
    keeps verifying after the reviewer adds a new one.
    """

    id: Id = Field(description="Stable reviewer id, used as the signer principal.")
    name: Text
    role: Role
    public_keys: tuple[str, ...] = Field(
        min_length=1, description="OpenSSH public key lines (the content of a .pub file)."
    )
    registration: str | None = Field(
        default=None,
        description="How the identity and key were checked, e.g. professional register number "
        "and who verified it in person.",
    )

    @field_validator("public_keys")
    @classmethod
    def _keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_public_key(k) for k in value)


class ReviewerRegistry(Model):
    """scenarios/reviewers.yaml: who may sign, as which role, with which keys."""

    kind: Literal["calfspec-reviewers"] = "calfspec-reviewers"
    format_version: Literal["1"] = REVIEWERS_FORMAT_VERSION
    reviewers: tuple[Reviewer, ...] = ()

    @field_validator("reviewers")
    @classmethod
    def _unique(cls, value: tuple[Reviewer, ...]) -> tuple[Reviewer, ...]:
        seen: set[str] = set()
        # One key, one person: a key listed under two ids would let its holder sign as
        # both and count twice towards a quorum. The comment part of a key line is ignored.
        owners: dict[tuple[str, str], str] = {}
        for r in value:
            if r.id in seen:
                raise ValueError(f"reviewer id {r.id!r} is listed twice")
            seen.add(r.id)
            for key in r.public_keys:
                key_type, blob = key.split()[:2]
                owner = owners.setdefault((key_type, blob), r.id)
                if owner != r.id:
                    raise ValueError(
                        f"the same public key ({key_type} ...{blob[-12:]}) is registered for both {owner!r} "
                        f"and {r.id!r}; each reviewer signs with their own key"
                    )
        return value

    def get(self, reviewer_id: str) -> Reviewer | None:
        """The reviewer with this id, or None."""
        for r in self.reviewers:
            if r.id == reviewer_id:
                return r
        return None


class Signature(Model):
    """An armored OpenSSH signature (``-----BEGIN SSH SIGNATURE-----``)."""

    format: Literal["openssh-sshsig"] = "openssh-sshsig"
    namespace: Literal["calfspec-signoff"] = SIGNATURE_NAMESPACE
    value: str = Field(max_length=20000)

    @field_validator("value")
    @classmethod
    def _armored(cls, value: str) -> str:
        if not _ARMOR.match(value):
            raise ValueError("not an armored SSH signature (-----BEGIN SSH SIGNATURE-----)")
        return value


class UnsignedSignOff(Model):
    """A sign-off record before it is signed: exactly what the signature covers."""

    kind: Literal["calfspec-signoff"] = "calfspec-signoff"
    format_version: Literal["1"] = SIGNOFF_FORMAT_VERSION
    scenario_id: Id
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    reviewer: Id
    role: Role
    date: dt.date
    decision: Decision
    comment: str | None = Field(default=None, max_length=5000)
    guideline_id: Id
    guideline_version: str
    content: dict[str, JsonValue] = Field(
        description="The canonical content the digest was taken over (scenario and cited "
        "claims), kept so a later change can be shown as a diff."
    )


class SignOff(UnsignedSignOff):
    """A signed sign-off record, one file under scenarios/signoffs/."""

    signature: Signature

    def unsigned(self) -> UnsignedSignOff:
        """The record without its signature: the payload that was signed."""
        return UnsignedSignOff.model_validate(self.model_dump(mode="json", exclude={"signature"}))
