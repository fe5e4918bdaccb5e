"""Start-up checks of the key ring against what the database still needs it for."""

from typing import Any

from django.core import checks
from django.db import DatabaseError

from core.keyring import KEYS_CHECK_TAG


@checks.register(KEYS_CHECK_TAG)
def every_kek_in_use_is_in_the_ring(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An error per KEK that still wraps something but is missing from KEY_ENCRYPTION_KEYS:
    dropping a KEK before `manage.py kek_usage` shows it at zero is refused at start-up."""
    from .keyrotation import keks_missing_from_ring

    try:
        missing = keks_missing_from_ring()
    except DatabaseError:  # no database yet, or not migrated: nothing can be wrapped there
        return []
    return [
        checks.Error(
            f"KEK {kek_id!r} is not in KEY_ENCRYPTION_KEYS but still wraps "
            + ", ".join(f"{rows} {label}" for label, rows in sorted(uses.items()))
            + ": they could not be opened.",
            hint=(
                f"Put {kek_id!r} back into KEY_ENCRYPTION_KEYS, run `manage.py rotate_kek` with the new KEK "
                "active, and remove the old one only when `manage.py kek_usage` shows it wraps nothing."
            ),
            id="vault.E001",
        )
        for kek_id, uses in sorted(missing.items())
    ]
