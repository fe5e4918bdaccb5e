"""Purposes in plain words for the portal: "dpv:HumanResourceManagement" → what it means."""

from django import template

from consent.models import Purpose

register = template.Library()


@register.filter
def purpose_label(code: str) -> str:
    """The purpose's words in the active language; a code we do not know is shown as it is."""
    try:
        return str(Purpose(code).label)
    except ValueError:
        return code
