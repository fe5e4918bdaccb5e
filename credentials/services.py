"""Writes for credentials: signing keys and signing credentials for issuers."""

import re
import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Organisation, User
from vc.dataintegrity import CRYPTOSUITE, SUPPORTED_CRYPTOSUITES, add_proof, utc_now_xsd
from vc.datamodel import validate_credential
from vc.errors import CredentialInvalid, UnknownContext
from vc.jsonld import context_references
from vc.types import ISSUABLE_CONTEXTS, CredentialType, credential_type_of

from .errors import AccreditationInvalid, UnsupportedOption
from .hosted import is_on_our_host
from .keys import active_issuer_key, create_issuer_key, current_identity, unseal_private_key
from .models import Accreditation, ExternalIssuerDid, HostedIssuerDid, IssuerKey
from .statuslist import allocate_status_entries, credential_status_of

__all__ = [
    "accredit_issuer",
    "active_issuer_key",
    "amend_accreditation",
    "check_accreditation",
    "check_accreditation_period",
    "create_issuer_key",
    "current_identity",
    "sign_credential",
]

_private_key = unseal_private_key  # the name callers and tests have used

MAX_CREDENTIAL_ID_LENGTH = 255  # what a pod stores; VCDM sets no limit


def _issuance_error(path: str, rule: str, hint: str = "") -> CredentialInvalid:
    return CredentialInvalid(
        f"{path} {rule}{'; ' + hint if hint else ''}.",
        errors=[{"path": path, "rule": "issuance", "detail": rule}],
    )


# JSON-LD keywords that put other nodes or graphs beside the credential's own: with them an
# issuer could sign statements about someone other than the holder into the holder's pod.
_REFUSED_KEYWORDS = frozenset({"@included", "@reverse", "@graph", "@nest"})


def _refused_keyword_path(node: Any, path: str = "") -> str | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REFUSED_KEYWORDS:
                return f"{path}/{key}"
            if key != "@context" and (found := _refused_keyword_path(value, f"{path}/{key}")):
                return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if found := _refused_keyword_path(item, f"{path}/{index}"):
                return found
    return None


@transaction.atomic
def sign_credential(
    *,
    organisation: Organisation,
    credential: dict[str, Any],
    subject_id: str,
    cryptosuite: str = CRYPTOSUITE,
) -> tuple[dict[str, Any], CredentialType]:
    """Complete an issuer's unsigned credential and sign it with ``cryptosuite`` (eddsa-rdfc-2022).

    Fills in ``issuer`` (the organisation's current DID: its hosted did:web, else the did:key of
    its active key; a given ``issuer`` must be that DID), ``id`` (a urn:uuid) and ``validFrom``
    (now) when absent, binds the subject to ``subject_id``, and adds a ``credentialStatus``
    with a revocation and a suspension entry (random indexes in the issuer's status lists).
    Raises CredentialInvalid, UnknownCredentialType, UnknownContext, UndefinedTerm,
    UnsupportedOption (an unknown cryptosuite) or NoSigningKey; signs nothing and allocates
    nothing then.
    """
    if not isinstance(credential, dict):
        raise CredentialInvalid("The credential must be a JSON object.", errors=[])
    if cryptosuite not in SUPPORTED_CRYPTOSUITES:
        raise UnsupportedOption(
            f"options.cryptosuite {cryptosuite!r} is not supported; "
            f"use one of {list(SUPPORTED_CRYPTOSUITES)}.",
            option="cryptosuite",
            supported=list(SUPPORTED_CRYPTOSUITES),
        )
    if "proof" in credential:
        raise _issuance_error(
            "/proof", "must be absent", "send the credential unsigned, the service signs it"
        )
    if "credentialStatus" in credential:
        raise _issuance_error(
            "/credentialStatus", "must be absent", "the service allocates the status list entries"
        )
    if refused := _refused_keyword_path(credential):
        raise _issuance_error(
            refused, "is not accepted", "a credential describes its one subject, the holder"
        )
    identity = current_identity(organisation)
    document = dict(credential)
    if "issuer" in document and document["issuer"] not in (identity.did, {"id": identity.did}):
        raise _issuance_error(
            "/issuer", f"must be {identity.did}", "your organisation's current DID, or leave it out"
        )
    document.setdefault("issuer", identity.did)
    document.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    document.setdefault("validFrom", utc_now_xsd())

    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        # One subject, the pod's holder: a list could name someone else beside (or instead of) them.
        raise _issuance_error("/credentialSubject", "must be a single object describing the holder")
    if "id" in subject and subject["id"] != subject_id:
        raise _issuance_error(
            "/credentialSubject/id", "is set by the vault to the holder's DID; leave it out"
        )
    document["credentialSubject"] = {"id": subject_id, **subject}
    if not isinstance(document["id"], str) or len(document["id"]) > MAX_CREDENTIAL_ID_LENGTH:
        raise _issuance_error("/id", f"must be a URL of at most {MAX_CREDENTIAL_ID_LENGTH} characters")

    validate_credential(document)
    # Nested contexts count too: one scoped to a subject would bring its terms (or a @vocab) along.
    for path, context in context_references(document):
        if not isinstance(context, str) or context not in ISSUABLE_CONTEXTS:
            raise UnknownContext(
                f"This service does not sign credentials using the context {context!r}; name an "
                "issuable context by its URL.",
                path=path,
                issuableContexts=sorted(ISSUABLE_CONTEXTS),
            )
    credential_type = credential_type_of(document)
    missing = [c for c in credential_type.contexts if c not in document["@context"]]
    if missing:
        raise UnknownContext(
            f"A {credential_type.name} needs the contexts {list(credential_type.contexts)}; "
            f"missing {missing}.",
            path="/@context",
        )
    # Allocated last, after every check: a refused credential takes no index. The transaction
    # gives the indexes back if signing itself fails (e.g. an undefined term).
    entries = allocate_status_entries(identity=identity, credential_id=document["id"])
    document["credentialStatus"] = credential_status_of(entries)
    signed = add_proof(
        document,
        private_key=unseal_private_key(identity.key),
        verification_method=identity.verification_method,
        cryptosuite=cryptosuite,
    )
    return signed, credential_type


def check_accreditation(
    *,
    organisation: Organisation,
    credential_type: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> None:
    """The rules accredit_issuer applies, for a form that shows the refusal before anything is written.

    Raises AccreditationInvalid for a non-issuer, an empty or generic type, a period that ends
    before it starts, or an accreditation of the organisation for the type from that same
    moment; its ``field`` extra names the refused argument.
    """
    if organisation.kind != Organisation.Kind.ISSUER:
        raise AccreditationInvalid(
            f"{organisation.name} is not an issuer; only issuers are accredited.", field="organisation"
        )
    if (
        not isinstance(credential_type, str)
        or not credential_type.strip()
        or credential_type.strip() == "VerifiableCredential"
    ):
        raise AccreditationInvalid(
            "Name the specific credential type, e.g. DiplomaCredential.", field="credential_type"
        )
    check_accreditation_period(valid_from=valid_from, valid_until=valid_until)
    if Accreditation.objects.filter(
        organisation=organisation, credential_type=credential_type.strip(), valid_from=valid_from
    ).exists():
        raise _already_accredited(organisation, credential_type.strip(), valid_from)


def check_accreditation_period(*, valid_from: datetime, valid_until: datetime | None) -> None:
    """Refuse a period that ends before it starts: AccreditationInvalid, ``field`` valid_until."""
    if valid_until is not None and valid_until <= valid_from:
        raise AccreditationInvalid("The accreditation must end after it starts.", field="valid_until")


def _already_accredited(
    organisation: Organisation, credential_type: str, valid_from: datetime
) -> AccreditationInvalid:
    return AccreditationInvalid(
        f"{organisation.name} is already accredited for {credential_type} from {valid_from.isoformat()}.",
        field="valid_from",
    )


@transaction.atomic
def accredit_issuer(
    *,
    organisation: Organisation,
    credential_type: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    registered_by: User | None = None,
    notes: str = "",
) -> Accreditation:
    """Record in the trust registry that an issuer may issue ``credential_type`` in a period.

    Every DID of the organisation is covered (credentials.trust). Raises AccreditationInvalid
    as check_accreditation does (a non-issuer, an empty or generic type, a period that ends
    before it starts, the same accreditation again); records nothing then.
    """
    check_accreditation(
        organisation=organisation,
        credential_type=credential_type,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    try:
        with transaction.atomic():
            return Accreditation.objects.create(
                organisation=organisation,
                credential_type=credential_type.strip(),
                valid_from=valid_from,
                valid_until=valid_until,
                registered_by=registered_by,
                notes=notes,
            )
    except IntegrityError as exc:  # the same accreditation, recorded since the check
        raise _already_accredited(organisation, credential_type.strip(), valid_from) from exc


@transaction.atomic
def amend_accreditation(
    *, accreditation: Accreditation, valid_until: datetime | None, notes: str
) -> Accreditation:
    """End an accreditation (or move or remove its end) and amend its notes.

    Who was accredited, for what and from when stay as recorded: past verifications were
    answered by them. Raises AccreditationInvalid (check_accreditation_period) for an end that
    is not after the start; changes nothing then.
    """
    current = Accreditation.objects.select_for_update().get(pk=accreditation.pk)
    check_accreditation_period(valid_from=current.valid_from, valid_until=valid_until)
    current.valid_until = valid_until
    current.notes = notes
    current.save(update_fields=["valid_until", "notes"])
    return current


_DID = re.compile(r"^did:(web|key):[A-Za-z0-9._:%-]+$")


def register_external_did(
    *, organisation: Organisation, did: str, registered_by: User | None = None, notes: str = ""
) -> ExternalIssuerDid:
    """Record that an issuer organisation signs with ``did`` outside this service, so the trust
    registry counts its accreditations for credentials signed with it.

    Raises AccreditationInvalid for a non-issuer, a DID that is not did:web or did:key, a did:web
    on our own host (ISSUER_DID_WEB_HOST: those are hosted, credentials.hosted), or one that
    already belongs to an organisation (a key of ours, a did:web we host, or registered before).
    """
    if organisation.kind != Organisation.Kind.ISSUER:
        raise AccreditationInvalid(f"{organisation.name} is not an issuer; only issuers sign credentials.")
    if not isinstance(did, str) or not _DID.match(did) or "#" in did:
        raise AccreditationInvalid("Give a did:web or did:key DID, without a fragment.")
    if is_on_our_host(did):
        raise AccreditationInvalid(
            f"{did} is on this service's own host: host the issuer's DID with host_issuer_did instead."
        )
    if (
        IssuerKey.objects.filter(did=did).exists()
        or HostedIssuerDid.objects.filter(did=did).exists()
        or ExternalIssuerDid.objects.filter(did=did).exists()
    ):
        raise AccreditationInvalid(f"{did} already belongs to an organisation in the registry.")
    return ExternalIssuerDid.objects.create(
        organisation=organisation, did=did, registered_by=registered_by, notes=notes
    )
