"""Import of a pod's export (vault.podexport) from another Citizen Vault, into an empty pod.

Everything is checked before anything is stored: the archive's manifest (every file listed with
its SHA-256, nothing unlisted), the access log (``vault.verify_log``: every entry hashes to its
leaf, chains, and adds up to the signed checkpoint), the holder key against the holder DID,
every credential's proofs (``credentials.verification.verify_held_credential``, the holder's
check, ecdsa-sd-2023 base proofs included, with the JSON-LD contexts we ship), that each
credential is bound to that holder and issued by an organisation this instance knows, and
every document's type, content (by its bytes) and the pod's quota, and every signed access
request (each hashes to its stated SHA-256 and its requester's proof verifies, by the checks the
consent app registers: ``register_evidence_check``). Any failure is an
ImportRefused naming the file and what failed; the pod is unchanged. Then one transaction
stores it all under the pod's own data key and logs the import with its origin.

The log's checkpoints are checked against the log keys listed in the archive, unless the
archive comes from this very instance (then against our own keys): a log from elsewhere is
shown consistent and signed, not signed by whom its origin claims (pin that origin's published
key with ``python -m vault.verify_log --key`` for that).

The signed requests are checked, not kept: each is the evidence of a request to the instance
the archive comes from, made by an organisation registered there, about grants and log entries
that stay there (the consent records are not imported either); this instance keeps evidence
only of the requests it received itself (RequestEvidence names the local organisation and
request). The citizen keeps them in the archive, where each still verifies offline.
"""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction

from accounts.models import Organisation, User
from credentials.selectors import organisation_of_did
from credentials.verification import verify_held_credential
from vc.errors import VcError
from vc.multikey import did_key_for
from vc.types import credential_type_of

from . import accesslog, crypto, documents, logkeys, podexport, selectors, verify_log
from .access import AccessContext
from .errors import ImportRefused, OverQuota, PodNotEmpty
from .models import AccessEvent, DocumentChunk, Pod, PodCredential, PodDocument

REQUIRED = (
    podexport.MANIFEST,
    podexport.LOG_FILE,
    podexport.HOLDER_KEY,
    "credentials.json",
    "documents.json",
)


UNKNOWN_ISSUER_HINT = (
    " (an issuer's organisation must be registered here, with the DID it signs as, before its"
    " credentials can be imported)"
)


# Checks of a signed request's download (its problems; none: it holds). The consent app
# registers consent.requestformat.verify_evidence: the vault does not import consent.
EVIDENCE_CHECKS: list[Callable[[dict[str, Any]], list[str]]] = []


def register_evidence_check(check: Callable[[dict[str, Any]], list[str]]) -> None:
    EVIDENCE_CHECKS.append(check)


def _refuse(file: str, why: str) -> ImportRefused:
    return ImportRefused(f"{file}: {why}", failed=file)


@dataclass
class _Credential:
    document: dict[str, Any]
    issuer: Organisation
    type_name: str


@dataclass
class _Document:
    kind: documents.DocumentType
    content_type: str
    name: str
    content: bytes


@dataclass
class Checked:
    """An archive that passed every check, ready to store."""

    source_pod: str
    origin: str
    holder_did: str
    holder_key: bytes
    credentials: list[_Credential] = field(default_factory=list)
    documents: list[_Document] = field(default_factory=list)
    signed_requests: int = 0  # checked, not kept (the module's docstring says why)


def _read_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _refuse("archive", "not a zip file") from exc
    if sum(member.file_size for member in members) > settings.POD_IMPORT_MAX_BYTES:
        raise OverQuota(f"The archive unpacks to more than {settings.POD_IMPORT_MAX_BYTES} bytes.")
    files: dict[str, bytes] = {}
    for member in members:
        if member.is_dir():
            continue
        with archive.open(member) as handle:
            content = handle.read(member.file_size + 1)
        if len(content) != member.file_size:
            raise _refuse(member.filename, "its size does not match the zip's directory")
        files[member.filename] = content
    return files


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name])
    except KeyError as exc:
        raise _refuse(name, "missing from the archive") from exc
    except ValueError as exc:
        raise _refuse(name, "not JSON") from exc


def check_archive(data: bytes) -> Checked:
    """Every check of the module docstring; raises ImportRefused (or OverQuota) at the first failure."""
    files = _read_zip(data)
    manifest = _json(files, podexport.MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != podexport.FORMAT:
        raise _refuse(podexport.MANIFEST, f"not a Citizen Vault pod export (format {podexport.FORMAT})")
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise _refuse(podexport.MANIFEST, "no list of files")
    unlisted = sorted(set(files) - set(listed) - {podexport.MANIFEST})
    if unlisted:
        raise _refuse(unlisted[0], "in the archive but not in its manifest")
    for name, digest in listed.items():
        if name not in files:
            raise _refuse(name, "listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise _refuse(name, "its SHA-256 does not match the manifest (altered)")
    for name in REQUIRED:
        if name not in files:
            raise _refuse(name, "missing from the archive")

    log = _json(files, podexport.LOG_FILE)
    ours = isinstance(log, dict) and str(log.get("origin", "")).startswith(f"{settings.ACCESS_LOG_NAME}/")
    try:
        report = verify_log.verify(log, keys=logkeys.verifier_keys() if ours else None)
    except verify_log.Unreadable as exc:
        raise _refuse(podexport.LOG_FILE, f"unreadable ({exc})") from exc
    if report.code != verify_log.OK:
        problems = report.forks + report.tampered + report.unsigned
        raise _refuse(
            podexport.LOG_FILE, f"the log does not verify: {problems[0] if problems else report.code}"
        )
    if log.get("pod") != manifest.get("pod"):
        raise _refuse(podexport.LOG_FILE, "it is the log of another pod than the manifest's")

    holder = _json(files, podexport.HOLDER_KEY)
    try:
        holder_key = bytes.fromhex(holder["privateKeyHex"])
        public = Ed25519PrivateKey.from_private_bytes(holder_key).public_key()
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(podexport.HOLDER_KEY, "not an Ed25519 private key") from exc
    holder_did = did_key_for(public).did
    if holder.get("did") != holder_did or manifest.get("holderDid") != holder_did:
        raise _refuse(podexport.HOLDER_KEY, "the key is not the holder DID's")

    checked = Checked(str(manifest.get("pod")), str(log["origin"]), holder_did, holder_key)
    for entry in _json(files, "credentials.json"):
        name = entry.get("file") if isinstance(entry, dict) else None
        if name not in files:
            raise _refuse("credentials.json", f"names a file the archive lacks ({name})")
        document = _json(files, name)
        # Import needs known issuers: a credential is kept as an organisation's of this instance
        # (its keys, hosted did:web or a registered DID). Asked first, so an unknown issuer is
        # named as such, not as a proof whose key cannot be tied to it.
        named = document.get("issuer") if isinstance(document, dict) else None
        named = named.get("id") if isinstance(named, dict) else named
        if not isinstance(named, str) or organisation_of_did(named) is None:
            raise _refuse(name, f"its issuer {named} is not known to this Citizen Vault{UNKNOWN_ISSUER_HINT}")
        try:
            verified = verify_held_credential(document)
            type_name = credential_type_of(document).name
        except VcError as exc:
            raise _refuse(name, f"its proof does not verify ({exc.detail})") from exc
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("id") != holder_did:
            raise _refuse(name, "it is not bound to the archive's holder")
        issuer = organisation_of_did(verified.issuer)
        if issuer is None:
            raise _refuse(
                name, f"its issuer {verified.issuer} is not known to this Citizen Vault{UNKNOWN_ISSUER_HINT}"
            )
        checked.credentials.append(_Credential(document, issuer, type_name))

    total = 0
    for entry in _json(files, "documents.json"):
        name = entry.get("file") if isinstance(entry, dict) else None
        if name not in files:
            raise _refuse("documents.json", f"names a file the archive lacks ({name})")
        try:
            kind = documents.lookup_type(str(entry.get("type")))
            media = documents.checked_content_type(kind, str(entry.get("contentType")))
            shown = documents.checked_name(entry.get("name"), kind, media)
        except VcError as exc:
            raise _refuse(name, exc.detail) from exc
        content = files[name]
        head, tail = content[:32], content[-documents.TAIL_BYTES :]
        if (
            not content
            or len(content) > settings.DOCUMENT_MAX_BYTES
            or not documents.SNIFFERS[media](head, tail)
        ):
            raise _refuse(name, f"not a complete {media} file of at most {settings.DOCUMENT_MAX_BYTES} bytes")
        total += len(content)
        checked.documents.append(_Document(kind, media, shown, content))
    if total > settings.POD_DOCUMENT_QUOTA_BYTES:
        raise OverQuota(
            f"The archive's documents take {total} bytes; "
            f"a pod's may take {settings.POD_DOCUMENT_QUOTA_BYTES}."
        )
    checked.signed_requests = _check_signed_requests(files)
    return checked


def _check_signed_requests(files: dict[str, bytes]) -> int:
    """Check every signed request the archive lists (an export made before they were exported
    has none); returns how many. Raises ImportRefused naming the first that does not verify."""
    in_folder = {name for name in files if name.startswith("signed-requests/")}
    if podexport.SIGNED_REQUESTS not in files:
        if in_folder:
            raise _refuse(sorted(in_folder)[0], f"a signed request not listed in {podexport.SIGNED_REQUESTS}")
        return 0
    index = _json(files, podexport.SIGNED_REQUESTS)
    if not isinstance(index, list):
        raise _refuse(podexport.SIGNED_REQUESTS, "not a list of signed requests")
    listed = set()
    for entry in index:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name not in in_folder:
            raise _refuse(podexport.SIGNED_REQUESTS, f"names a file the archive lacks ({name})")
        download = _json(files, name)
        if not isinstance(download, dict) or download.get("requestId") != entry.get("requestId"):
            raise _refuse(name, "not the signed request its index entry names")
        if not EVIDENCE_CHECKS:
            raise _refuse(name, "this Citizen Vault cannot check signed requests")
        if problems := [problem for check in EVIDENCE_CHECKS for problem in check(download)]:
            raise _refuse(name, f"the signed request does not verify ({problems[0]})")
        listed.add(name)
    if unlisted := sorted(in_folder - listed):
        raise _refuse(unlisted[0], f"a signed request not listed in {podexport.SIGNED_REQUESTS}")
    return len(listed)


@transaction.atomic
def import_archive(*, owner: User, data: bytes) -> tuple[Pod, Checked]:
    """Check an export and store it into the owner's empty pod, logging the import and its origin.

    Raises PodNotFound, PodNotEmpty (409: the pod holds credentials or documents), OverQuota,
    ImportRefused (422, naming the file and the failure). Nothing is stored unless all passed.
    """
    pod = selectors.pod_of(owner)
    checked = check_archive(data)
    # The pod is reloaded under its lock, so the data key sealed with below is its current one (a
    # data-key rotation takes the same lock to start and to finish).
    pod = Pod.objects.locked().get(pk=pod.pk)
    if PodCredential.objects.filter(pod=pod).exists() or PodDocument.objects.filter(pod=pod).exists():
        raise PodNotEmpty("Import only into a pod that holds no credential or document yet.")
    if Pod.objects.filter(holder_did=checked.holder_did).exclude(pk=pod.pk).exists():
        raise PodNotEmpty("Another pod of this Citizen Vault already holds this archive's holder key.")
    key, key_version = crypto.data_key(pod), pod.data_key_version
    pod.holder_did = checked.holder_did
    pod.holder_key_sealed = crypto.seal_for_pod(
        key, pod.pk, crypto.HOLDER_KEY_KIND, pod.pk, 1, checked.holder_key
    )
    pod.save(update_fields=["holder_did", "holder_key_sealed"])

    entries = [
        accesslog.Entry(
            AccessEvent.Action.POD_IMPORTED,
            reason=f"{len(checked.credentials)} credentials, {len(checked.documents)} documents"
            + (f", {checked.signed_requests} signed requests checked" if checked.signed_requests else ""),
        )
    ]
    for credential in checked.credentials:
        resource = PodCredential(
            pod=pod,
            credential_id=credential.document["id"],
            credential_type=credential.type_name,
            issuer=credential.issuer,
            key_version=key_version,
        )
        resource.ciphertext = crypto.seal_for_pod(
            key,
            pod.pk,
            crypto.CREDENTIAL_KIND,
            resource.pk,
            1,
            json.dumps(credential.document, ensure_ascii=False, separators=(",", ":")).encode(),
        )
        resource.save(force_insert=True)
        entries.append(accesslog.Entry(AccessEvent.Action.CREDENTIAL_IMPORTED, resource=resource))
    for held in checked.documents:
        document = PodDocument(
            pod=pod, document_type=held.kind.name, content_type=held.content_type, key_version=key_version
        )
        content = documents.seal_stream(
            key=key,
            pod_id=pod.pk,
            document_id=document.pk,
            content_type=held.content_type,
            stream=io.BytesIO(held.content),
            length=len(held.content),
        )
        document.size, document.chunk_count = content.size, len(content.chunks)
        document.name_sealed = crypto.seal_for_pod(
            key, pod.pk, crypto.DOCUMENT_NAME_KIND, document.pk, 1, held.name.encode()
        )
        document.uploaded_by = PodDocument.Uploader.IMPORT
        document.save(force_insert=True)
        DocumentChunk.objects.bulk_create(
            DocumentChunk(document=document, index=i, sealed=sealed, key_version=key_version)
            for i, sealed in enumerate(content.chunks)
        )
        entries.append(
            accesslog.Entry(
                AccessEvent.Action.DOCUMENT_STORED,
                credential_type=held.kind.name,
                reason="imported",
                resource_id=document.pk,
            )
        )
    context = AccessContext(
        actor_kind="citizen", actor_label=f"the pod owner, importing {checked.origin}"[:200]
    )
    accesslog.append_all(pod, context=context, entries=entries)
    return pod, checked
