"""What management commands share: reading their arguments."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone


def moment_argument(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time given on the command line (None stays None); a naive one is
    in the current time zone. Raises CommandError naming the value."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not an ISO 8601 date or date-time.") from exc
    return (
        moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_current_timezone())
    )
