from core.errors import Conflict, Invalid


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


class NotVerified(Invalid):
    """A VC API verification found errors; the VCALM result (verified, checks, errors) rides along."""

    code = "not-verified"
    title = "The credential or presentation did not verify"
