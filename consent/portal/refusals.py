"""The consent service's refusals in the console member's language.

consent.services refuses with a stable code (the problem type of the API) and an English
``detail`` for programs and logs. The console shows the refusals it can meet in words of the
active language, by their code; a refusal it does not know yet keeps its English detail rather
than saying nothing.
"""

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vc.errors import VcError

# A read under a grant (the console reads all the grant covers, for its own purpose): the consent
# engine's reasons (consent.decisions) and the disclosure's; they end "The read was refused: …".
READ_REFUSALS: Mapping[str, Promise] = {
    "grant-revoked": _("the candidate revoked this access."),
    "grant-withdrawn": _("your organisation gave up this access."),
    "grant-expired": _("this access has expired."),
    "grant-exhausted": _("every read this access allowed has been used."),
    "grant-ended": _("this access has ended."),
    "grant-not-yet-valid": _("this access has not begun yet."),
    "out-of-scope": _("this access covers no credentials, only documents."),
    "fields-not-disclosable": _(
        "a credential the candidate shared can only be shared whole, and this access covers only some "
        "of its fields."
    ),
}

# Withdrawing a request: only a request still waiting for its answer can be withdrawn.
WITHDRAW_REFUSALS: Mapping[str, Promise] = {
    "invalid-transition": _("This request was answered or has ended: it can no longer be withdrawn."),
}

# Giving up an access: only an active one can be given up.
GIVE_UP_REFUSALS: Mapping[str, Promise] = {
    "invalid-transition": _("This access has ended already: there is nothing to give up."),
}

# Filing a request: what the service may still refuse after the form's own checks.
FILING_REFUSALS: Mapping[str, Promise] = {
    "hidden-characters": _(
        "The description holds characters that hide or reorder what is shown. Type it again without them."
    ),
    "unknown-credential-type": _("One of the credential types is not one this service knows."),
}


def in_words(exc: VcError, known: Mapping[str, Promise]) -> str:
    """``exc`` in the active language when its code is one of ``known``; else its English detail."""
    words = known.get(exc.code)
    return str(words) if words is not None else exc.detail
