"""Field scopes in words for the portal: what a request asks for or a grant shares."""

from django import template
from django.utils.translation import gettext

from consent.models import Scoped

register = template.Library()


@register.filter
def scope_words(scoped: Scoped) -> str:
    """ "Diploma (only: Degree, Awarded on)" for a type scoped to fields (the registry's labels),
    the type's name alone for a whole credential; then each document type, as "documents:
    Curriculum vitae"; types separated by semicolons."""
    parts = []
    for display, labels in scoped.scope.in_words():
        if labels is None:
            parts.append(gettext(display))
        else:
            only = ", ".join(gettext(label) for label in labels)
            parts.append(gettext("%(type)s (only: %(fields)s)") % {"type": gettext(display), "fields": only})
    for label in scoped.scope.documents_in_words():
        parts.append(gettext("documents: %(type)s") % {"type": str(label)})
    return "; ".join(parts)
