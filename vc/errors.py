"""The errors of the vc library: each carries what an RFC 9457 problem document needs.

``VcError`` is the base of every error a caller may show: ``code`` is a stable slug (the problem
``type``), ``title`` a short summary, ``status`` the HTTP status it maps to, ``detail`` the human
explanation, and keyword arguments become ``extra`` members. The application's own errors
(core.errors.DomainError) build on it, so one handler maps both.
"""

from typing import Any


class VcError(Exception):
    """A rule refused the input; ``code``, ``title``, ``status``, ``detail`` and ``extra`` describe it."""

    code = "request-refused"
    title = "The request was refused"
    status = 400

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class Invalid(VcError):
    code = "invalid"
    title = "The content is not acceptable"
    status = 422


class ShippedFileInvalid(Exception):
    """A context or schema file shipped with the library does not match its manifest: refuse to start."""


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


class DidDocumentInvalid(UnresolvableKey):
    """A DID document (fetched or pinned) breaks the rules we resolve keys by, so its keys do not resolve."""

    code = "invalid-did-document"
    title = "The DID document is not acceptable"


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


class HolderNotSubject(PresentationInvalid):
    """The presentation's holder is missing or is not the subject of one of its credentials."""

    code = "holder-not-subject"
    title = "The presentation's holder is not the subject of its credentials"
