"""Credential types in words for the portal: the registry's display names (vc.types)."""

from collections.abc import Iterable

from django import template
from django.utils.translation import gettext

from vc.types import CREDENTIAL_TYPES

register = template.Library()


@register.filter
def type_name(name: str) -> str:
    """ "DiplomaCredential" → "Diploma"; a name the registry does not know is shown as it is."""
    registered = CREDENTIAL_TYPES.get(name)
    return registered.display_name if registered else name


@register.filter
def type_names(names: Iterable[str]) -> str:
    """A list of type names, in words, comma-separated."""
    return ", ".join(type_name(name) for name in names)


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
    return ", ".join(gettext(labels[pointer]) if pointer in labels else pointer for pointer in pointers)
