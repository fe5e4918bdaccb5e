"""Times on the portal's and the console's pages, in the portal's zone and saying so.

``{{ value|moment }}``: date and time in PORTAL_TIME_ZONE, in the language's format, with the
zone named ("2 december 2026 20:15 Brusselse tijd"), in a ``<time>`` element whose
``datetime`` is the instant with its offset; it also takes an ISO 8601 text (a checkpoint's
time). ``{{ value|moment_short }}``: the short format, without the
zone's name (a table whose header names it: ``{% zone_name %}``). ``{{ value|day }}``: the day
it falls on in that zone.
"""

from datetime import date, datetime

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts import timezones

register = template.Library()


def _time_element(value: datetime, text: str) -> SafeString:
    instant = value.astimezone(timezones.portal_zone()).isoformat(timespec="seconds")
    return format_html('<time datetime="{}">{}</time>', instant, text)


def _instant(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    return value


@register.filter
def moment(value: datetime | str | None) -> SafeString | str:
    value = _instant(value)
    if value is None:
        return ""
    return _time_element(value, timezones.in_words(value))


@register.filter
def moment_short(value: datetime | None) -> SafeString | str:
    value = _instant(value)
    if value is None:
        return ""
    return _time_element(value, date_format(timezones.local(value), "SHORT_DATETIME_FORMAT"))


@register.filter
def day(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        return date_format(timezones.local_day(value), "DATE_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    return ""


@register.simple_tag
def zone_name() -> str:
    return timezones.zone_name()
