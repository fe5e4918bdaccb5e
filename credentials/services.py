"""Writes for credentials: issuing (the one pipeline), issuer keys, status changes, the trust registry.

Two writes still live beside the state they change: status list entries (credentials.statuslist,
allocated by issue_credential and flipped by update_status) and hosted did:web DIDs
(credentials.hosted.host_issuer_did).
"""

import re
import uuid
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation, User
from core.text import check_plain_text
from vc.dataintegrity import CRYPTOSUITE, add_proof, utc_now_xsd
from vc.dataintegrity.sd import add_base_proof
from vc.datamodel import parse_datetime_stamp, validate_credential
from vc.dids import did_web_to_url
from vc.errors import CredentialInvalid, StatusEntryInvalid, UnknownContext, UnresolvableKey
from vc.jsonld import CREDENTIALS_V1, CREDENTIALS_V2, EXAMPLES_V2, context_references, is_absolute_iri
from vc.multikey import PrivateKey, did_key_for
from vc.statuslist import parse_status_entries
from vc.types import (
    ISSUABLE_CONTEXTS,
    CredentialType,
    credential_type_of,
    mandatory_pointers,
    names_something,
)

from .errors import (
    AccreditationInvalid,
    DidHostingRefused,
    IssuerRequired,
    KeyCompromiseInvalid,
    StatusReasonInvalid,
    UnsupportedOption,
)
from .hosted import hosted_did_for, hosting_authority, is_on_our_host
from .keys import SigningIdentity, seal_private_key, unseal_private_key
from .models import (
    MAX_STATUS_NOTE_CHARS,
    Accreditation,
    ExternalIssuerDid,
    HostedIssuerDid,
    IssuerKey,
    StatusList,
    StatusReason,
)
from .selectors import active_issuer_key, current_identity
from .statuslist import allocate_status_entries, credential_status_of, set_status

MAX_CREDENTIAL_ID_LENGTH = 255  # what a pod stores; VCDM sets no limit
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

# The suites a credential is read whole with (one signature over the whole document): Ed25519
# keys sign the eddsa ones, the issuer's P-256 key the ecdsa ones.
WHOLE_CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019")
SD_CRYPTOSUITE = "ecdsa-sd-2023"  # a base proof, for the holder to derive disclosures from
ISSUANCE_CRYPTOSUITES = (*WHOLE_CRYPTOSUITES, SD_CRYPTOSUITE)
MAX_MANDATORY_POINTERS = 64


# Issuing.


@transaction.atomic
def issue_credential(
    *,
    organisation: Organisation,
    credential: dict[str, Any],
    subject_id: str | None = None,
    with_status: bool = True,
    allow_vcdm_1_1: bool = False,
    cryptosuite: str | None = None,
    created: str | None = None,
    credential_id: str | None = None,
    mandatory_pointers: list[str] | None = None,
) -> tuple[dict[str, Any], CredentialType | None]:
    """Sign an issuer's credential with the organisation's active key, as its current DID (its
    hosted did:web, else the key's did:key): the one issuance pipeline, for pods, batches and the
    VC API. Returns the signed credential and its registered type (None for a caller's own type).

    With ``subject_id`` (issuance into a pod) the credential is about that holder alone: one
    ``credentialSubject`` object, bound to ``subject_id``; no JSON-LD keyword that puts other
    nodes beside it; ``issuer`` (it must be the organisation's DID), ``id`` (a urn:uuid) and
    ``validFrom`` (now) filled in when absent; issuable contexts named by URL only; one registered
    credential type with its contexts, and it is signed with a proof set: a proof for whole reads
    (``cryptosuite``, default eddsa-rdfc-2022; any of WHOLE_CRYPTOSUITES) and an ecdsa-sd-2023
    base proof by the organisation's P-256 key over the same document, whose mandatory pointers
    are vc.types.mandatory_pointers (who issued it, what it is, when it holds, its status, its
    subject and the claim's type), so the holder can derive field-level disclosures.
    Without it (the VC API) the caller wrote the credential:
    ``issuer`` is required (IssuerRequired) and must be the organisation's DID; any type; inline
    contexts policed by strict JSON-LD; ``credentialStatus`` entries it wrote must be checkable.
    ``with_status`` adds a revocation and a suspension BitstringStatusListEntry (VCDM 2.0, and the
    credential needs an id or ``credential_id``: what POST /credentials/status names); a
    ``credentialStatus`` of the caller's own is refused then. ``allow_vcdm_1_1`` accepts VCDM 1.1
    credentials (the Data Integrity context is added). ``created`` and ``credential_id`` are the
    VC API's options. Raises IssuerRequired, CredentialInvalid, UnknownCredentialType,
    UnknownContext, UndefinedTerm, UnsupportedOption or NoSigningKey; signs nothing and allocates
    nothing then (indexes are allocated last, and the transaction gives them back).
    """
    if not isinstance(credential, dict):
        raise CredentialInvalid("The credential must be a JSON object.", errors=[])
    _check_options(
        credential,
        cryptosuite=cryptosuite,
        created=created,
        credential_id=credential_id,
        mandatory_pointers=mandatory_pointers,
        for_holder=subject_id is not None,
    )
    if "proof" in credential:
        raise _refused("/proof", "must be absent", "send the credential unsigned, the service signs it")
    if with_status and "credentialStatus" in credential:
        raise _refused("/credentialStatus", "must be absent", "the service allocates the status list entries")
    if subject_id is not None and (refused := _refused_keyword_path(credential)):
        raise _refused(refused, "is not accepted", "a credential describes its one subject, the holder")
    identity = current_identity(organisation)
    allowed = issuable_contexts(vcdm_1_1=allow_vcdm_1_1, examples=subject_id is None)
    credential_type = None
    if subject_id is not None:
        document = _completed_for_holder(credential, identity=identity, subject_id=subject_id)
        validate_credential(document)
        _check_contexts(document, allowed=allowed, inline=False)
        credential_type = _registered_type(document)
    else:
        identity = _named_identity(
            organisation, credential, identity, suite=cryptosuite or CRYPTOSUITE, with_status=with_status
        )
        _check_first_context(credential, vcdm_1_1=allow_vcdm_1_1)
        _check_contexts(credential, allowed=allowed, inline=True)
        document = _with_data_integrity_context(dict(credential))
        validate_credential(document)
        _check_status_entries(document)
    if with_status:
        name = _status_name(document, credential_id)
        entries = allocate_status_entries(identity=identity, credential_id=name)
        document["credentialStatus"] = credential_status_of(entries)
    created = created or utc_now_xsd()
    suite = cryptosuite or CRYPTOSUITE
    if subject_id is None and suite == SD_CRYPTOSUITE:
        return _base_proof(organisation, identity, document, created, mandatory_pointers), credential_type
    signed = _whole_proof(organisation, identity, document, suite, created)
    if subject_id is None:
        return signed, credential_type
    base = _base_proof(organisation, identity, document, created, None)
    return {**document, "proof": [signed["proof"], base["proof"]]}, credential_type


def _whole_proof(
    organisation: Organisation, identity: SigningIdentity, document: dict[str, Any], suite: str, created: str
) -> dict[str, Any]:
    """``document`` with one proof of ``suite``: by the Ed25519 key, or the P-256 key for ecdsa-*."""
    signer = identity if suite.startswith("eddsa-") else p256_identity(organisation, identity)
    return add_proof(
        document,
        private_key=unseal_private_key(signer.key),
        verification_method=signer.verification_method,
        cryptosuite=suite,
        created=created,
    )


def _base_proof(
    organisation: Organisation,
    identity: SigningIdentity,
    document: dict[str, Any],
    created: str,
    pointers: list[str] | None,
) -> dict[str, Any]:
    """``document`` with an ecdsa-sd-2023 base proof by the P-256 key; ``pointers`` are checked
    (each must name something in the document) or default to vc.types.mandatory_pointers."""
    if pointers is None:
        pointers = mandatory_pointers(document)
    for pointer in pointers:
        if not names_something(document, pointer):
            raise UnsupportedOption(
                f"options.mandatoryPointers: {pointer!r} names nothing in the credential"
                + (
                    " (the status entries are added by options.credentialStatus)"
                    if "credentialStatus" in pointer
                    else ""
                )
                + ".",
                option="mandatoryPointers",
            )
    signer = p256_identity(organisation, identity)
    private_key = unseal_private_key(signer.key)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    return add_base_proof(
        document,
        private_key=private_key,
        verification_method=signer.verification_method,
        mandatory_pointers=list(pointers),
        created=created,
    )


def issuable_contexts(*, vcdm_1_1: bool = True, examples: bool = True) -> frozenset[str]:
    """Context URLs an issuer may sign with: ours, VCDM 1.1's, and the W3C examples context when
    VC_API_ALLOW_EXAMPLES_CONTEXT is on (never in a pod: its @vocab defines every typo)."""
    allowed = ISSUABLE_CONTEXTS | ({CREDENTIALS_V1} if vcdm_1_1 else set())
    if examples and settings.VC_API_ALLOW_EXAMPLES_CONTEXT:
        allowed |= {EXAMPLES_V2}
    return allowed


def _refused(path: str, rule: str, hint: str = "") -> CredentialInvalid:
    return CredentialInvalid(
        f"{path} {rule}{'; ' + hint if hint else ''}.",
        errors=[{"path": path, "rule": "issuance", "detail": rule}],
    )


def _check_options(
    credential: dict[str, Any],
    *,
    cryptosuite: str | None,
    created: str | None,
    credential_id: str | None,
    mandatory_pointers: list[str] | None,
    for_holder: bool,
) -> None:
    offered = WHOLE_CRYPTOSUITES if for_holder else ISSUANCE_CRYPTOSUITES
    if for_holder and cryptosuite == SD_CRYPTOSUITE:
        raise UnsupportedOption(
            f"options.cryptosuite {SD_CRYPTOSUITE!r}: a credential issued into a pod always carries an "
            f"{SD_CRYPTOSUITE} base proof, beside the proof it is read whole with; cryptosuite names "
            f"that proof: one of {list(WHOLE_CRYPTOSUITES)}.",
            option="cryptosuite",
            supported=list(WHOLE_CRYPTOSUITES),
        )
    if cryptosuite is not None and cryptosuite not in offered:
        raise UnsupportedOption(
            f"options.cryptosuite {cryptosuite!r} is not supported; use one of {list(offered)}.",
            option="cryptosuite",
            supported=list(offered),
        )
    if mandatory_pointers is not None:
        if cryptosuite != SD_CRYPTOSUITE:
            raise UnsupportedOption(
                f"options.mandatoryPointers goes with options.cryptosuite {SD_CRYPTOSUITE!r}.",
                option="mandatoryPointers",
            )
        if (
            not isinstance(mandatory_pointers, list)
            or len(mandatory_pointers) > MAX_MANDATORY_POINTERS
            or not all(isinstance(p, str) and p.startswith("/") for p in mandatory_pointers)
        ):
            raise UnsupportedOption(
                f"options.mandatoryPointers must be a list of at most {MAX_MANDATORY_POINTERS} JSON "
                "Pointers (each starting with '/').",
                option="mandatoryPointers",
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


def _completed_for_holder(
    credential: dict[str, Any], *, identity: SigningIdentity, subject_id: str
) -> dict[str, Any]:
    """The credential with its issuer, id and validFrom filled in and its one subject bound to the holder."""
    document = dict(credential)
    if "issuer" in document and document["issuer"] not in (identity.did, {"id": identity.did}):
        raise _refused(
            "/issuer", f"must be {identity.did}", "your organisation's current DID, or leave it out"
        )
    document.setdefault("issuer", identity.did)
    document.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    document.setdefault("validFrom", utc_now_xsd())
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        # One subject, the pod's holder: a list could name someone else beside (or instead of) them.
        raise _refused("/credentialSubject", "must be a single object describing the holder")
    if "id" in subject and subject["id"] != subject_id:
        raise _refused("/credentialSubject/id", "is set by the vault to the holder's DID; leave it out")
    document["credentialSubject"] = {"id": subject_id, **subject}
    if not isinstance(document["id"], str) or len(document["id"]) > MAX_CREDENTIAL_ID_LENGTH:
        raise _refused("/id", f"must be a URL of at most {MAX_CREDENTIAL_ID_LENGTH} characters")
    return document


def _named_identity(
    organisation: Organisation,
    credential: dict[str, Any],
    identity: SigningIdentity,
    *,
    suite: str,
    with_status: bool,
) -> SigningIdentity:
    """A caller-written credential names its issuer (VCALM): the organisation's current DID, or,
    for an ecdsa-* proof by an organisation without a hosted did:web, its P-256 key's own did:key
    (then the proof's key is the issuer's DID itself, as verifiers elsewhere require). Returns
    the identity to sign as."""
    if "issuer" not in credential:
        detail = f"is required: name the issuer, {identity.did}, the DID of the organisation signing."
        raise IssuerRequired(
            f"/credential/issuer {detail}", errors=[{"pointer": "/credential/issuer", "detail": detail}]
        )
    issuer = credential["issuer"]
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id == identity.did:
        return identity
    if suite.startswith("ecdsa-") and identity.did.startswith("did:key:"):
        p256 = p256_identity(organisation, identity).key
        if issuer_id == p256.did:
            if with_status:
                raise UnsupportedOption(
                    f"options.credentialStatus: status lists are signed as {identity.did}; name it "
                    f"as the issuer (not {p256.did}) to have status entries added.",
                    option="credentialStatus",
                )
            return SigningIdentity(did=p256.did, key=p256)
        raise _refused(
            "/issuer",
            f"must be {identity.did} or, for {suite}, {p256.did}",
            "a DID of the organisation signing",
        )
    raise _refused("/issuer", f"must be {identity.did}", "the DID of the organisation signing")


def _check_first_context(credential: dict[str, Any], *, vcdm_1_1: bool) -> None:
    contexts = credential.get("@context")
    firsts = (CREDENTIALS_V2, CREDENTIALS_V1) if vcdm_1_1 else (CREDENTIALS_V2,)
    if not isinstance(contexts, list) or not contexts or contexts[0] not in firsts:
        raise _refused(
            "/@context",
            f"must be a list whose first item is {CREDENTIALS_V2}"
            + (f" (or {CREDENTIALS_V1})" if vcdm_1_1 else ""),
        )


def _check_contexts(document: dict[str, Any], *, allowed: frozenset[str], inline: bool) -> None:
    """Every context the document names, nested ones too (one scoped to a subject would bring its
    terms or a @vocab along), must be one we sign with; ``inline`` contexts are policed by strict
    JSON-LD (vc.jsonld) when the proof is made, and refused without it."""
    for path, context in context_references(document):
        if (isinstance(context, str) and context in allowed) or (inline and not isinstance(context, str)):
            continue
        hint = (
            " The examples context is refused unless VC_API_ALLOW_EXAMPLES_CONTEXT is on."
            if context == EXAMPLES_V2
            else ""
        )
        raise UnknownContext(
            f"This service does not sign credentials using the context {context!r}; name an "
            f"issuable context by its URL.{hint}",
            path=path,
            issuableContexts=sorted(allowed),
        )


def _registered_type(document: dict[str, Any]) -> CredentialType:
    credential_type = credential_type_of(document)
    missing = [c for c in credential_type.contexts if c not in document["@context"]]
    if missing:
        raise UnknownContext(
            f"A {credential_type.name} needs the contexts {list(credential_type.contexts)}; "
            f"missing {missing}.",
            path="/@context",
        )
    return credential_type


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


def _status_name(document: dict[str, Any], credential_id: str | None) -> str:
    """The credential id its status entries are recorded under; VCDM 2.0 only."""
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
    return name


# Issuer keys.


@transaction.atomic
def create_issuer_key(*, organisation: Organisation) -> IssuerKey:
    """Rotate an issuer's signing keys: every active key is retired (not deleted) and a new
    Ed25519 key and a new P-256 key are generated. Returns the Ed25519 key, whose did:key names
    the organisation when it has no hosted did:web."""
    if organisation.kind != Organisation.Kind.ISSUER:
        raise ValueError("Only issuers hold signing keys.")
    IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    signing_key = _new_key(organisation, Ed25519PrivateKey.generate())
    _new_key(organisation, ec.generate_private_key(ec.SECP256R1()))
    return signing_key


def _new_key(organisation: Organisation, private_key: PrivateKey) -> IssuerKey:
    did_key = did_key_for(private_key.public_key())
    key_id = uuid.uuid4()
    wrapped = seal_private_key(key_id, private_key)
    return IssuerKey.objects.create(
        id=key_id,
        organisation=organisation,
        key_type=IssuerKey.KeyType.ED25519
        if isinstance(private_key, Ed25519PrivateKey)
        else IssuerKey.KeyType.P256,
        did=did_key.did,
        public_key_multibase=did_key.multikey,
        kek_id=wrapped.kek_id,
        private_key_sealed=wrapped.sealed,
    )


def p256_identity(organisation: Organisation, identity: SigningIdentity | None = None) -> SigningIdentity:
    """The organisation's current DID with its active P-256 key (ecdsa-* proofs); raises NoSigningKey.

    An organisation whose keys were made before issuers held P-256 keys gets one here, on first
    use, beside its active Ed25519 key (no data migration: sealing needs the key ring, which a
    migration must not depend on, and an organisation that never issues again needs no key).
    Concurrent first uses create one key: the loser of the unique constraint reads the winner's.
    """
    identity = identity or current_identity(organisation)
    key = active_issuer_key(organisation, key_type=IssuerKey.KeyType.P256, required=False)
    if key is None:
        try:
            with transaction.atomic():
                key = _new_key(organisation, ec.generate_private_key(ec.SECP256R1()))
        except IntegrityError:
            key = active_issuer_key(organisation, key_type=IssuerKey.KeyType.P256)
    return SigningIdentity(did=identity.did, key=key)


@transaction.atomic
def mark_key_compromised(*, key: IssuerKey, note: str, at: datetime | None = None) -> IssuerKey:
    """Record that ``key``'s private half is compromised; from then on nothing it signed is trusted.

    An active key (Ed25519 or P-256) is rotated first, with its companion (create_issuer_key), so
    the issuer keeps issuing with new keys (an organisation that is no longer an issuer only has
    it retired). ``at`` (default now) is
    when the compromise was reported or found.
    Idempotent: a key already marked keeps its first report. Signed copies of the organisation's
    hosted did:web status lists are invalidated, so the next copy is signed with the new key
    (credentials.statuslist.list_signer). Raises KeyCompromiseInvalid for an empty note or an
    ``at`` in the future or before the key existed.
    """
    note = note.strip()
    if not note:
        raise KeyCompromiseInvalid("Say what happened in the note: who reported the compromise and how.")
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        raise KeyCompromiseInvalid("The time of compromise must carry a time zone.")
    locked = IssuerKey.objects.select_for_update().get(pk=key.pk)
    if locked.compromised_at is not None:
        return locked
    if at > now:
        raise KeyCompromiseInvalid(f"The time of compromise {at.isoformat()} is in the future.")
    if at < locked.created_at:
        raise KeyCompromiseInvalid(
            f"The time of compromise {at.isoformat()} is before the key was created "
            f"({locked.created_at.isoformat()})."
        )
    if locked.retired_at is None:
        if locked.organisation.kind == Organisation.Kind.ISSUER:
            create_issuer_key(organisation=locked.organisation)
            locked.refresh_from_db(fields=["retired_at"])
        else:  # no longer an issuer: it needs no new key
            locked.retired_at = now
    locked.compromised_at = at
    locked.compromise_note = note
    locked.save(update_fields=["retired_at", "compromised_at", "compromise_note"])
    # A hosted did:web list is signed by the current key; a new version is never served from the
    # cache of copies the compromised key signed. A did:key list has no other key to sign with.
    StatusList.objects.filter(organisation_id=locked.organisation_id).exclude(
        issuer_did__startswith="did:key:"
    ).update(version=F("version") + 1)
    return locked


# Status changes.


def check_status_reason(*, reason: str = "", note: str = "") -> tuple[str, str]:
    """The reason code and the note (stripped) a status change may carry, both optional.

    Raises StatusReasonInvalid for a code that is not a StatusReason or a note over
    MAX_STATUS_NOTE_CHARS, HiddenCharacters for a note with control or invisible characters.
    """
    if reason and reason not in StatusReason.values:
        raise StatusReasonInvalid(
            f"The reason must be one of {', '.join(StatusReason.values)}.", field="reason"
        )
    note = note.strip()
    if len(note) > MAX_STATUS_NOTE_CHARS:
        raise StatusReasonInvalid(
            f"The note is longer than {MAX_STATUS_NOTE_CHARS} characters.", field="note"
        )
    check_plain_text(note, field="/note", label="The note")
    return reason, note


@transaction.atomic
def update_status(
    *,
    issuer: Organisation,
    credential_id: str,
    purposes: list[str],
    value: bool,
    reason: str = "",
    note: str = "",
) -> None:
    """Set or clear each named status (revocation, suspension) of a credential ``issuer`` issued,
    optionally saying why: a StatusReason code and a short plain-text note (check_status_reason),
    kept with each status entry changed and the code logged in each holder's pod.

    All or nothing. Raises StatusReasonInvalid, HiddenCharacters, UnknownCredentialStatus (not
    issued by this issuer with a status), UnsupportedStatusPurpose or RevocationIsFinal.
    """
    reason, note = check_status_reason(reason=reason, note=note)
    for purpose in purposes:
        set_status(
            issuer=issuer, credential_id=credential_id, purpose=purpose, value=value, reason=reason, note=note
        )


# The trust registry.


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

    Every DID of the organisation is covered (credentials.selectors). Raises AccreditationInvalid
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


# Hosting did:web DIDs.


@transaction.atomic
def host_issuer_did(*, organisation: Organisation) -> HostedIssuerDid:
    """Host a did:web DID for an issuer; from then on it signs as that DID, with the keys we keep.

    Idempotent: an organisation already hosted gets its record back. Raises DidHostingRefused
    when hosting is off (ISSUER_DID_WEB_HOST empty), for a non-issuer, for a slug that cannot be a
    did:web path segment, for a DID already registered to an organisation, or when the
    organisation is hosted under another host name (a DID never moves).
    """
    authority = hosting_authority()
    if authority is None:
        raise DidHostingRefused(
            "Hosting did:web DIDs is off on this service: set ISSUER_DID_WEB_HOST to the host name "
            "it is served at over HTTPS."
        )
    if organisation.kind != Organisation.Kind.ISSUER:
        raise DidHostingRefused(f"{organisation.name} is not an issuer; only issuers sign credentials.")
    did = hosted_did_for(authority, organisation.slug)
    existing = HostedIssuerDid.objects.select_for_update().filter(organisation=organisation).first()
    if existing is not None:
        if not is_on_our_host(existing.did):
            raise DidHostingRefused(
                f"{organisation.name} is hosted as {existing.did}, which is not on ISSUER_DID_WEB_HOST "
                f"({settings.ISSUER_DID_WEB_HOST}); a DID cannot move to another host."
            )
        return existing
    try:
        did_web_to_url(did)
    except UnresolvableKey as exc:
        raise DidHostingRefused(
            f"The slug {organisation.slug!r} of {organisation.name} cannot be part of a did:web DID "
            "(letters, digits, '.', '_', '~' and '-' only).",
            did=did,
        ) from exc
    if (
        HostedIssuerDid.objects.filter(did=did).exists()
        or ExternalIssuerDid.objects.filter(did=did).exists()
        or IssuerKey.objects.filter(did=did).exists()
    ):
        raise DidHostingRefused(f"{did} already belongs to an organisation in the registry.", did=did)
    try:
        with transaction.atomic():  # without a row lock (SQLite), the unique constraints decide
            return HostedIssuerDid.objects.create(organisation=organisation, did=did)
    except IntegrityError:
        # Hosted by a concurrent call in the meantime: the same DID is the same answer.
        concurrent = HostedIssuerDid.objects.filter(organisation=organisation, did=did).first()
        if concurrent is None:
            raise DidHostingRefused(
                f"{did} already belongs to an organisation in the registry.", did=did
            ) from None
        return concurrent
