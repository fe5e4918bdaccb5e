"""The consent records of a pod, for the pod's export (vault.podexport.register_section).

Every field of every request and grant, as stored (no pod data lives here: types, purposes,
dates, states), with the organisation's name beside its id.
"""

from typing import Any

from django.db import models

from vault.models import Pod

from .models import AccessRequest, Grant


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
