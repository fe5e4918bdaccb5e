"""The access log's codes in words for "Who looked" (vault.reasons)."""

from django import template

from vault import reasons

register = template.Library()


@register.filter
def reason_words(reason: str) -> str:
    """An entry's reason code in the active language (vault.reasons.in_words)."""
    return reasons.in_words(reason)
