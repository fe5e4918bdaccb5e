"""Credentials and their states in words for the portal, in the active language."""

from collections.abc import Iterable

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
