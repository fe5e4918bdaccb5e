"""The organisations' door to a pod: a read the consent engine allowed, answered as a
presentation that the vault itself signs with the holder's key.

Only the consent engine comes through here (import-linter: a protected module, imported by
consent.services alone), and only with a Permit, which that engine makes from a decision that
allowed the read. The holder's private key is unsealed here, used, and never leaves.
"""

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from core.keyring import DecryptionError
from vc.dataintegrity import CRYPTOSUITE
from vc.multikey import did_key_for
from vc.presentations import create_presentation

from . import crypto
from .access import AccessContext
from .models import Pod
from .reading import read_and_log


@dataclass(frozen=True)
class Permit:
    """What one consent decision allows, now: ``context.organisation`` may read these
    ``credential_types`` of ``pod``, for ``context.purpose``, under ``context.grant_id``."""

    pod: Pod
    context: AccessContext
    credential_types: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.context.organisation is None or not self.credential_types:
            raise ValueError("A permit names the organisation that reads and at least one credential type.")


def holder_signing_key(pod: Pod) -> tuple[Ed25519PrivateKey, str]:
    """The pod's holder key and its verification method, for a presentation signed here.

    Must run inside the transaction of the read it signs for. Raises DecryptionError when the
    sealed key does not open, or is not the key of the pod's holder DID.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("The holder key is unsealed only inside the transaction of the read it signs.")
    raw = crypto.open_for_pod(
        crypto.data_key(pod), pod.id, crypto.HOLDER_KEY_KIND, pod.id, 1, bytes(pod.holder_key_sealed)
    )
    private_key = Ed25519PrivateKey.from_private_bytes(raw)
    did_key = did_key_for(private_key.public_key())
    if did_key.did != pod.holder_did:
        raise DecryptionError(f"The holder key sealed in pod {pod.id} is not the key of its holder DID.")
    return private_key, did_key.verification_method


def present(permit: Permit, *, challenge: str, domain: str, cryptosuite: str = CRYPTOSUITE) -> dict[str, Any]:
    """Decrypt the permitted credentials, log one read each, and present them to the reader.

    The presentation holds the credentials with their original proofs and is signed with the
    holder key (proof purpose authentication, with ``cryptosuite``) over the reader's
    ``challenge`` and ``domain``. Must run inside the transaction of the decision that made the
    permit: the decision, the read, the signature and the log entries are one act. Raises
    DecryptionError (integrity).
    """
    private_key, verification_method = holder_signing_key(permit.pod)

    def sign(documents: list[dict[str, Any]]) -> dict[str, Any]:
        return create_presentation(
            documents,
            holder=permit.pod.holder_did,
            private_key=private_key,
            verification_method=verification_method,
            challenge=challenge,
            domain=domain,
            cryptosuite=cryptosuite,
        )

    _, presentation = read_and_log(
        permit.pod, context=permit.context, credential_types=permit.credential_types, then=sign
    )
    assert presentation is not None
    return presentation
