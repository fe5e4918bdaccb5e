"""Credentials and their states in words for the portal, in the active language."""

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.templatetags.moments import moment
from credentials import verification as checks
from vault.portal.presenting import State
from vault.portal.presenting import type_name as _type_name
from vc.types import CREDENTIAL_TYPES

register = template.Library()

# Badges: the credential's state, and the states of requests and grants.
STATE_WORDS = {
    State.VERIFIED: gettext_lazy("verified"),
    State.SUSPENDED: gettext_lazy("suspended"),
    State.REVOKED: gettext_lazy("revoked"),
    State.EXPIRED: gettext_lazy("expired"),
    State.UNTRUSTED: gettext_lazy("issuer not recognised"),
    State.INVALID: gettext_lazy("signature invalid"),
    "active": gettext_lazy("active"),
    "pending": gettext_lazy("waiting for you"),
    "approved": gettext_lazy("approved"),
    "denied": gettext_lazy("denied"),
    # Ended by the other side: a request the requester took back, a grant the grantee gave up.
    "withdrawn": gettext_lazy("withdrawn"),
    "exhausted": gettext_lazy("all reads used"),
}


# A grant's badge where the generic word would leave the citizen guessing who ended it.
GRANT_STATE_WORDS = {"withdrawn": gettext_lazy("withdrawn by the grantee")}


@register.filter
def grant_state_label(state: str) -> str:
    """A grant's badge: "withdrawn by the grantee" (the organisation gave it up), else as state_label."""
    words = GRANT_STATE_WORDS.get(state)
    return str(words) if words is not None else state_label(state)


@register.filter
def type_name(name: str) -> str:
    """ "DiplomaCredential" → "Diploma" (translated); a name the registry does not know is shown as it is."""
    return _type_name(name)


@register.filter
def type_names(names: Iterable[str]) -> str:
    """A list of type names, in words, comma-separated."""
    return ", ".join(_type_name(name) for name in names)


@register.filter
def state_label(state: str) -> str:
    """A badge's words: "revoked" → "ingetrokken" in Dutch; an unknown state as it is."""
    words = STATE_WORDS.get(state)
    return str(words) if words is not None else state


@register.filter
def check_name(name: str) -> str:
    """The four checks of a verification, in words."""
    return {
        "proof": _("Signature"),
        "issuer_trusted": _("Issuer recognised"),
        "validity": _("Validity period"),
        "status": _("Not revoked or suspended"),
    }.get(name, name)


# What each check found, in the reader's language, by (check, code): the code of the check
# (credentials.verification.CHECK_CODES) or of the error it failed with. A code left out here
# still reads as its outcome ("Passed.", "Failed.", "Not checked."), with the English detail
# under "Technical detail".
_BAD_DOCUMENT = gettext_lazy("The credential is not well formed, so its signature cannot be checked.")
_STATUS_UNREADABLE = gettext_lazy(
    "Its status could not be checked: the issuer's status list could not be read, or does not hold it."
)
CHECK_SENTENCES = {
    ("proof", checks.SIGNED): gettext_lazy(
        "Signed by its issuer: the signature covers every claim, so nothing was changed since."
    ),
    ("proof", "invalid-proof"): gettext_lazy(
        "The signature does not match: the credential was changed after it was signed, or not signed "
        "with the key it names."
    ),
    ("proof", "unresolvable-verification-method"): gettext_lazy(
        "The key it says it was signed with cannot be found, so the signature cannot be checked."
    ),
    ("proof", "invalid-credential"): _BAD_DOCUMENT,
    ("proof", "unknown-context"): _BAD_DOCUMENT,
    ("proof", "undefined-term"): _BAD_DOCUMENT,
    ("proof", "invalid-json-ld"): _BAD_DOCUMENT,
    ("proof", "not-canonicalizable"): _BAD_DOCUMENT,
    ("issuer_trusted", checks.ACCREDITED): gettext_lazy(
        "Its issuer is accredited in the trust registry for this kind of credential."
    ),
    ("issuer_trusted", "issuer-not-trusted"): gettext_lazy(
        "Its issuer is not accredited in the trust registry for this kind of credential, or the key it "
        "signed with is no longer trusted."
    ),
    ("validity", checks.VALID_OPEN_ENDED): gettext_lazy("Valid, with no end date."),
    ("validity", checks.VALID_UNTIL): gettext_lazy("Valid until %(until)s."),
    ("validity", "not-yet"): gettext_lazy("Not valid before %(from)s."),
    ("validity", "expired"): gettext_lazy("Expired on %(until)s."),
    ("validity", "credential-not-valid-now"): gettext_lazy("Not within its validity period."),
    ("status", checks.NO_STATUS): gettext_lazy("It carries no status entry: its issuer cannot revoke it."),
    ("status", checks.NOT_REVOKED): gettext_lazy("Neither revoked nor suspended by its issuer."),
    ("status", "credential-revoked"): gettext_lazy("Revoked by its issuer."),
    ("status", "credential-suspended"): gettext_lazy("Suspended by its issuer."),
    ("status", "invalid-status-entry"): _STATUS_UNREADABLE,
    ("status", "invalid-status-list"): _STATUS_UNREADABLE,
    ("status", "remote-fetch-failed"): _STATUS_UNREADABLE,
    ("status", checks.ISSUER_NOT_TRUSTED): gettext_lazy(
        "Not checked: the status of a credential whose issuer is not recognised is not looked up."
    ),
}
OUTCOME_SENTENCES = {
    "passed": gettext_lazy("Passed."),
    "failed": gettext_lazy("Failed."),
    "not-checked": gettext_lazy("Not checked."),
}


@register.simple_tag
def check_sentence(
    name: str, check: checks.Check, valid_from: datetime | None = None, valid_until: datetime | None = None
) -> SafeString:
    """What ``check`` (the check called ``name`` of a credential's verification) found, in a
    sentence of the active language; ``valid_from`` and ``valid_until`` are the credential's, for
    the validity check's dates."""
    code = check.code
    if check.code == checks.AFTER_FAILED_PROOF:
        return format_html("{}", _("Not checked: the signature did not verify."))
    if name == "validity" and code == "credential-not-valid-now":
        if valid_from is not None and valid_from > timezone.now():
            code = "not-yet"
        elif valid_until is not None:
            code = "expired"
    if name == "validity" and code == checks.VALID_UNTIL and valid_until is None:
        code = checks.VALID_OPEN_ENDED  # a date we could not read: say no more than "valid"
    sentence = CHECK_SENTENCES.get((name, code)) or OUTCOME_SENTENCES.get(str(check.outcome)) or ""
    # The sentence is escaped as any text; the dates it names go in as <time> elements.
    dates = {"from": moment(valid_from), "until": moment(valid_until)}
    return mark_safe(conditional_escape(sentence) % dates)  # noqa: S308 - escaped above


@register.filter
def check_outcome(outcome: str) -> str:
    return {"passed": _("passed"), "failed": _("failed"), "not-checked": _("not checked")}.get(
        str(outcome), str(outcome)
    )


@register.filter
def claim_labels(pointers: Iterable[str], type_name_: str) -> str:
    """JSON pointers into a credential of this type ("/credentialSubject/degree/name"), in words
    ("Degree"): the registry's labels; a pointer it does not list is shown as it is."""
    registered = CREDENTIAL_TYPES.get(type_name_)
    labels = (
        {f"/credentialSubject{claim.pointer}": claim.label for claim in registered.claims}
        if registered
        else {}
    )
    return ", ".join(_(labels[pointer]) if pointer in labels else pointer for pointer in pointers)
