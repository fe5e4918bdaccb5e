"""Start-up check of the lookup-hash ring against the digests the database holds."""

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from core.keyring import KEYS_CHECK_TAG


@checks.register(KEYS_CHECK_TAG)
def every_lookup_hash_version_in_use_is_in_the_ring(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """An error per lookup-hash version that citizens' digests are still under but that
    LOOKUP_HASH_KEYS no longer holds: those citizens could no longer be found."""
    from .selectors import lookup_hash_usage

    try:
        usage = lookup_hash_usage()
    except DatabaseError:  # no database yet, or not migrated
        return []
    return [
        checks.Error(
            f"Lookup-hash version {version!r} is not in LOOKUP_HASH_KEYS but {counts['citizens']} "
            "citizens' national identifiers are hashed under it: issuers could no longer find them.",
            hint=(
                f"Put {version!r} back into LOOKUP_HASH_KEYS, run `manage.py rehash_national_ids`, "
                "and remove it only when that command reports no citizen under it."
            ),
            id="accounts.E001",
        )
        for version, counts in sorted(usage.items())
        if version and version not in settings.LOOKUP_HASH_KEY_RING
    ]
