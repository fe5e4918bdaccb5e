from core.errors import Conflict, DomainError, Forbidden, NotFound


class PodNotFound(NotFound):
    code = "pod-not-found"
    title = "No pod"


class PodErased(DomainError):
    """The pod's keys were destroyed by its erasure; its rows may not be deleted yet."""

    code = "pod-erased"
    title = "This pod has been erased"
    status = 410


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


class DocumentNotFound(NotFound):
    code = "document-not-found"
    title = "No document"


class UnknownDocumentType(DomainError):
    code = "unknown-document-type"
    title = "Not a document type this vault keeps"
    status = 400


class UnsupportedContentType(DomainError):
    code = "unsupported-media-type"
    title = "This content type is not accepted for this document type"
    status = 415


class OverQuota(DomainError):
    code = "payload-too-large"
    title = "Payload too large"
    status = 413


class TruncatedUpload(DomainError):
    code = "truncated-upload"
    title = "The upload ended before its declared length"
    status = 400


class LengthRequired(DomainError):
    code = "length-required"
    title = "A Content-Length is required"
    status = 411


class LogCheckNotFound(NotFound):
    code = "log-check-not-found"
    title = "No such check of your log"


class ExportNotFound(NotFound):
    code = "export-not-found"
    title = "No export"


class ExportNotReady(Conflict):
    code = "export-not-ready"
    title = "The export is not ready"


class ExportExpired(DomainError):
    code = "export-expired"
    title = "The export's download link has expired"
    status = 410


class ImportRefused(DomainError):
    code = "import-refused"
    title = "The archive cannot be imported"
    status = 422


class PodNotEmpty(Conflict):
    code = "pod-not-empty"
    title = "Import only into an empty pod"


class ErasureNotPending(Conflict):
    code = "erasure-not-pending"
    title = "No erasure of this pod is pending"


class ErasurePending(Conflict):
    code = "erasure-pending"
    title = "An erasure of this pod is already pending"


class InvalidDocumentName(DomainError):
    code = "invalid-document-name"
    title = "The document's name is not acceptable"
    status = 400


class NotDisclosable(Forbidden):
    """A read may release only some fields of a credential that cannot be narrowed (it holds no
    ecdsa-sd-2023 base proof to derive from): it can only be shared whole."""

    code = "fields-not-disclosable"
    title = "This credential can only be shared whole"
