from typing import Any

from django.db.models import QuerySet

from .models import Notification


def inbox_of(recipient: Any) -> QuerySet[Notification]:
    """The citizen's notifications, newest first."""
    return Notification.objects.filter(recipient=recipient)


def unread_count(recipient: Any) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()
