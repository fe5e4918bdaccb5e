"""Credential types in words for the portal: the registry's display names (vc.types)."""

from collections.abc import Iterable

from django import template

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
