"""The citizen's whole pod as one archive (zip), built by a Celery task.

The archive holds every credential as it was issued (its original proofs), every document,
the holder key the credentials are bound to, the consent records (grants and requests, given by
the consent app through ``register_section``), the signed access requests kept as evidence
(vault.evidence: each as its download, which ``python -m consent.verify_request`` checks), the
access log in the form ``python -m vault.verify_log`` checks, and a readable summary in the
citizen's language (accounts.language: the one they are mailed in). The request is logged
first (``pod.exported``), so the archive's log covers it.

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
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import timezones
from accounts.language import language_of
from accounts.models import User
from core.tasks import enqueue_on_commit

from . import accesslog, crypto, documents, evidence, logexport, selectors
from .access import AccessContext
from .errors import ExportExpired, ExportNotFound, ExportNotReady
from .models import AccessEvent, ExportChunk, Pod, PodCredential, PodDocument, PodExport, RequestEvidence
from .portal.presenting import type_name

logger = logging.getLogger(__name__)

FORMAT = "citizen-vault/pod-export/v1"
LOG_FILE = "access-log.json"
MANIFEST = "manifest.json"
SUMMARY = "summary.md"
HOLDER_KEY = "holder-key.json"
SIGNED_REQUESTS = "signed-requests.json"  # the index of signed-requests/*.json

# Other apps' records about the pod (consent: grants and requests): file name → builder; and
# the same records in words for the summary, each a builder of its lines (in the active language).
SECTIONS: dict[str, Callable[[Pod], Any]] = {}
DESCRIPTIONS: list[Callable[[Pod], list[str]]] = []

# Who signed a kept request (vault.evidence), in words.
SIGNERS = {
    "organisation": gettext_lazy("with the organisation's own key"),
    "custodial": gettext_lazy("with a key this Citizen Vault keeps for the organisation"),
}


def register_section(
    file_name: str, build: Callable[[Pod], Any], describe: Callable[[Pod], list[str]] | None = None
) -> None:
    """Add ``file_name`` to every export, holding ``build(pod)`` as JSON (plain data, no secrets),
    and ``describe(pod)``'s lines to its summary."""
    SECTIONS[file_name] = build
    if describe is not None and describe not in DESCRIPTIONS:
        DESCRIPTIONS.append(describe)


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
    # The summary in the citizen's language (the one they are mailed in), the data files as they are.
    with translation.override(language_of(pod.owner)):
        readable = summary(pod, credentials, held_documents, log, signed_requests)
    archive.add(SUMMARY, readable.encode())
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


def _code(text: str) -> str:
    return f"`{text}`"


def summary(
    pod: Pod,
    credentials: list[dict],
    held_documents: list[dict],
    log: dict[str, Any],
    signed_requests: list[dict] | None = None,
) -> str:
    """The archive for people, in the active language: what is in it, in words (kinds of
    credential and document by their names, purposes, reasons and times in the portal's zone),
    and how to check it. The files it names are the machine-readable ones, unchanged."""
    signed_requests = signed_requests or []
    lines = [
        "# " + _("Your Citizen Vault pod"),
        "",
        _("Pod %(pod)s, exported %(moment)s from %(site)s.")
        % {
            "pod": _code(str(pod.pk)),
            "moment": timezones.in_words(timezone.now()),
            "site": settings.SITE_URL,
        },
        _("Your holder identifier (the subject of your credentials): %(did)s.")
        % {"did": _code(pod.holder_did)},
        "",
        "## " + _("Credentials (%(count)d)") % {"count": len(credentials)},
        "",
    ]
    lines += [
        "- "
        + _("%(kind)s from %(issuer)s, stored %(moment)s: %(file)s")
        % {
            "kind": type_name(c["type"]),
            "issuer": c["issuer"],
            "moment": timezones.in_words(datetime.fromisoformat(c["storedAt"])),
            "file": _code(c["file"]),
        }
        for c in credentials
    ]
    lines += ["", "## " + _("Documents (%(count)d)") % {"count": len(held_documents)}, ""]
    lines += [
        "- "
        + _("%(kind)s (%(format)s, %(size)s), stored %(moment)s: %(file)s")
        % {
            "kind": type_name(d["type"]),
            "format": documents.EXTENSIONS.get(d["contentType"], d["contentType"]).upper(),
            "size": filesizeformat(d["size"]),
            "moment": timezones.in_words(datetime.fromisoformat(d["storedAt"])),
            "file": _code(d["file"]),
        }
        for d in held_documents
    ]
    lines += ["", "## " + _("Who may read your pod"), ""]
    for describe in DESCRIPTIONS:
        lines += describe(pod)
    lines += [
        "",
        _("The same records as data: %(files)s.")
        % {"files": ", ".join(_code(name) for name in sorted(SECTIONS)) or _("none")},
        "",
        "## " + _("Signed requests (%(count)d)") % {"count": len(signed_requests)},
        "",
        _(
            "Each access request its requester signed, exactly as it was sent, with what this Citizen "
            "Vault checked when it came (listed in %(index)s). Check one offline: %(command)s."
        )
        % {"index": _code(SIGNED_REQUESTS), "command": _code("python -m consent.verify_request <file>")},
        "",
    ]
    lines += [
        "- "
        + _("from %(organisation)s, signed %(moment)s (%(signer)s): %(file)s")
        % {
            "organisation": r["organisation"],
            "moment": timezones.in_words(datetime.fromisoformat(r["signedAt"])),
            "signer": SIGNERS[r["signer"]] if r["signer"] in SIGNERS else r["signer"],
            "file": _code(r["file"]),
        }
        for r in signed_requests
    ]
    lines += [
        "",
        "## " + _("Access log (%(count)d entries)") % {"count": log["treeSize"]},
        "",
        _("%(file)s holds every entry with its inclusion proof and the signed checkpoint.")
        % {"file": _code(LOG_FILE)},
        _("Check it offline: %(command)s.") % {"command": _code(f"python -m vault.verify_log {LOG_FILE}")},
        "",
    ]
    lines += ["- " + line for line in logexport.entry_lines(pod)]
    lines += [
        "",
        "## " + _("Keep this archive safe"),
        "",
        _("%(file)s is your holder key: whoever holds it can present your credentials as you.")
        % {"file": _code(HOLDER_KEY)},
        _("Every file's SHA-256 is in %(file)s; another Citizen Vault can import the archive.")
        % {"file": _code(MANIFEST)},
    ]
    return "\n".join(str(line) for line in lines) + "\n"


# --- the citizen's acts -----------------------------------------------------------------------


@transaction.atomic
def request_export(*, owner: User) -> PodExport:
    """The citizen asks for their pod as an archive: logged ``pod.exported``, built by a task.

    An export still queued or running is returned instead of starting another. Raises PodNotFound.
    """
    from .tasks import build_pod_export

    pod = selectors.pod_of(owner)
    Pod.objects.locked().filter(pk=pod.pk).values_list("pk", flat=True).get()
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
        locked = Pod.objects.locked().only(*crypto.KEY_FIELDS).filter(pk=pod.pk).first()
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
