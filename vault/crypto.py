"""Envelope encryption for pods.

Each pod has a random 256-bit data key, stored only sealed under the KEK ring (associated
data: the pod id). Each resource is sealed under the pod's data key with associated data naming
the pod, the resource and its version, so a ciphertext copied to another row or pod, or relabelled
with another version number, fails to open. (Detecting a rollback of a whole row, ciphertext and
version together, needs the expected version kept elsewhere, e.g. in the access log.)
"""

import os
import uuid

from core.keyring import KEY_BYTES, WrappedSecret, keyring, seal, unseal

from .models import Pod

AAD_VERSION = "citizen-vault/pod/v1"

# What a sealed record is, bound into its associated data with the pod, resource and version.
CREDENTIAL_KIND = "credential"
HOLDER_KEY_KIND = "holder-key"


def _data_key_aad(pod_id: uuid.UUID) -> bytes:
    return f"{AAD_VERSION}|data-key|pod:{pod_id}".encode()


def resource_aad(pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID | str, version: int) -> bytes:
    return f"{AAD_VERSION}|{kind}|pod:{pod_id}|resource:{resource_id}|version:{version}".encode()


def new_data_key(pod_id: uuid.UUID) -> tuple[bytes, WrappedSecret]:
    data_key = os.urandom(KEY_BYTES)
    return data_key, keyring().wrap(data_key, aad=_data_key_aad(pod_id))


def data_key(pod: Pod) -> bytes:
    """Unwrap the pod's data key; raises core.keyring.DecryptionError if it does not open."""
    return keyring().unwrap(WrappedSecret(pod.kek_id, bytes(pod.data_key_sealed)), aad=_data_key_aad(pod.id))


def seal_for_pod(
    key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, plaintext: bytes
) -> bytes:
    return seal(key, plaintext, aad=resource_aad(pod_id, kind, resource_id, version))


def open_for_pod(key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, sealed: bytes) -> bytes:
    return unseal(key, sealed, aad=resource_aad(pod_id, kind, resource_id, version))
