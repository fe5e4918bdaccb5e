"""My data's refusals in the citizen's language, by their code (core.refusals.in_words), as
vault.portal.refusals does for the issuer console: what vault.documents.store_document,
vault.podexport.download_export and vault.erasure may refuse on the My data page. A code not here
keeps the service's English detail, marked as English; tests/portal/test_my_data_refusals.py
reads the services' code and fails on a refusal without words."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.refusals import Words

_ERASED = _("Your pod has been erased: nothing in it can be read or changed any more.")
_NO_POD = _("You have no pod yet.")

# Uploading a document (vault.documents.store_document).
UPLOAD_REFUSALS: Mapping[str, Words] = {
    "unknown-document-type": _(
        "Choose what kind of document this is: a CV, a transcript of records or a scan."
    ),
    "unsupported-media-type": _(
        "This file is not accepted for this kind of document: a CV and a transcript of records are PDF "
        "files, a scan is a PDF, PNG or JPEG file, and the file must be complete (its content is "
        "checked, not its name)."
    ),
    "invalid-document-name": _(
        "The file's name cannot be kept: rename it to at most 200 characters, without slashes or quotes, "
        "and upload it again."
    ),
    "payload-too-large": _(
        "The document is too large: one document, or all your documents together, would take more room "
        "than your pod allows. Delete a document you no longer need, or upload a smaller file."
    ),
    "truncated-upload": _("The file arrived empty or incomplete: upload it again."),
    "length-required": _("The file arrived without its size: upload it again."),
    "pod-erased": _ERASED,
    "pod-not-found": _NO_POD,
}

# Downloading an export (vault.podexport.download_export); another's is a 404.
EXPORT_REFUSALS: Mapping[str, Words] = {
    "export-expired": _("This export can no longer be downloaded: its time is over. Prepare a new export."),
    "export-not-ready": _("This export is not ready yet: this page shows its progress."),
    "pod-erased": _ERASED,
    "pod-not-found": _NO_POD,
}

# Asking for the pod's erasure, and cancelling it (vault.erasure).
ERASURE_REFUSALS: Mapping[str, Words] = {
    "erasure-pending": _("Your pod's erasure is already asked for: cancel it, or wait for it."),
    "pod-erased": _ERASED,
    "pod-not-found": _NO_POD,
}
ERASURE_CANCEL_REFUSALS: Mapping[str, Words] = {
    "erasure-not-pending": _("No erasure of your pod is waiting any more: there is nothing to cancel."),
    "pod-erased": _ERASED,
    "pod-not-found": _NO_POD,
}
