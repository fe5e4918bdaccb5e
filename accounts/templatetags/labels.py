"""A label and its value joined as the page's language writes it (core.words.labelled)."""

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from core.words import labelled as _labelled

register = template.Library()


@register.filter
def labelled(label: Any, value: Any) -> SafeString:
    """``{{ label|labelled:value }}``: "Attestation lue : Diplôme" in French, "Credential read:
    Diploma" in English; both sides escaped."""
    return mark_safe(_labelled(conditional_escape(label), conditional_escape(value)))  # noqa: S308 - both escaped
