"""Issuing through the VC API (``POST /credentials/issue``): an issuer signs a credential it wrote.

Unlike issuance into a pod (credentials.services.sign_credential), the credential is returned to
the caller, not stored: it may have any subject(s) and any type, VCDM 2.0 or 1.1. What stays
fixed is who signs: the calling organisation's active key, and ``issuer`` must be its current DID
(its hosted did:web, else the key's did:key).
"""

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Organisation
from vc.dataintegrity import CRYPTOSUITE, SUPPORTED_CRYPTOSUITES, add_proof
from vc.datamodel import parse_datetime_stamp, validate_credential
from vc.errors import CredentialInvalid, StatusEntryInvalid, UnknownContext
from vc.jsonld import CREDENTIALS_V1, CREDENTIALS_V2, EXAMPLES_V2, context_references, is_absolute_iri
from vc.statuslist import parse_status_entries
from vc.types import ISSUABLE_CONTEXTS

from .errors import IssuerRequired, UnsupportedOption
from .keys import SigningIdentity, current_identity, unseal_private_key
from .statuslist import allocate_status_entries, credential_status_of, set_status

DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
CRYPTOSUITES = SUPPORTED_CRYPTOSUITES  # eddsa-rdfc-2022, eddsa-jcs-2022
DEFAULT_CRYPTOSUITE = CRYPTOSUITE  # eddsa-rdfc-2022
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"


def issuable_contexts() -> frozenset[str]:
    """Context URLs a VC API caller may sign with: ours, VCDM 1.1, and examples/v2 when enabled."""
    allowed = ISSUABLE_CONTEXTS | {CREDENTIALS_V1}
    if settings.VC_API_ALLOW_EXAMPLES_CONTEXT:
        allowed |= {EXAMPLES_V2}
    return allowed


def _invalid(path: str, detail: str) -> CredentialInvalid:
    return CredentialInvalid(
        f"{path}: {detail}", errors=[{"path": path, "rule": "issuance", "detail": detail}]
    )


def _check_contexts(document: dict[str, Any]) -> None:
    allowed = issuable_contexts()
    for path, context in context_references(document):
        # Inline contexts are policed by strict JSON-LD (credentials.jsonld) when the proof is made.
        if isinstance(context, str) and context not in allowed:
            hint = (
                " The examples context is refused unless VC_API_ALLOW_EXAMPLES_CONTEXT is on."
                if context == EXAMPLES_V2
                else ""
            )
            raise UnknownContext(
                f"This service does not sign credentials using the context {context!r}.{hint}",
                path=path,
                issuableContexts=sorted(allowed),
            )


def _with_data_integrity_context(document: dict[str, Any]) -> dict[str, Any]:
    """VCDM 1.1's context does not define DataIntegrityProof; add the DI context that does."""
    contexts = document.get("@context")
    if isinstance(contexts, list) and contexts[:1] == [CREDENTIALS_V1] and DATA_INTEGRITY_V2 not in contexts:
        return {**document, "@context": [*contexts, DATA_INTEGRITY_V2]}
    return document


def _check_status_entries(document: dict[str, Any]) -> None:
    """The caller's own BitstringStatusListEntry entries must be ones a verifier can check.

    Entries of other status methods are the issuer's business (the W3C VCDM 2.0 suite issues a
    CredentialStatusList2017 entry and expects it signed); verifying them is another matter."""
    try:
        parse_status_entries(document, other_types_allowed=True)
    except StatusEntryInvalid as exc:
        raise CredentialInvalid(exc.detail, errors=exc.extra["errors"]) from exc


def _allocated_status(
    document: dict[str, Any], *, identity: SigningIdentity, credential_id: str | None
) -> list[dict[str, str]]:
    if "credentialStatus" in document:
        raise _invalid("/credentialStatus", "must be absent when options.credentialStatus asks us to add it")
    if document["@context"][0] != CREDENTIALS_V2:
        raise UnsupportedOption(
            f"options.credentialStatus needs a VCDM 2.0 credential ({CREDENTIALS_V2} first).",
            option="credentialStatus",
        )
    name = document.get("id") or credential_id
    if not isinstance(name, str) or not name:
        raise UnsupportedOption(
            "options.credentialStatus needs credential.id or options.credentialId: it is what "
            "POST /credentials/status names.",
            option="credentialStatus",
        )
    return credential_status_of(allocate_status_entries(identity=identity, credential_id=name))


@transaction.atomic
def update_status(*, issuer: Organisation, credential_id: str, purposes: list[str], value: bool) -> None:
    """Set or clear each named status (revocation, suspension) of a credential ``issuer`` issued.

    All or nothing. Raises UnknownCredentialStatus (not issued by this issuer with a status),
    UnsupportedStatusPurpose or RevocationIsFinal.
    """
    for purpose in purposes:
        set_status(issuer=issuer, credential_id=credential_id, purpose=purpose, value=value)


@transaction.atomic
def issue_credential(
    *,
    organisation: Organisation,
    credential: dict[str, Any],
    cryptosuite: str = DEFAULT_CRYPTOSUITE,
    created: str | None = None,
    credential_id: str | None = None,
    with_status: bool = False,
) -> dict[str, Any]:
    """Sign ``credential`` with the organisation's active key and return the verifiable credential.

    ``issuer`` (a string or an object's ``id``) must be the organisation's current DID (its hosted
    did:web, else the active key's did:key); without it the request is refused (IssuerRequired,
    a 400: the VC API caller names its issuer). ``credential_id`` is the
    VCALM ``credentialId`` option: a URI naming a credential that has no ``id``. With
    ``with_status`` a revocation and a suspension BitstringStatusListEntry are allocated and added
    (VCDM 2.0 only, and the credential needs an id or credentialId: that is what
    POST /credentials/status names). Only those entries are
    stored, never the credential. A ``credentialStatus`` the caller wrote must be checkable
    (statuslist.parse_status_entries). Raises IssuerRequired, CredentialInvalid, UnknownContext,
    UnsupportedOption, NoSigningKey or a strict JSON-LD error; signs nothing then.
    """
    if not isinstance(credential, dict):
        raise CredentialInvalid("The credential must be a JSON object.", errors=[])
    if cryptosuite not in CRYPTOSUITES:
        raise UnsupportedOption(
            f"options.cryptosuite {cryptosuite!r} is not supported; use one of {list(CRYPTOSUITES)}.",
            option="cryptosuite",
            supported=list(CRYPTOSUITES),
        )
    if created is not None and parse_datetime_stamp(created) is None:
        raise UnsupportedOption(
            "options.created must be an XML Schema dateTimeStamp, e.g. 2026-01-01T00:00:00Z.",
            option="created",
        )
    if credential_id is not None:
        if not is_absolute_iri(credential_id):
            raise UnsupportedOption("options.credentialId must be a URI.", option="credentialId")
        if "id" in credential and credential["id"] != credential_id:
            raise UnsupportedOption(
                "options.credentialId names a credential without an id; this credential has a different id.",
                option="credentialId",
            )
    if "proof" in credential:
        raise _invalid("/proof", "must be absent; send the credential unsigned, the service signs it")

    identity = current_identity(organisation)
    document = dict(credential)
    if "issuer" not in document:
        detail = f"is required: name the issuer, {identity.did}, the DID of the organisation signing."
        raise IssuerRequired(
            f"/credential/issuer {detail}", errors=[{"pointer": "/credential/issuer", "detail": detail}]
        )
    issuer = document["issuer"]
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != identity.did:
        raise _invalid("/issuer", f"must be {identity.did}, the DID of the organisation signing")

    contexts = document.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        raise _invalid(
            "/@context", f"must be a list whose first item is {CREDENTIALS_V2} (or {CREDENTIALS_V1})"
        )
    _check_contexts(document)
    document = _with_data_integrity_context(document)
    if with_status:
        document["credentialStatus"] = _allocated_status(
            document, identity=identity, credential_id=credential_id
        )
    validate_credential(document)
    _check_status_entries(document)
    return add_proof(
        document,
        private_key=unseal_private_key(identity.key),
        verification_method=identity.verification_method,
        cryptosuite=cryptosuite,
        created=created,
    )
