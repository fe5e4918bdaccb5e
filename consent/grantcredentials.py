"""Access-grant credentials: each grant, signed by the service, for anyone the grantee shows it to.

On approval the service issues an ``AccessGrantCredential`` (credentials.service_identity, which
knows nothing of grants: we hand it the subject) saying who may read what, for which purpose,
until when and how many times, and from whom: not the citizen's national id, but a pseudonym of
the pod for this grantee alone (``data_subject``), so two grantees cannot link their grants to
the same person, while one grantee sees its grants of one citizen under one name. Its terms are
our own JSON-LD context (vc/contexts/citizen-vault-access-grant-v1.jsonld).

The credential carries a Bitstring Status List entry; ``revoke_for`` sets its bit in the
transaction in which the grant ends (revoked, withdrawn, expired, exhausted), so a third party
that checks the service's public status list, anonymously or at /credentials/verify, never
sees a grant that ended as holding, and a rolled-back end leaves the bit unset.
"""

import uuid
from typing import Any

from django.utils.crypto import salted_hmac

from credentials.service_identity import issue_service_credential, revoke_service_credential
from vc.jsonld import ACCESS_GRANT_V1

from .models import Grant, GrantCredential

CREDENTIAL_TYPE = "AccessGrantCredential"
SUBJECT_TYPE = "AccessGrant"
_PSEUDONYM_SALT = "citizen-vault/access-grant/data-subject/v1"


def data_subject(grant: Grant) -> str:
    """The citizen as this grantee knows them in its credentials: a UUID URN keyed by the pod and
    the grantee (HMAC under SECRET_KEY), the same for every grant of this pod to this grantee,
    unlinkable across grantees, and telling nothing of the national id or the pod id."""
    digest = salted_hmac(_PSEUDONYM_SALT, f"{grant.pod_id}|{grant.grantee_id}", algorithm="sha256").digest()
    return uuid.UUID(bytes=digest[:16], version=4).urn


def subject_of(grant: Grant) -> dict[str, Any]:
    """The credentialSubject: the grant, in the terms of the access-grant context."""
    claims = grant.scope.claims
    subject: dict[str, Any] = {
        "id": f"urn:uuid:{grant.pk}",
        "type": SUBJECT_TYPE,
        "grantee": {"id": f"urn:uuid:{grant.grantee_id}", "name": grant.grantee.name},
        "dataSubject": data_subject(grant),
        "purpose": grant.purpose,
        "scope": [
            {"credentialType": name} | ({"claims": list(claims[name])} if name in claims else {})
            for name in grant.credential_types
        ]
        + [{"documentType": name} for name in grant.document_types],
    }
    if grant.max_reads is not None:
        subject["maxReads"] = grant.max_reads
    return subject


def issue_for(grant: Grant) -> GrantCredential:
    """Sign the grant's credential and keep it, in the approval's transaction."""
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    document = issue_service_credential(
        credential_id=credential_id,
        types=[CREDENTIAL_TYPE],
        contexts=[ACCESS_GRANT_V1],
        subject=subject_of(grant),
        valid_from=grant.valid_from,
        valid_until=grant.valid_until,
    )
    return GrantCredential.objects.create(grant=grant, credential_id=credential_id, document=document)


def revoke_for(grant: Grant) -> None:
    """Set the revocation bit of the grant's credential (if it has one), in the caller's
    transaction: the grant ends and its credential stops verifying, together or not at all."""
    credential_id = (
        GrantCredential.objects.filter(grant_id=grant.pk).values_list("credential_id", flat=True).first()
    )
    if credential_id is not None:
        revoke_service_credential(credential_id=credential_id)


def reissue_for(grant: Grant) -> GrantCredential | None:
    """After the citizen lowered the read limit: the credential that said more reads is revoked
    and one that says the new limit replaces it (the grantee fetches it again). None for a grant
    that had no credential."""
    held = GrantCredential.objects.select_for_update().filter(grant_id=grant.pk).first()
    if held is None:
        return None
    revoke_service_credential(credential_id=held.credential_id)
    held.delete()
    return issue_for(grant)
