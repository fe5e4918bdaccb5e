"""Start-up check of the lookup-hash ring against the requests held for national numbers."""

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.db.models import Count, Max
from django.utils import timezone

from core.keyring import KEYS_CHECK_TAG


@checks.register(KEYS_CHECK_TAG)
def every_lookup_hash_version_of_a_held_request_is_in_the_ring(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A warning per lookup-hash version that pending held requests are addressed under but that
    LOOKUP_HASH_KEYS no longer holds: a pod that opens for their citizen can no longer find them
    (their number is not kept, so they cannot be re-hashed). Not an error: they end by their
    answer-by date anyway, and a compromised lookup key may have to go at once."""
    from .models import AccessRequest

    try:
        stranded = list(
            AccessRequest.objects.filter(pod__isnull=True, status=AccessRequest.Status.PENDING)
            .filter(answer_by__gt=timezone.now())  # past it, the sweep prunes them anyway
            .exclude(national_id_hash_version="")
            .exclude(national_id_hash_version__in=list(settings.LOOKUP_HASH_KEY_RING))
            .values("national_id_hash_version")
            .annotate(requests=Count("pk"), last=Max("answer_by"))
            .order_by("national_id_hash_version")
        )
    except DatabaseError:  # no database yet, or not migrated
        return []
    return [
        checks.Warning(
            f"Lookup-hash version {row['national_id_hash_version']!r} is not in LOOKUP_HASH_KEYS but "
            f"{row['requests']} pending access requests are held under it for national numbers with no "
            "pod yet: a pod that opens for their citizen will not receive them.",
            hint=(
                f"Put {row['national_id_hash_version']!r} back into LOOKUP_HASH_KEYS until the last of them "
                f"expires ({row['last']:%Y-%m-%d %H:%M} UTC), unless the key had to go."
            ),
            id="consent.W001",
        )
        for row in stranded
    ]
