"""A request's state in words for the organisation that filed it."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

REQUEST_STATES = {
    "pending": _("waiting for the candidate"),
    "approved": _("approved"),
    "denied": _("denied"),
    "withdrawn": _("withdrawn"),
    "expired": _("expired unanswered"),
}


@register.filter
def request_state(state: str) -> str:
    words = REQUEST_STATES.get(state)
    return str(words) if words is not None else state
