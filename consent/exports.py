"""The consent records of a pod, for the pod's export (vault.podexport.register_section).

Every field of every request and grant, as stored (no pod data lives here: types, purposes,
dates, states), with the organisation's name beside its id; and the same in words for the
export's readable summary.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from accounts import timezones
from vault.models import Pod
from vault.portal.presenting import type_name

from .models import AccessRequest, Grant
from .templatetags.purposes import purpose_label


def _fields(record: models.Model) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in record._meta.concrete_fields:
        value = getattr(record, field.attname)
        values[field.attname] = (
            value if isinstance(value, int | float | bool | list | dict | None) else str(value)
        )
    return values


def consent_records(pod: Pod) -> dict[str, Any]:
    requests = AccessRequest.objects.filter(pod=pod).select_related("requester").order_by("created_at")
    grants = Grant.objects.filter(pod=pod).select_related("grantee").order_by("created_at")
    return {
        "requests": [{**_fields(r), "requester_name": r.requester.name} for r in requests],
        "grants": [{**_fields(g), "grantee_name": g.grantee.name} for g in grants],
    }


def _what(record: AccessRequest | Grant) -> str:
    return ", ".join(type_name(name) for name in [*record.credential_types, *record.document_types])


def _state(choices: type[models.TextChoices], state: str) -> str:
    return str(dict(choices.choices).get(state, state))


def consent_summary(pod: Pod) -> list[str]:
    """The pod's grants and requests for people, in the active language: who, what (the kinds
    of credential and document by name), why (the purpose in words), until when, and where each
    stands; for the export's summary (vault.podexport.register_section)."""
    grants = Grant.objects.filter(pod=pod).select_related("grantee").order_by("created_at")
    requests = AccessRequest.objects.filter(pod=pod).select_related("requester").order_by("created_at")
    lines = ["### " + _("Accesses you gave (%(count)d)") % {"count": len(grants)}, ""]
    lines += [
        "- "
        + _("%(organisation)s may read %(what)s. Why: %(purpose)s. Until %(until)s. %(state)s.")
        % {
            "organisation": grant.grantee.name,
            "what": _what(grant),
            "purpose": purpose_label(grant.purpose),
            "until": timezones.in_words(grant.valid_until),
            "state": _state(Grant.Status, grant.effective_status),
        }
        for grant in grants
    ]
    lines += ["", "### " + _("Requests you received (%(count)d)") % {"count": len(requests)}, ""]
    lines += [
        "- "
        + _(
            "%(organisation)s asked for %(what)s on %(moment)s. "
            "Why: %(purpose)s (“%(description)s”). %(state)s."
        )
        % {
            "organisation": request.requester.name,
            "what": _what(request),
            "moment": timezones.in_words(request.created_at),
            "purpose": purpose_label(request.purpose),
            "description": request.purpose_description,
            "state": _state(AccessRequest.Status, request.effective_status),
        }
        for request in requests
    ]
    return [str(line) for line in lines]
