"""The errors of issuer state and the VC API; the errors of the VC library itself are vc.errors."""

from core.errors import Conflict, Invalid, NotFound


class NoSigningKey(Conflict):
    code = "no-signing-key"
    title = "The organisation has no active signing key"


class RemoteFetchFailed(Invalid):
    """A remote document (did:web, status list) could not be fetched safely; ``detail`` says why."""

    code = "remote-fetch-failed"
    title = "A remote document could not be fetched"


# Status lists (credentials.statuslist) and the verification result (credentials.verification).


class UnknownCredentialStatus(NotFound):
    """No status entry of this issuer for that credential: unknown to us, or issued by someone else."""

    code = "unknown-credential-status"
    title = "This issuer has no status entry for that credential"


class UnknownStatusList(NotFound):
    code = "unknown-status-list"
    title = "There is no such status list"


class UnsupportedStatusPurpose(Invalid):
    code = "unsupported-status-purpose"
    title = "The status purpose is not one this service manages"


class RevocationIsFinal(Conflict):
    code = "revocation-is-final"
    title = "A revoked credential cannot be reinstated"


class CredentialRevoked(Invalid):
    code = "credential-revoked"
    title = "The credential has been revoked by its issuer"


class CredentialSuspended(Invalid):
    code = "credential-suspended"
    title = "The credential is suspended by its issuer"


class CredentialNotValidNow(Invalid):
    """Outside its validity period (validFrom / validUntil)."""

    code = "credential-not-valid-now"
    title = "The credential is not within its validity period"


class IssuerNotTrusted(Invalid):
    code = "issuer-not-trusted"
    title = "The issuer is not accredited for this credential type"


class UnsupportedOption(Invalid):
    """A VC API option is unknown or has a value we do not support (VCALM UNKNOWN_OPTION_PROVIDED)."""

    code = "unsupported-option"
    title = "An option is unknown or its value is not supported"
    status = 400


class IssuerRequired(Invalid):
    """VC API issuance: the caller names the issuer (VCALM); a credential without one is a 400."""

    code = "issuer-required"
    title = "The credential names no issuer"
    status = 400


class NotVerified(Invalid):
    """A VC API verification found errors; the VCALM result (verified, checks, errors) rides along."""

    code = "not-verified"
    title = "The credential or presentation did not verify"


class AccreditationInvalid(Invalid):
    code = "invalid-accreditation"
    title = "The accreditation cannot be recorded"


# Hosted did:web issuer DIDs (credentials.hosted).


class DidHostingRefused(Invalid):
    code = "did-hosting-refused"
    title = "This service cannot host a did:web DID for that organisation"


class UnknownIssuerDid(NotFound):
    code = "unknown-issuer-did"
    title = "This service hosts no DID for that issuer"


# Issuer keys reported compromised (credentials.services.mark_key_compromised).


class KeyCompromiseInvalid(Invalid):
    code = "invalid-key-compromise"
    title = "The key compromise cannot be recorded"


class StatusReasonInvalid(Invalid):
    """A status change's reason is not one of StatusReason, or its note is too long."""

    code = "invalid-status-reason"
    title = "The reason given for the status change is not acceptable"
