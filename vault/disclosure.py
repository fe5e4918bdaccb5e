"""The organisations' door to a pod: a read the consent engine allowed, answered as a
presentation that the vault itself signs with the holder's key, or a personal document the
grant covers, streamed.

Only the consent engine comes through here (import-linter: a protected module, imported by
consent.services alone), and only with a Permit, which that engine makes from a decision that
allowed the read. The holder's private key is unsealed here, used, and never leaves.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from core.keyring import DecryptionError
from vc.dataintegrity import CRYPTOSUITE
from vc.dataintegrity.sd import derive_proof, parse_pointer
from vc.errors import VcError
from vc.multikey import did_key_for
from vc.presentations import create_presentation

from . import accesslog, crypto, documents
from .access import AccessContext
from .errors import DocumentNotFound, NotDisclosable
from .models import AccessEvent, Pod, PodCredential, PodDocument
from .reading import Disclosed, read_and_log

SD_CRYPTOSUITE = "ecdsa-sd-2023"


@dataclass(frozen=True)
class Permit:
    """What one consent decision allows, now: ``context.organisation`` may read these
    ``credential_types`` of ``pod``, for ``context.purpose``, under ``context.grant_id``: of a
    type ``claims`` names, only those fields (JSON pointers into the credential), of the others
    the whole credential."""

    pod: Pod
    context: AccessContext
    credential_types: tuple[str, ...]
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.context.organisation is None or not self.credential_types:
            raise ValueError("A permit names the organisation that reads and at least one credential type.")
        for name, pointers in self.claims.items():
            if name not in self.credential_types or not pointers:
                raise ValueError("A permit names fields of the types it covers, at least one each.")


def _proofs(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    return proof if isinstance(proof, list) else [] if proof is None else [proof]


def _is_base_proof(proof: Any) -> bool:
    return isinstance(proof, dict) and proof.get("cryptosuite") == SD_CRYPTOSUITE


def without_base_proof(document: dict[str, Any]) -> dict[str, Any]:
    """The credential as released whole: every proof but the ecdsa-sd-2023 base proof, which
    holds the HMAC key that would let a verifier link and guess undisclosed values."""
    proofs = _proofs(document)
    kept = [proof for proof in proofs if not _is_base_proof(proof)]
    if len(kept) == len(proofs):
        return document
    released = {key: value for key, value in document.items() if key != "proof"}
    if kept:
        released["proof"] = kept[0] if len(kept) == 1 else kept
    return released


def _names_something(document: Any, pointer: str) -> bool:
    node = document
    for step in parse_pointer(pointer):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    return True


def derived(resource: PodCredential, document: dict[str, Any], pointers: tuple[str, ...]) -> Disclosed:
    """The credential narrowed to ``pointers`` (and the issuer's mandatory ones), with a proof
    derived from its ecdsa-sd-2023 base proof: what the issuer signed, no more, still verifiable
    with the issuer's key. A pointer naming a claim the credential lacks releases nothing.

    Raises NotDisclosable when the credential holds no usable base proof.
    """
    whole_only = (
        f"The {resource.credential_type} {resource.credential_id} was issued without an "
        f"{SD_CRYPTOSUITE} proof, so it cannot be narrowed to some of its fields: it can only be "
        "shared whole. Ask the citizen for the whole credential, or for one issued since."
    )
    base = [proof for proof in _proofs(document) if _is_base_proof(proof)]
    if len(base) != 1:
        raise NotDisclosable(whole_only)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    present = [pointer for pointer in pointers if _names_something(unsecured, pointer)]
    try:
        narrowed = derive_proof({**unsecured, "proof": base[0]}, present)
    except VcError as exc:
        raise NotDisclosable(f"{whole_only} ({exc.detail})") from exc
    return Disclosed(narrowed, tuple(pointers))


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

    The presentation holds the credentials and is signed with the holder key (proof purpose
    authentication, with ``cryptosuite``) over the reader's ``challenge`` and ``domain``. A
    credential of a type the permit gives fields of is derived (``derived``) and its log entry
    names those fields; any other is released whole, with its issuer's proofs but the
    ecdsa-sd-2023 base proof (``without_base_proof``). Must run inside the transaction of the
    decision that made the permit: the decision, the read, the signature and the log entries
    are one act. Raises DecryptionError (integrity), and NotDisclosable, before anything is
    signed or logged, when a credential to narrow cannot be.
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

    def disclose(resource: PodCredential, document: dict[str, Any]) -> Disclosed:
        pointers = permit.claims.get(resource.credential_type)
        if pointers is None:
            return Disclosed(without_base_proof(document))
        return derived(resource, document, pointers)

    _, presentation = read_and_log(
        permit.pod,
        context=permit.context,
        credential_types=permit.credential_types,
        then=sign,
        disclose=disclose,
        with_issuers=False,  # the presentation carries the issuers' own names and proofs
    )
    assert presentation is not None
    return presentation


@dataclass(frozen=True)
class DocumentPermit:
    """What one consent decision allows, now: ``context.organisation`` may see which documents
    of these ``document_types`` ``pod`` holds, and download them whole, for ``context.purpose``
    under ``context.grant_id``."""

    pod: Pod
    context: AccessContext
    document_types: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.context.organisation is None or not self.document_types:
            raise ValueError("A document permit names the organisation that reads and at least one type.")


def permitted_documents(permit: DocumentPermit) -> list[PodDocument]:
    """Metadata of the pod's documents of the permitted types, newest first: nothing is
    decrypted (not even their names), so nothing is read and nothing is logged."""
    return list(documents.documents_in(permit.pod).filter(document_type__in=permit.document_types))


def document_in(pod: Pod, document_id: Any) -> PodDocument | None:
    """The pod's document with this id, whatever its type (metadata, for the decision), or None."""
    try:
        return PodDocument.objects.filter(pod=pod, pk=document_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        return None


def open_permitted(permit: DocumentPermit, document: PodDocument) -> tuple[str, Iterator[bytes]]:
    """Open one document the permit covers and log its read (``document.read``, with the
    grant): its name, and its content as an iterator that reads and opens one chunk at a time.

    Must run inside the transaction of the decision that made the permit: the decision, the
    read's count and the log entry are one act. The content is streamed after that commits,
    each chunk with the key of the version it records (documents.stream_content). Raises
    DocumentNotFound for a document of another pod or a type the permit does not cover, and
    DecryptionError (nothing logged) when the name does not open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A document is opened for an organisation only inside its decision's transaction.")
    if document.pod_id != permit.pod.pk or document.document_type not in permit.document_types:
        raise DocumentNotFound("The grant covers no document with that id.")
    keys = crypto.PodKeys(permit.pod)
    name = documents.open_name(keys, document)
    accesslog.append(
        permit.pod,
        context=permit.context,
        action=AccessEvent.Action.DOCUMENT_READ,
        credential_type=document.document_type,
        resource_id=document.pk,
    )
    return name, documents.stream_content(keys, document)
