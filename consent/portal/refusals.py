"""The consent service's refusals in the page's language: the citizen's decisions, the
employer's console and the agency's.

consent.services refuses with a stable code (the problem type of the API) and an English
``detail`` for programs and logs. Each page shows the refusals it can meet in words of the
active language, by their code (core.refusals.in_words); a refusal it does not know yet keeps
its English detail, marked as English, rather than saying nothing.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.refusals import Words, code_in_words, in_sentence, in_words

__all__ = [
    "APPROVE_REFUSALS",
    "DENY_REFUSALS",
    "DOCUMENT_REFUSALS",
    "FILING_REFUSALS",
    "GIVE_UP_REFUSALS",
    "LEGAL_READ_REFUSALS",
    "READ_LIMIT_REFUSALS",
    "READ_REFUSALS",
    "REVOKE_REFUSALS",
    "WITHDRAW_REFUSALS",
    "code_in_words",
    "in_sentence",
    "in_words",
]

# A read under a grant (the console reads all the grant covers, for its own purpose): the consent
# engine's reasons (consent.decisions) and the disclosure's; they end "The read was refused: …".
READ_REFUSALS: Mapping[str, Words] = {
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

# Opening the documents a grant shares: as a read, or a document the grant does not cover.
DOCUMENT_REFUSALS: Mapping[str, Words] = {
    **READ_REFUSALS,
    "document-not-found": _(
        "this access covers no such document: the candidate may have deleted it, or it is of a kind "
        "they did not share."
    ),
}

# Withdrawing a request: only a request still waiting for its answer can be withdrawn.
WITHDRAW_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This request was answered or has ended: it can no longer be withdrawn."),
}

# Giving up an access: only an active one can be given up.
GIVE_UP_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This access has ended already: there is nothing to give up."),
}

# Filing a request: what the service may still refuse after the form's own checks.
FILING_REFUSALS: Mapping[str, Words] = {
    "hidden-characters": _(
        "The description holds characters that hide or reorder what is shown. Type it again without them."
    ),
    "unknown-credential-type": _("One of the credential types is not one this service knows."),
}


# The citizen's decisions (consent.portal.views): what the service may still refuse after the
# forms' own checks, typically because the request or the access changed meanwhile.
APPROVE_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This request was answered or has ended: it can no longer be approved."),
    "invalid-narrowing": _(
        "You can share less than was asked, never more: choose among the types, fields, dates and "
        "reads the request names."
    ),
}

DENY_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This request was answered or has ended: it can no longer be denied."),
    "hidden-characters": _(
        "Your reason holds characters that hide or reorder what is shown. Type it again without them."
    ),
}

REVOKE_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This access has ended already: there is nothing to revoke."),
}

READ_LIMIT_REFUSALS: Mapping[str, Words] = {
    "invalid-transition": _("This access has ended: its read limit can no longer change."),
    "invalid-narrowing": _(
        "The limit can only be lowered, and not below the reads already made. Revoke the access to "
        "stop all reads."
    ),
}

# The agency's read under a mandate (consent.portal.agency): the refusal of the whole read, and
# each citizen's (consent.decisions.decide_legal_read, and the read's own checks).
LEGAL_READ_REFUSALS: Mapping[str, Words] = {
    "not-an-agency": _("Only a public agency reads under a mandate."),
    "no-mandate": _("Your agency holds no such mandate."),
    "not-mandate-holder": _("This mandate was not given to your agency."),
    "mandate-ended": _("This mandate has ended."),
    "mandate-not-yet-valid": _("This mandate is not in force yet."),
    "mandate-expired": _("This mandate has expired."),
    "case-reference-missing": _(
        "Give the case reference of the file this read is for: letters, digits, spaces and ./_:#()-, "
        "beginning with a letter or digit."
    ),
    "out-of-mandate": _("The mandate does not cover this credential type."),
    "field-out-of-mandate": _("The mandate does not cover these fields."),
    "fields-not-disclosable": _(
        "A credential this citizen holds can only be read whole, and the mandate covers only some of "
        "its fields."
    ),
    "unknown-credential-type": _("This credential type is not one this service knows."),
    "citizen-not-found": _("No citizen with this national register number has a pod here. Check the number."),
}
