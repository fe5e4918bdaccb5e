"""The citizen's whole pod as one archive (zip), built by a Celery task.

The archive holds every credential as it was issued (its original proofs), every document,
the holder key the credentials are bound to, the consent records (grants and requests, given by
the consent app through ``register_section``), the signed access requests kept as evidence
(vault.evidence: each as its download, which ``python -m consent.verify_request`` checks), the
access log in the form ``python -m vault.verify_log`` checks, and a readable summary. The
request is logged first (``pod.exported``), so the archive's log covers it.

The archive is sealed in chunks under the pod's data key (vault.crypto.seal_chunk) as the task
builds it; the owner downloads it (logged, ``export.downloaded``) until POD_EXPORT_HOURS have
passed, and it is purged after. A run killed half-way leaves the export running with no
finished archive: the message comes back (acks_late) or the sweep re-sends it, and the next run
starts the archive again from the beginning.
"""

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.tasks import enqueue_on_commit

from . import accesslog, crypto, documents, evidence, logexport, selectors
from .access import AccessContext
from .errors import ExportExpired, ExportNotFound, ExportNotReady
from .models import AccessEvent, ExportChunk, Pod, PodCredential, PodDocument, PodExport, RequestEvidence

logger = logging.getLogger(__name__)

FORMAT = "citizen-vault/pod-export/v1"
LOG_FILE = "access-log.json"
MANIFEST = "manifest.json"
SUMMARY = "summary.md"
HOLDER_KEY = "holder-key.json"
SIGNED_REQUESTS = "signed-requests.json"  # the index of signed-requests/*.json

# Other apps' records about the pod (consent: grants and requests): file name → builder.
SECTIONS: dict[str, Callable[[Pod], Any]] = {}


def register_section(file_name: str, build: Callable[[Pod], Any]) -> None:
    """Add ``file_name`` to every export, holding ``build(pod)`` as JSON (plain data, no secrets)."""
    SECTIONS[file_name] = build


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def _stamp(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class _Archive:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)
        self.digests: dict[str, str] = {}

    def add(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.digests[name] = hashlib.sha256(data).hexdigest()

    def close(self) -> bytes:
        self.zip.close()
        return self.buffer.getvalue()


def build_archive(pod: Pod, progress: Callable[[int], None] = lambda _: None) -> bytes:
    """The archive of ``pod`` as it stands (plaintext bytes: only ever sealed before storing)."""
    keys = crypto.PodKeys(pod)  # each row is opened with the key of the version it records
    archive = _Archive()
    credentials = []
    resources = list(PodCredential.objects.filter(pod=pod).select_related("issuer").order_by("created_at"))
    for number, resource in enumerate(resources, start=1):
        document = json.loads(
            crypto.open_for_pod(
                keys(resource.key_version),
                pod.pk,
                crypto.CREDENTIAL_KIND,
                resource.pk,
                resource.version,
                bytes(resource.ciphertext),
            )
        )
        path = f"credentials/{number:04d}-{resource.credential_type}.json"
        archive.add(path, _json(document))
        credentials.append(
            {
                "file": path,
                "credentialId": resource.credential_id,
                "type": resource.credential_type,
                "issuer": resource.issuer.name,
                "storedAt": _stamp(resource.created_at),
            }
        )
    progress(30)
    held_documents = []
    for number, document in enumerate(PodDocument.objects.filter(pod=pod).order_by("created_at"), start=1):
        name, content = documents.open_document(keys, document)
        path = (
            f"documents/{number:04d}-{document.document_type}.{documents.EXTENSIONS[document.content_type]}"
        )
        archive.add(path, content)
        held_documents.append(
            {
                "file": path,
                "name": name,
                "type": document.document_type,
                "contentType": document.content_type,
                "size": document.size,
                "storedAt": _stamp(document.created_at),
            }
        )
    progress(60)
    holder_key = crypto.open_for_pod(
        crypto.data_key(pod), pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, bytes(pod.holder_key_sealed)
    )
    archive.add(
        HOLDER_KEY, _json({"did": pod.holder_did, "type": "Ed25519", "privateKeyHex": holder_key.hex()})
    )
    archive.add("credentials.json", _json(credentials))
    archive.add("documents.json", _json(held_documents))
    for file_name, build in sorted(SECTIONS.items()):
        archive.add(file_name, _json(build(pod)))
    signed_requests = []
    kept = (
        RequestEvidence.objects.filter(pod=pod).select_related("pod", "organisation").order_by("received_at")
    )
    for number, request in enumerate(kept, start=1):
        path = f"signed-requests/{number:04d}-{request.request_id}.json"
        archive.add(path, _json(evidence.evidence_document(request)))
        signed_requests.append(
            {
                "file": path,
                "requestId": str(request.request_id),
                "organisation": request.organisation.name,
                "signer": "custodial" if request.custodial else "organisation",
                "signedAt": _stamp(request.signed_at),
            }
        )
    archive.add(SIGNED_REQUESTS, _json(signed_requests))
    progress(75)
    log = logexport.build(pod)
    archive.add(LOG_FILE, _json(log))
    archive.add(SUMMARY, summary(pod, credentials, held_documents, log, signed_requests).encode())
    archive.add(
        MANIFEST,
        _json(
            {
                "format": FORMAT,
                "pod": str(pod.pk),
                "holderDid": pod.holder_did,
                "instance": settings.SITE_URL,
                "logOrigin": log["origin"],
                "exportedAt": _stamp(timezone.now()),
                "files": dict(sorted(archive.digests.items())),
            }
        ),
    )
    progress(85)
    return archive.close()


def summary(
    pod: Pod,
    credentials: list[dict],
    held_documents: list[dict],
    log: dict[str, Any],
    signed_requests: list[dict] | None = None,
) -> str:
    """The archive for people: what is in it, and how to check it."""
    lines = [
        "# Your Citizen Vault pod",
        "",
        f"Pod `{pod.pk}`, exported {_stamp(timezone.now())} from {settings.SITE_URL}.",
        f"Your holder identifier (the subject of your credentials): `{pod.holder_did}`.",
        "",
        f"## Credentials ({len(credentials)})",
        "",
    ]
    lines += [f"- {c['type']} from {c['issuer']}, stored {c['storedAt']}: `{c['file']}`" for c in credentials]
    lines += ["", f"## Documents ({len(held_documents)})", ""]
    lines += [f"- {d['type']} ({d['contentType']}, {d['size']} bytes): `{d['file']}`" for d in held_documents]
    lines += [
        "",
        "## Who may read your pod",
        "",
        "Your grants and the requests you received are in "
        + (", ".join(f"`{name}`" for name in sorted(SECTIONS)) or "(no consent records)")
        + ".",
        "",
        f"## Signed requests ({len(signed_requests or [])})",
        "",
        "Each access request its requester signed, exactly as it was sent, with what this Citizen "
        f"Vault checked when it came (listed in `{SIGNED_REQUESTS}`). Check one offline: "
        "`python -m consent.verify_request <file>`.",
        "",
    ]
    lines += [
        f"- from {r['organisation']}, signed {r['signedAt']} ({r['signer']} key): `{r['file']}`"
        for r in signed_requests or []
    ]
    lines += [
        "",
        f"## Access log ({log['treeSize']} entries)",
        "",
        f"`{LOG_FILE}` holds every entry with its inclusion proof and the signed checkpoint.",
        f"Check it offline: `python -m vault.verify_log {LOG_FILE}`.",
        "",
        "## Keep this archive safe",
        "",
        f"`{HOLDER_KEY}` is your holder key: whoever holds it can present your credentials as you.",
        "Every file's SHA-256 is in `manifest.json`; another Citizen Vault can import the archive.",
    ]
    return "\n".join(lines) + "\n"


# --- the citizen's acts -----------------------------------------------------------------------


@transaction.atomic
def request_export(*, owner: User) -> PodExport:
    """The citizen asks for their pod as an archive: logged ``pod.exported``, built by a task.

    An export still queued or running is returned instead of starting another. Raises PodNotFound.
    """
    from .tasks import build_pod_export

    pod = selectors.pod_of(owner)
    Pod.objects.select_for_update().filter(pk=pod.pk).values_list("pk", flat=True).get()
    pending = PodExport.objects.filter(
        pod=pod, status__in=[PodExport.Status.QUEUED, PodExport.Status.RUNNING]
    ).first()
    if pending is not None:
        return pending
    export = PodExport.objects.create(
        pod=pod, expires_at=timezone.now() + timedelta(hours=settings.POD_EXPORT_HOURS)
    )
    accesslog.append(
        pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.POD_EXPORTED,
        resource_id=export.pk,
    )
    enqueue_on_commit(build_pod_export, str(export.pk))
    return export


def export_of(owner: User, export_id: Any) -> PodExport:
    """One of the owner's exports; raises ExportNotFound for anyone else's."""
    export = PodExport.objects.filter(pk=export_id, pod__owner=owner).select_related("pod").first()
    if export is None:
        raise ExportNotFound("You have no export with that id.")
    return export


@transaction.atomic
def download_export(*, owner: User, export_id: Any) -> tuple[PodExport, bytes]:
    """The archive of one of the owner's exports (logged ``export.downloaded``).

    Raises ExportNotFound (anyone else's), ExportNotReady (still building, or failed),
    ExportExpired (past its hours), DecryptionError if a chunk does not open.
    """
    export = export_of(owner, export_id)
    if export.expires_at <= timezone.now():
        raise ExportExpired("This export's link has expired; ask for a new export.")
    if export.status != PodExport.Status.READY:
        raise ExportNotReady(f"The export is {export.status} ({export.progress}%).")
    pod = export.pod
    sealed = (
        (bytes(chunk), key_version)
        for chunk, key_version in ExportChunk.objects.filter(export=export)
        .order_by("index")
        .values_list("sealed", "key_version")
    )
    archive = b"".join(
        crypto.open_chunks(
            crypto.PodKeys(pod), pod.pk, crypto.EXPORT_CHUNK_KIND, export.pk, 1, sealed, export.chunk_count
        )
    )
    accesslog.append(
        pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.EXPORT_DOWNLOADED,
        resource_id=export.pk,
    )
    return export, archive


# --- the task's work --------------------------------------------------------------------------


def run_export(export_id: Any) -> str:
    """Build, seal and store one export; safe to run twice, and after a run killed half-way.

    Returns the export's status afterwards; the citizen is e-mailed when it is ready.
    """
    from .tasks import notify_export_ready

    export = PodExport.objects.select_related("pod").filter(pk=export_id).first()
    if export is None:
        return "gone"
    if export.status in (PodExport.Status.READY, PodExport.Status.FAILED):
        return export.status
    if export.expires_at <= timezone.now():
        PodExport.objects.filter(pk=export.pk).update(
            status=PodExport.Status.FAILED, failure_reason="Expired before it could be built."
        )
        return PodExport.Status.FAILED
    PodExport.objects.filter(pk=export.pk).update(status=PodExport.Status.RUNNING, progress=5)

    def progress(percent: int) -> None:
        PodExport.objects.filter(pk=export.pk, status=PodExport.Status.RUNNING).update(progress=percent)

    pod = export.pod
    archive = build_archive(pod, progress)
    step = settings.DOCUMENT_CHUNK_BYTES
    pieces = [archive[i : i + step] for i in range(0, len(archive), step)]
    del archive
    with transaction.atomic():
        # The archive is sealed under the data key read under the pod's lock (taken first, as
        # erasure takes it before the export's row): a data-key rotation takes the same lock to
        # start and to finish, so the key cannot change before this commits, and the chunks
        # record the version they are sealed under.
        locked = Pod.objects.select_for_update(no_key=True).only(*crypto.KEY_FIELDS).filter(pk=pod.pk).first()
        if (
            locked is None
            or not PodExport.objects.select_for_update()
            .filter(pk=export.pk, status=PodExport.Status.RUNNING)
            .exists()
        ):
            return "gone"  # erased, or finished by another run, meanwhile
        key, version = crypto.data_key(locked), locked.data_key_version
        chunks = [
            ExportChunk(
                export=export,
                index=index,
                key_version=version,
                sealed=crypto.seal_chunk(
                    key,
                    pod.pk,
                    crypto.EXPORT_CHUNK_KIND,
                    export.pk,
                    1,
                    index,
                    index == len(pieces) - 1,
                    piece,
                ),
            )
            for index, piece in enumerate(pieces)
        ]
        del pieces
        ExportChunk.objects.filter(export=export).delete()
        ExportChunk.objects.bulk_create(chunks)
        PodExport.objects.filter(pk=export.pk).update(
            status=PodExport.Status.READY,
            progress=100,
            size=sum(len(bytes(c.sealed)) for c in chunks),
            chunk_count=len(chunks),
            finished_at=timezone.now(),
        )
        enqueue_on_commit(notify_export_ready, str(export.pk))
    return PodExport.Status.READY


def purge_expired(now=None) -> int:
    """Delete the archives of exports past their hours (the rows stay, as a record)."""
    now = now or timezone.now()
    expired = PodExport.objects.filter(expires_at__lte=now).exclude(
        chunk_count=0, status=PodExport.Status.FAILED
    )
    deleted, _ = ExportChunk.objects.filter(export__in=expired).delete()
    expired.filter(status__in=[PodExport.Status.READY]).update(chunk_count=0, size=0)
    return deleted


def stalled(*, before) -> list[str]:
    """Exports queued or running since before ``before`` whose archive never finished."""
    return [
        str(pk)
        for pk in PodExport.objects.filter(
            status__in=[PodExport.Status.QUEUED, PodExport.Status.RUNNING], created_at__lte=before
        ).values_list("pk", flat=True)
    ]
