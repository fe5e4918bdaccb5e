from core.errors import Conflict, Invalid, NotFound


class CredentialInvalid(Invalid):
    """The credential breaks the VC Data Model; ``errors`` lists each violation by path."""

    code = "invalid-credential"
    title = "The credential is not a valid VC Data Model 2.0 credential"


class UnknownContext(Invalid):
    code = "unknown-context"
    title = "The document uses a JSON-LD context this service does not know"


class UndefinedTerm(Invalid):
    code = "undefined-term"
    title = "The document uses a term its contexts do not define"


class JsonLdInvalid(Invalid):
    code = "invalid-json-ld"
    title = "The document is not valid JSON-LD"


class UnknownCredentialType(Invalid):
    code = "unknown-credential-type"
    title = "This service does not issue or hold credentials of that type"


class ProofInvalid(Invalid):
    code = "invalid-proof"
    title = "The proof does not verify"


class UnresolvableKey(Invalid):
    code = "unresolvable-verification-method"
    title = "The verification method cannot be resolved"


class NoSigningKey(Conflict):
    code = "no-signing-key"
    title = "The organisation has no active signing key"


class RemoteFetchFailed(Invalid):
    """A remote document (did:web, status list) could not be fetched safely; ``detail`` says why."""

    code = "remote-fetch-failed"
    title = "A remote document could not be fetched"


class DidDocumentInvalid(UnresolvableKey):
    """A DID document (fetched or pinned) breaks the rules we resolve keys by, so its keys do not resolve."""

    code = "invalid-did-document"
    title = "The DID document is not acceptable"


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


class StatusListInvalid(Invalid):
    """A status entry or the status list it points to cannot be used; ``detail`` names the rule."""

    code = "invalid-status-list"
    title = "The credential's status cannot be checked"


class StatusEntryInvalid(StatusListInvalid):
    """A credentialStatus entry cannot be checked as written: malformed, or of a type or purpose
    this service does not check. ``errors`` lists each violation as {path, rule, detail}; ``path``
    is the first. It is the credential's own data that fails, so verification counts it an error."""

    code = "invalid-status-entry"
    title = "A status entry of the credential cannot be checked"


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


class ProofOptionsInvalid(Invalid):
    """A proof cannot be created with the options given (unknown cryptosuite, bad dates, ...)."""

    code = "invalid-proof-options"
    title = "The proof cannot be created with these options"


class NotCanonicalizable(Invalid):
    """The JSON cannot be canonicalized (RFC 8785 JCS): numbers outside IEEE 754, non-string keys."""

    code = "not-canonicalizable"
    title = "The document cannot be canonicalized"


class PresentationInvalid(Invalid):
    """The presentation breaks the VC Data Model (§4.13); ``errors`` lists each violation by path."""

    code = "invalid-presentation"
    title = "The presentation is not a valid VC Data Model 2.0 presentation"


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


# Issuer keys reported compromised (credentials.keys.mark_key_compromised).


class KeyCompromiseInvalid(Invalid):
    code = "invalid-key-compromise"
    title = "The key compromise cannot be recorded"


# Presentations (credentials.presentations): who presents is not always whom the credentials are about.


class HolderNotSubject(PresentationInvalid):
    """The presentation's holder is missing or is not the subject of one of its credentials."""

    code = "holder-not-subject"
    title = "The presentation's holder is not the subject of its credentials"
