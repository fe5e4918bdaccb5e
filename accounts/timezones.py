"""The portal's time zone: pages show times in PORTAL_TIME_ZONE (Europe/Brussels unless
configured) and name it, in the page's language; the dates typed into the portal's forms are
days in that zone.

Everything else stays in UTC (TIME_ZONE): the database, the API, the downloads and the log's
hashes. Nothing here activates a zone for the request, so no JSON the portal serves changes;
the portal's templates and forms convert explicitly (accounts/templatetags/moments.py).
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# A zone's name as people say it; another zone is named by its IANA key ("America/New_York").
ZONE_NAMES = {
    "Europe/Brussels": _("Brussels time"),
    "UTC": _("UTC"),
}


def portal_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)


def zone_name() -> str:
    """The portal's zone in words, in the active language: "Brussels time", "Brusselse tijd"."""
    key = settings.PORTAL_TIME_ZONE
    name = ZONE_NAMES.get(key)
    return str(name) if name is not None else key


zone_name_lazy = lazy(zone_name, str)  # for form labels, made at import


def local(moment: datetime) -> datetime:
    """An aware moment as the portal shows it (its wall-clock time in the portal's zone)."""
    return timezone.localtime(moment, portal_zone())


def in_words(moment: datetime) -> str:
    """An aware moment as people read it, in the active language and the portal's zone, naming
    the zone: "3 december 2026 05:10 Brusselse tijd" (the pages' ``moment`` filter, and e-mails)."""
    return f"{date_format(local(moment), 'DATETIME_FORMAT')} {zone_name()}"


def local_day(moment: datetime) -> date:
    """The day a moment falls on in the portal's zone."""
    return local(moment).date()


def start_of_day(day: date) -> datetime:
    """The first moment of ``day`` in the portal's zone (aware)."""
    return datetime.combine(day, time.min, tzinfo=portal_zone())


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in the portal's zone (aware): a grant "until 31 May" ends
    then, wherever the server's clock runs."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=portal_zone())


def next_day_start(day: date) -> datetime:
    """The first moment after ``day`` in the portal's zone (a period's exclusive end)."""
    return start_of_day(day + timedelta(days=1))
