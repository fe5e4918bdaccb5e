from core.errors import Conflict, DomainError, Forbidden, NotFound


class PodNotFound(NotFound):
    code = "pod-not-found"
    title = "No pod"


class DuplicateCredential(Conflict):
    code = "duplicate-credential"
    title = "This pod already holds a credential with that id"


class OrganisationSuspended(Forbidden):
    code = "organisation-suspended"
    title = "The organisation is suspended"


class BatchCsvInvalid(DomainError):
    code = "invalid-batch-csv"
    title = "The CSV cannot be read as a batch"
    status = 400


class BatchTooLarge(DomainError):
    code = "payload-too-large"
    title = "Payload too large"
    status = 413


class BatchNotFound(NotFound):
    code = "batch-not-found"
    title = "No batch"


class LogProofUnavailable(DomainError):
    code = "log-proof-unavailable"
    title = "No such proof in this log"
    status = 400
