"""Envelope encryption for pods.

Each pod has a random 256-bit data key, stored only sealed under the KEK ring (associated
data: the pod id). Each resource is sealed under the pod's data key with associated data naming
the pod, the resource and its version, so a ciphertext copied to another row or pod, or relabelled
with another version number, fails to open. (Detecting a rollback of a whole row, ciphertext and
version together, needs the expected version kept elsewhere, e.g. in the access log.)
"""

import os
import uuid
from collections.abc import Iterable, Iterator

from core.keyring import KEY_BYTES, DecryptionError, SealedColumn, WrappedSecret, keyring, seal, unseal

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
#   SealedLogDetail.sealed             seal_for_pod, SEALED_DETAIL_KIND, resource = the entry's seq
#   DocumentChunk.sealed               seal_chunk, DOCUMENT_CHUNK_KIND, resource = the document id
#   ExportChunk.sealed                 seal_chunk, EXPORT_CHUNK_KIND, resource = the export id
#   RequestEvidence.sealed             seal_for_pod, REQUEST_EVIDENCE_KIND, resource = the row id
# (PodDocument.version and PodCredential.version are the versions bound in; exports are
# short-lived, version 1, and may simply be deleted instead of re-encrypted.)


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


def resource_aad(pod_id: uuid.UUID, kind: str, resource_id: uuid.UUID | str, version: int) -> bytes:
    return f"{AAD_VERSION}|{kind}|pod:{pod_id}|resource:{resource_id}|version:{version}".encode()


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


def seal_for_pod(
    key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, plaintext: bytes
) -> bytes:
    return seal(key, plaintext, aad=resource_aad(pod_id, kind, resource_id, version))


def open_for_pod(key: bytes, pod_id: uuid.UUID, kind: str, resource_id, version: int, sealed: bytes) -> bytes:
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
    key: bytes,
    pod_id: uuid.UUID,
    kind: str,
    resource_id: uuid.UUID | str,
    version: int,
    sealed_chunks: Iterable[bytes],
    count: int,
) -> Iterator[bytes]:
    """Open a chunked record's chunks in order; ``count`` is how many it was sealed as.

    Raises core.keyring.DecryptionError at the first chunk that fails, and when chunks are
    missing or extra: every chunk's index and the last one's flag are in its associated data.
    """
    seen = 0
    for index, sealed in enumerate(sealed_chunks):
        if index >= count:
            raise DecryptionError("More chunks than the record was sealed as.")
        yield unseal(
            key, sealed, aad=chunk_aad(pod_id, kind, resource_id, version, index, index == count - 1)
        )
        seen += 1
    if seen != count:
        raise DecryptionError(f"The record has {seen} of its {count} chunks.")


# --- each sealed row's associated data, from the row (for a rotation that walks the tables) ---


def document_name_row_aad(pod_id: uuid.UUID, document) -> bytes:
    """PodDocument.name_sealed of ``document``."""
    return resource_aad(pod_id, DOCUMENT_NAME_KIND, document.pk, document.version)


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
