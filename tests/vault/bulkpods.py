"""Pods made in bulk with real envelopes, for the rotation fault tests and bench/crypto.py.

Each pod gets a real random data key wrapped by the configured KEK ring (with the pod's
associated data) and a holder-key stand-in (32 random bytes) sealed under that data key, exactly
as vault.services.open_pod seals the holder key; owners and pods are written with bulk_create.
No access log is started (nothing here reads or appends to it).
"""

import os
import uuid

from accounts.models import User
from core.keyring import KEY_BYTES
from vault import crypto
from vault.models import Pod

CHUNK = 5000


def seed_pods(tag: str, count: int) -> dict[uuid.UUID, bytes]:
    """Make ``count`` pods whose owners are named after ``tag``; returns {pod id: data key}."""
    made: dict[uuid.UUID, bytes] = {}
    for start in range(0, count, CHUNK):
        numbers = range(start, min(count, start + CHUNK))
        users = [
            User(id=uuid.uuid4(), username=f"{tag}-{n}", email=f"{tag}-{n}@bulk.invalid") for n in numbers
        ]
        User.objects.bulk_create(users, batch_size=CHUNK)
        pods = []
        for n, user in zip(numbers, users, strict=True):
            pod_id = uuid.uuid4()
            data_key, wrapped = crypto.new_data_key(pod_id)
            holder = crypto.seal_for_pod(
                data_key, pod_id, crypto.HOLDER_KEY_KIND, pod_id, 1, os.urandom(KEY_BYTES)
            )
            pods.append(
                Pod(
                    id=pod_id,
                    owner=user,
                    kek_id=wrapped.kek_id,
                    data_key_sealed=wrapped.sealed,
                    holder_did=f"did:bulk:{tag}:{n}",
                    holder_key_sealed=holder,
                )
            )
            made[pod_id] = data_key
        Pod.objects.bulk_create(pods, batch_size=CHUNK)
    return made
