"""The issuing services' refusals in the issuer console member's language, by their code
(core.refusals.in_words): what vault.services.issue_into_pod, vault.batches.submit_batch and
credentials.services.update_status may still refuse after the console's forms checked what they
can. A code not here keeps the service's English detail, marked as English."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.refusals import WithDetail, Words

_SUSPENDED = _("Your organisation is suspended: it cannot issue credentials.")
_NO_KEY = _("Your organisation has no active signing key: an operator must make one before it can issue.")
_UNKNOWN_TYPE = _("This credential type is not one this service knows.")

# One credential through the form.
ISSUE_REFUSALS: Mapping[str, Words] = {
    "organisation-suspended": _SUSPENDED,
    "no-signing-key": _NO_KEY,
    "unknown-credential-type": _UNKNOWN_TYPE,
    "duplicate-credential": _("The citizen's pod already holds this credential."),
    "invalid-credential": WithDetail(_("The credential would not be valid:")),
}

# A class as a CSV: the file's own faults name the line and column, in the service's English.
BATCH_REFUSALS: Mapping[str, Words] = {
    "organisation-suspended": _SUSPENDED,
    "no-signing-key": _NO_KEY,
    "unknown-credential-type": _UNKNOWN_TYPE,
    "payload-too-large": _("The file is too large for one class: split it into several files."),
    "invalid-batch-csv": WithDetail(_("The file cannot be read as a class:")),
}

# Revoking, suspending, reinstating.
STATUS_REFUSALS: Mapping[str, Words] = {
    "revocation-is-final": _("This credential is revoked: a revocation cannot be undone."),
    "unknown-credential-status": _(
        "Your organisation holds no status of this credential that it could change."
    ),
}
