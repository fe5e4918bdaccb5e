from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


class RequestNotFound(NotFound):
    code = "access-request-not-found"
    title = "No such access request"


class GrantNotFound(NotFound):
    code = "grant-not-found"
    title = "No such grant"


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "Not possible in the current state"


class InvalidRequest(Invalid):
    code = "invalid-access-request"
    title = "The access request is not acceptable"


class InvalidNarrowing(Invalid):
    code = "invalid-narrowing"
    title = "An approval may only narrow what was asked"


class InvalidRead(Invalid):
    code = "invalid-read"
    title = "The read is not acceptable"


class UnknownPurpose(DomainError):
    code = "unknown-purpose"
    title = "Not a purpose this service knows"
    status = 400


class AccessDenied(Forbidden):
    """The consent engine denied a read; ``code`` says why (see consent.decisions)."""

    title = "Access denied"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, reason=code)
        self.code = code


class InvalidMandate(Invalid):
    code = "invalid-mandate"
    title = "The mandate is not acceptable"


class MandateNotFound(NotFound):
    code = "mandate-not-found"
    title = "No such mandate"


class InvalidCaseReference(Invalid):
    """A legal read without a usable case reference: refused, and logged in each citizen's pod."""

    code = "case-reference-missing"
    title = "A legal read states a case reference"
    status = 400


class SignatureRequired(DomainError):
    code = "signature-required"
    title = "Access requests must be signed"
    status = 400


class SignatureRefused(DomainError):
    """A signed request whose proof we do not accept; ``reason`` says why (consent.signing)."""

    code = "signature-refused"
    title = "The access request's signature is not accepted"
    status = 400


class SignedRequestReplayed(Conflict):
    code = "signed-request-replayed"
    title = "This signed request was received before"


class EvidenceNotFound(NotFound):
    code = "evidence-not-found"
    title = "No signed request kept for that access request"
