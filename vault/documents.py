"""Personal documents in a pod: a CV as PDF, a transcript, a scan.

A document type names what the document is and which content types it may have; the content is
checked by its bytes (the PDF, PNG and JPEG signatures at the start, and their end markers), not
by its name or the Content-Type the client sent alone. The upload is read as a stream, a chunk
(DOCUMENT_CHUNK_BYTES) at a time, and each chunk is sealed as it arrives (vault.crypto.seal_chunk),
so no more than one chunk of plaintext is held at once. Nothing is written until the whole body
has arrived and passed every check: then the document, its chunks and its log entry are stored in
one short transaction, and a refused upload leaves the pod as it was.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.keyring import seal, unseal

from . import accesslog, crypto, selectors
from .access import AccessContext
from .errors import (
    DocumentNotFound,
    InvalidDocumentName,
    LengthRequired,
    OverQuota,
    TruncatedUpload,
    UnknownDocumentType,
    UnsupportedContentType,
)
from .models import AccessEvent, DocumentChunk, Pod, PodDocument

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
# How far from the end a PDF's %%EOF may be (writers add a newline or a few bytes after it).
PDF_EOF_WINDOW = 1024
TAIL_BYTES = PDF_EOF_WINDOW
NAME_MAX = 200


@dataclass(frozen=True)
class DocumentType:
    name: str
    label: Any  # a lazily translated string: shown in the language of each request
    content_types: tuple[str, ...]


# The registry.
DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.name: t
    for t in (
        DocumentType("cv", _("Curriculum vitae"), (PDF,)),
        DocumentType("transcript", _("Transcript of records"), (PDF,)),
        DocumentType("scan", _("Scanned document"), (PDF, PNG, JPEG)),
    )
}


def _is_pdf(head: bytes, tail: bytes) -> bool:
    return head.startswith(b"%PDF-") and b"%%EOF" in tail[-PDF_EOF_WINDOW:]


def _is_png(head: bytes, tail: bytes) -> bool:
    # The signature, then the IHDR chunk first; the IEND chunk (with its fixed CRC) last.
    return head.startswith(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") and tail.endswith(b"IEND\xaeB`\x82")


def _is_jpeg(head: bytes, tail: bytes) -> bool:
    # SOI then a marker; EOI at the end.
    return head.startswith(b"\xff\xd8\xff") and tail.endswith(b"\xff\xd9")


SNIFFERS: dict[str, Callable[[bytes, bytes], bool]] = {PDF: _is_pdf, PNG: _is_png, JPEG: _is_jpeg}


def lookup_type(name: str) -> DocumentType:
    """The registered type ``name``; raises UnknownDocumentType naming the ones there are."""
    found = DOCUMENT_TYPES.get(name)
    if found is None:
        raise UnknownDocumentType(
            f"Unknown document type {name!r}; this vault keeps: {', '.join(sorted(DOCUMENT_TYPES))}."
        )
    return found


def checked_content_type(kind: DocumentType, declared: str) -> str:
    """The declared media type, without parameters, if ``kind`` accepts it; else UnsupportedContentType."""
    media = declared.split(";", 1)[0].strip().lower()
    if media not in kind.content_types:
        raise UnsupportedContentType(
            f"A {kind.name} is accepted as {', '.join(kind.content_types)}, not {media or 'no content type'}."
        )
    return media


def checked_name(name: str | None, kind: DocumentType, content_type: str) -> str:
    if not name:
        return f"{kind.name}.{EXTENSIONS[content_type]}"
    if len(name) > NAME_MAX or any(ord(ch) < 32 or ch in '/\\"' for ch in name):
        raise InvalidDocumentName(
            f"A document name is at most {NAME_MAX} characters, "
            "without control characters, slashes or quotes."
        )
    return name


def used_bytes(pod: Pod) -> int:
    return PodDocument.objects.filter(pod=pod).aggregate(total=Sum("size"))["total"] or 0


def _check_room(pod: Pod, length: int) -> None:
    if length > settings.DOCUMENT_MAX_BYTES:
        raise OverQuota(f"A document is at most {settings.DOCUMENT_MAX_BYTES} bytes; this one is {length}.")
    used = used_bytes(pod)
    if used + length > settings.POD_DOCUMENT_QUOTA_BYTES:
        raise OverQuota(
            f"Your pod's documents may take {settings.POD_DOCUMENT_QUOTA_BYTES} bytes; "
            f"{used} are used and this one needs {length}."
        )


def _read_exactly(stream: BinaryIO, wanted: int) -> bytes:
    parts, got = [], 0
    while got < wanted:
        piece = stream.read(wanted - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


@dataclass
class SealedContent:
    chunks: list[bytes]
    size: int
    key_version: int = 1  # the pod's data key version the chunks are sealed under


def seal_stream(
    *, key: bytes, pod_id: uuid.UUID, document_id: uuid.UUID, content_type: str, stream: BinaryIO, length: int
) -> SealedContent:
    """Read ``length`` bytes from ``stream`` a chunk at a time, sealing each as it arrives, and
    check the whole is what ``content_type`` says. Raises TruncatedUpload if the stream ends
    early, UnsupportedContentType if the bytes are not of the content type."""
    if length <= 0:
        raise TruncatedUpload("The document is empty.")
    chunk_bytes = settings.DOCUMENT_CHUNK_BYTES
    count = -(-length // chunk_bytes)
    sealed, head, tail, remaining = [], b"", b"", length
    for index in range(count):
        wanted = min(chunk_bytes, remaining)
        piece = _read_exactly(stream, wanted)
        if len(piece) < wanted:
            raise TruncatedUpload(
                f"The upload ended after {length - remaining + len(piece)} of its {length} declared bytes."
            )
        remaining -= wanted
        if index == 0:
            head = piece[:32]
        tail = (tail + piece)[-TAIL_BYTES:]
        sealed.append(
            crypto.seal_chunk(
                key, pod_id, crypto.DOCUMENT_CHUNK_KIND, document_id, 1, index, index == count - 1, piece
            )
        )
    if not SNIFFERS[content_type](head, tail):
        raise UnsupportedContentType(
            f"The content is not a complete {EXTENSIONS[content_type].upper()} file "
            "(checked by its bytes, not its name)."
        )
    return SealedContent(sealed, length)


def store_document(
    *,
    owner: User,
    document_type: str,
    content_type: str,
    stream: BinaryIO,
    length: int | None,
    name: str | None = None,
) -> PodDocument:
    """Store a document the citizen uploads into their own pod.

    Raises UnknownDocumentType, UnsupportedContentType (415), LengthRequired (411), OverQuota
    (413, before reading when the declared length is too large), TruncatedUpload (400); the pod
    is unchanged then. Records ``document.stored``.
    """
    pod = selectors.pod_of(owner)
    kind = lookup_type(document_type)
    media = checked_content_type(kind, content_type)
    shown_name = checked_name(name, kind, media)
    if length is None:
        raise LengthRequired("Send the document with a Content-Length header.")
    _check_room(pod, length)
    document_id = uuid.uuid4()
    # Sealed as it streams in, under the data key the pod has now; _save re-checks the key under
    # the pod's lock (a data-key rotation may have started or finished meanwhile).
    key = crypto.data_key(pod)
    content = seal_stream(
        key=key, pod_id=pod.pk, document_id=document_id, content_type=media, stream=stream, length=length
    )
    content.key_version = pod.data_key_version
    return _save(
        pod,
        document_id=document_id,
        kind=kind,
        content_type=media,
        name_sealed=crypto.seal_for_pod(
            key, pod.pk, crypto.DOCUMENT_NAME_KIND, document_id, 1, shown_name.encode()
        ),
        content=content,
        key=key,
        uploaded_by=PodDocument.Uploader.CITIZEN,
        context=AccessContext.for_citizen(owner),
    )


def _reseal(
    locked: Pod, *, key: bytes, document_id: uuid.UUID, name_sealed: bytes, content: SealedContent
) -> tuple[bytes, SealedContent]:
    """The name and chunks sealed under ``key`` (the key they were sealed with, kept in memory),
    sealed again under ``locked``'s current data key: one chunk of plaintext at a time."""
    new_key = crypto.data_key(locked)
    name = crypto.open_for_pod(key, locked.pk, crypto.DOCUMENT_NAME_KIND, document_id, 1, name_sealed)
    count = len(content.chunks)
    chunks = []
    for index, sealed in enumerate(content.chunks):
        aad = crypto.chunk_aad(
            locked.pk, crypto.DOCUMENT_CHUNK_KIND, document_id, 1, index, index == count - 1
        )
        chunks.append(seal(new_key, unseal(key, sealed, aad=aad), aad=aad))
    return (
        crypto.seal_for_pod(new_key, locked.pk, crypto.DOCUMENT_NAME_KIND, document_id, 1, name),
        SealedContent(chunks, content.size, locked.data_key_version),
    )


@transaction.atomic
def _save(
    pod: Pod,
    *,
    document_id: uuid.UUID,
    kind: DocumentType,
    content_type: str,
    name_sealed: bytes,
    content: SealedContent,
    key: bytes,
    uploaded_by: str,
    context: AccessContext,
) -> PodDocument:
    """Store a document sealed under ``key`` (of version content.key_version).

    The pod's row lock orders concurrent uploads, so the quota holds under them; and a data-key
    rotation takes the same lock to start and to finish, so the key version read under it is the
    pod's current one until this commits. If the pod's data key changed since the content was
    sealed, it is sealed again under the current key before anything is written: nothing is ever
    stored under a key a rotation has left behind.
    """
    locked = Pod.objects.locked().only(*crypto.KEY_FIELDS).get(pk=pod.pk)
    if locked.data_key_version != content.key_version:
        name_sealed, content = _reseal(
            locked, key=key, document_id=document_id, name_sealed=name_sealed, content=content
        )
    _check_room(pod, content.size)
    document = PodDocument.objects.create(
        id=document_id,
        pod=pod,
        document_type=kind.name,
        content_type=content_type,
        size=content.size,
        chunk_count=len(content.chunks),
        name_sealed=name_sealed,
        key_version=content.key_version,
        uploaded_by=uploaded_by,
        organisation=context.organisation,
    )
    DocumentChunk.objects.bulk_create(
        DocumentChunk(document=document, index=index, sealed=sealed, key_version=content.key_version)
        for index, sealed in enumerate(content.chunks)
    )
    accesslog.append(
        pod,
        context=context,
        action=AccessEvent.Action.DOCUMENT_STORED,
        credential_type=kind.name,
        resource_id=document.pk,
    )
    return document


def documents_in(pod: Pod):
    """Metadata of the pod's documents, newest first: nothing is decrypted."""
    return PodDocument.objects.filter(pod=pod).order_by("-created_at")


def _own(owner: User, document_id) -> PodDocument:
    document = PodDocument.objects.select_related("pod").filter(pk=document_id, pod__owner=owner).first()
    if document is None:
        raise DocumentNotFound("You hold no document with that id.")
    return document


def open_name(keys: crypto.PodKeys, document: PodDocument) -> str:
    """The document's name, opened with the pod's key of the version it records."""
    return crypto.open_for_pod(
        keys(document.key_version),
        keys.pod.pk,
        crypto.DOCUMENT_NAME_KIND,
        document.pk,
        document.version,
        bytes(document.name_sealed),
    ).decode()


def stream_content(keys: crypto.PodKeys, document: PodDocument) -> Iterator[bytes]:
    """The document's content, a chunk at a time: each chunk is read from the database and
    opened (with its own key version's key) only when the one before has been taken, so no more
    than a chunk of plaintext is held at once. Raises DecryptionError at the first chunk that
    does not open, and when chunks are missing or extra (a document deleted meanwhile)."""
    sealed = (
        (bytes(chunk), key_version)
        for chunk, key_version in DocumentChunk.objects.filter(document=document)
        .order_by("index")
        .values_list("sealed", "key_version")
        .iterator(chunk_size=4)
    )
    return crypto.open_chunks(
        keys,
        keys.pod.pk,
        crypto.DOCUMENT_CHUNK_KIND,
        document.pk,
        document.version,
        sealed,
        document.chunk_count,
    )


def open_document(keys: crypto.PodKeys, document: PodDocument) -> tuple[str, bytes]:
    """(name, content) of ``document``, each part opened with the pod's key of the version it
    records; raises DecryptionError if any part fails to open."""
    return open_name(keys, document), b"".join(stream_content(keys, document))


@transaction.atomic
def read_document(*, owner: User, document_id) -> tuple[PodDocument, str, bytes]:
    """The citizen downloads one of their documents (logged ``document.read``).

    Raises DocumentNotFound for anyone else's; DecryptionError (nothing logged) if it does not open.
    """
    document = _own(owner, document_id)
    name, content = open_document(crypto.PodKeys(document.pod), document)
    accesslog.append(
        document.pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.DOCUMENT_READ,
        credential_type=document.document_type,
        resource_id=document.pk,
    )
    return document, name, content


@transaction.atomic
def delete_document(*, owner: User, document_id) -> None:
    """The citizen deletes one of their documents (logged ``document.deleted``); DocumentNotFound else."""
    document = _own(owner, document_id)
    accesslog.append(
        document.pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.DOCUMENT_DELETED,
        credential_type=document.document_type,
        resource_id=document.pk,
    )
    document.delete()
