"""Envelope encryption for pods.

Each pod has a random 256-bit data key, stored only sealed under the KEK ring (associated
data: the pod id). Each resource is sealed under the pod's data key with associated data naming
the pod, the resource and its version, so a ciphertext copied to another row or pod, or relabelled
with another version number, fails to open. (Detecting a rollback of a whole row, ciphertext and
version together, needs the expected version kept elsewhere, e.g. in the access log.)

Records sealed by seal_for_pod have two formats, binding the same facts:
- format 1 (before 2026-12): nonce ‖ ciphertext ‖ tag, associated data the text
  ``citizen-vault/pod/v1|<kind>|pod:<uuid>|resource:<uuid>|version:<n>`` (resource_aad);
- format 2: the byte 0xA2, then nonce ‖ ciphertext ‖ tag, associated data packed in fixed-length
  fields (resource_aad_v2): a magic naming the format, the kind's code (1 byte), the pod id and
  the resource id (16 bytes each), the version (4 bytes, big-endian). The per-pod part is made
  once per pod and kind; building it costs a tenth of the text's formatting of two UUIDs.
open_for_pod opens both: a record starting with 0xA2 is tried as format 2, and anything that
does not open so (a format-1 record whose random nonce starts with 0xA2) as format 1; a
failure of both is the integrity error, logged with the format-1 text naming where. A data-key
rotation re-seals every record in format 2. Chunks (seal_chunk) keep the text format: a chunk is
64 KiB, and its associated data is a rounding error beside it.
"""

import os
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from cryptography.exceptions import InvalidTag

from core.keyring import (
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    DecryptionError,
    SealedColumn,
    WrappedSecret,
    cipher,
    keyring,
    seal,
    unseal,
)

from .errors import PodErased
from .models import Pod

AAD_VERSION = "citizen-vault/pod/v1"

# What a sealed record is, bound into its associated data with the pod, resource and version.
CREDENTIAL_KIND = "credential"
HOLDER_KEY_KIND = "holder-key"
DOCUMENT_NAME_KIND = "document-name"
SEALED_DETAIL_KIND = "sealed-log-detail"  # a sealed log entry's detail (vault.sealing)
# Chunked records (seal_chunk): a personal document's content, an export's archive.
DOCUMENT_CHUNK_KIND = "document-chunk"
EXPORT_CHUNK_KIND = "export-chunk"
REQUEST_EVIDENCE_KIND = "request-evidence"

# Every table holding something sealed under a pod's data key, for whoever re-encrypts a pod
# (data-key rotation) or must know what an erasure makes unreadable (the *_row_aad functions
# below give each row's associated data, for a rotation that walks the tables):
#   Pod.holder_key_sealed              seal_for_pod, HOLDER_KEY_KIND, resource = the pod id
#   PodCredential.ciphertext           seal_for_pod, CREDENTIAL_KIND, resource = the row id
#   PodDocument.name_sealed            seal_for_pod, DOCUMENT_NAME_KIND, resource = the document id
#   SealedLogDetail.sealed             vault.sealing: format 1 (resource_aad), SEALED_DETAIL_KIND,
#                                      resource = the entry's seq
#   DocumentChunk.sealed               seal_chunk, DOCUMENT_CHUNK_KIND, resource = the document id
#   ExportChunk.sealed                 seal_chunk, EXPORT_CHUNK_KIND, resource = the export id
#   RequestEvidence.sealed             vault.evidence: format 1 (resource_aad), REQUEST_EVIDENCE_KIND,
#                                      resource = the row id
# (PodDocument.version and PodCredential.version are the versions bound in; exports are
# short-lived, version 1, and may simply be deleted instead of re-encrypted.) Each of these rows
# records the pod's data key version it is sealed under (``key_version``; the holder key is always
# under the pod's current one): open it with PodKeys(pod)(row.key_version).


def _data_key_aad(pod_id: uuid.UUID) -> bytes:
    return f"{AAD_VERSION}|data-key|pod:{pod_id}".encode()


# Pods' data keys, wrapped by the KEK ring: they join KEK rotation (vault.keyrotation).
POD_DATA_KEYS = SealedColumn(
    label="pod data keys",
    model=Pod,
    kek_field="kek_id",
    sealed_field="data_key_sealed",
    aad=lambda pod: _data_key_aad(pod.pk),
)


# A pod's previous data key, kept (wrapped the same way) while a data-key rotation is in progress:
# it joins KEK rotation, kek_usage and the start-up check like the current one.
POD_PREVIOUS_DATA_KEYS = SealedColumn(
    label="pod previous data keys",
    model=Pod,
    kek_field="previous_kek_id",
    sealed_field="previous_data_key_sealed",
    aad=lambda pod: _data_key_aad(pod.pk),
)


def resource_aad(pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID | str, version: int) -> bytes:
    """Format 1's associated data (records sealed before format 2, and every chunk)."""
    return f"{AAD_VERSION}|{kind}|pod:{pod_id}|resource:{resource_id}|version:{version}".encode()


# Format 2 (see the module's docstring).
SEALED_V2 = b"\xa2"
AAD_V2_MAGIC = b"citizen-vault/pod/v2\x00"
KIND_CODES = {
    CREDENTIAL_KIND: 1,
    HOLDER_KEY_KIND: 2,
    DOCUMENT_NAME_KIND: 3,
    DOCUMENT_CHUNK_KIND: 4,
    EXPORT_CHUNK_KIND: 5,
}
_VERSION = struct.Struct(">I")


_V2_BODY = 1 + NONCE_BYTES  # where a format-2 record's ciphertext starts (after marker and nonce)
_UUID = uuid.UUID


@lru_cache(maxsize=4096)
def _v2_prefix(pod_id: uuid.UUID | str, kind: str) -> bytes:
    pod_uuid = pod_id if type(pod_id) is _UUID else _UUID(str(pod_id))
    return AAD_V2_MAGIC + bytes([KIND_CODES[kind]]) + pod_uuid.bytes


def resource_aad_v2(pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID | str, version: int) -> bytes:
    """Format 2's associated data: the same pod, kind, resource and version as resource_aad,
    in fixed-length binary fields (the magic and kind's code, the pod's 16 bytes, the
    resource's 16 bytes, the version's 4). Built with as few Python steps as it takes: it is
    made twice per record read and written."""
    resource = resource_id if type(resource_id) is _UUID else _UUID(str(resource_id))
    return b"".join((_v2_prefix(pod_id, kind), resource.bytes, _VERSION.pack(version)))


def new_data_key(pod_id: uuid.UUID) -> tuple[bytes, WrappedSecret]:
    data_key = os.urandom(KEY_BYTES)
    return data_key, keyring().wrap(data_key, aad=_data_key_aad(pod_id))


def data_key(pod: Pod) -> bytes:
    """Unwrap the pod's data key; raises core.keyring.DecryptionError if it does not open.

    An erased pod (its keys destroyed, kek_id emptied, rows not yet deleted) raises PodErased, a
    410: that is the erasure the citizen asked for, not an integrity incident.
    """
    if not pod.kek_id and not bytes(pod.data_key_sealed):
        raise PodErased("This pod was erased at its owner's request; nothing of it can be read.")
    return keyring().unwrap(WrappedSecret(pod.kek_id, bytes(pod.data_key_sealed)), aad=_data_key_aad(pod.id))


def previous_data_key(pod: Pod) -> bytes | None:
    """The pod's previous data key while a data-key rotation is in progress, else None."""
    if not pod.previous_kek_id:
        return None
    return keyring().unwrap(
        WrappedSecret(pod.previous_kek_id, bytes(pod.previous_data_key_sealed)), aad=_data_key_aad(pod.id)
    )


KEY_FIELDS = ("kek_id", "data_key_sealed", "data_key_version", "previous_kek_id", "previous_data_key_sealed")


class PodKeys:
    """A pod's data keys by version, for opening rows that record the version they were sealed
    under (``key_version``). Made from a loaded pod; the keys the pod holds are unwrapped at once,
    so a row read afterwards at a version the pod then held opens even if a rotation finished
    meanwhile. A version it does not hold (a rotation started after the pod was loaded) makes it
    reload the pod's key fields once, as they are now.
    """

    def __init__(self, pod: Pod) -> None:
        self.pod = pod
        self._keys: dict[int, bytes] = {}
        self._take(pod)

    def _take(self, pod: Pod) -> None:
        self._keys[pod.data_key_version] = data_key(pod)
        previous = previous_data_key(pod)
        if previous is not None:
            self._keys[pod.data_key_version - 1] = previous

    @property
    def current(self) -> tuple[int, bytes]:
        version = max(self._keys)
        return version, self._keys[version]

    def __call__(self, version: int) -> bytes:
        found = self._keys.get(version)
        if found is None:
            fresh = Pod.objects.filter(pk=self.pod.pk).only(*KEY_FIELDS).first()
            if fresh is not None:
                self._take(fresh)
            found = self._keys.get(version)
        if found is None:
            raise DecryptionError(f"Pod {self.pod.pk} holds no data key of version {version}.")
        return found


def seal_for_pod(
    key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, plaintext: bytes
) -> bytes:
    """Seal a record of the pod in format 2: 0xA2 ‖ nonce ‖ ciphertext ‖ tag, as seal() would
    frame it behind the marker, joined in one copy."""
    nonce = os.urandom(NONCE_BYTES)
    aad = resource_aad_v2(pod_id, kind, resource_id, version)
    return b"".join((SEALED_V2, nonce, cipher(key).encrypt(nonce, plaintext, aad)))


def open_for_pod(key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, sealed: bytes) -> bytes:
    """Open a record of the pod sealed in either format; raises DecryptionError (logged) if it
    does not open as a record of this pod, kind, resource and version. A format-2 record is
    opened in place (a memoryview of its nonce and ciphertext, no copies)."""
    if sealed[:1] == SEALED_V2 and len(sealed) >= _V2_BODY + TAG_BYTES:
        view = memoryview(sealed)
        try:
            return cipher(key).decrypt(
                view[1:_V2_BODY], view[_V2_BODY:], resource_aad_v2(pod_id, kind, resource_id, version)
            )
        except InvalidTag:
            pass  # not format 2 after all (a format-1 nonce starting with 0xA2), or tampered
    return unseal(key, sealed, aad=resource_aad(pod_id, kind, resource_id, version))


def chunk_aad(
    pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID | str, version: int, index: int, last: bool
) -> bytes:
    """Associated data of chunk ``index`` of a chunked record: its place, and whether it is the
    last, so a chunk moved, reordered, dropped from the end or repeated fails to open."""
    base = resource_aad(pod_id, kind, resource_id, version)
    return base + f"|chunk:{index}|last:{int(last)}".encode()


def seal_chunk(
    key: bytes,
    pod_id: uuid.UUID,
    kind: str,
    resource_id: uuid.UUID | str,
    version: int,
    index: int,
    last: bool,
    plaintext: bytes,
) -> bytes:
    return seal(key, plaintext, aad=chunk_aad(pod_id, kind, resource_id, version, index, last))


def open_chunks(
    keys: Callable[[int], bytes],
    pod_id: uuid.UUID,
    kind: str,
    resource_id: uuid.UUID | str,
    version: int,
    sealed_chunks: Iterable[tuple[bytes, int]],
    count: int,
) -> Iterator[bytes]:
    """Open a chunked record's chunks in order: (sealed, key version) pairs, each opened with
    ``keys(key version)`` (a PodKeys); ``count`` is how many chunks it was sealed as.

    Raises core.keyring.DecryptionError at the first chunk that fails, and when chunks are
    missing or extra: every chunk's index and the last one's flag are in its associated data.
    """
    seen = 0
    for index, (sealed, key_version) in enumerate(sealed_chunks):
        if index >= count:
            raise DecryptionError("More chunks than the record was sealed as.")
        yield unseal(
            keys(key_version),
            sealed,
            aad=chunk_aad(pod_id, kind, resource_id, version, index, index == count - 1),
        )
        seen += 1
    if seen != count:
        raise DecryptionError(f"The record has {seen} of its {count} chunks.")


# --- each sealed row's associated data, from the row (for a rotation that walks the tables) ---


def document_chunk_row_aad(pod_id: uuid.UUID, chunk) -> bytes:
    """DocumentChunk.sealed of ``chunk`` (reads chunk.document: select_related it)."""
    document = chunk.document
    return chunk_aad(
        pod_id,
        DOCUMENT_CHUNK_KIND,
        document.pk,
        document.version,
        chunk.index,
        chunk.index == document.chunk_count - 1,
    )


def export_chunk_row_aad(pod_id: uuid.UUID, chunk) -> bytes:
    """ExportChunk.sealed of ``chunk`` (reads chunk.export: select_related it)."""
    export = chunk.export
    return chunk_aad(
        pod_id, EXPORT_CHUNK_KIND, export.pk, 1, chunk.index, chunk.index == export.chunk_count - 1
    )
