"""Writes for the inbox: a notification made in the transaction of the event it tells about."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.tasks import enqueue_on_commit

from .errors import NotificationNotFound
from .models import Notification
from .tasks import mail_notification


def notify(
    *,
    recipient_id: Any,
    kind: str,
    actor_label: str = "",
    request_id: uuid.UUID | None = None,
    grant_id: uuid.UUID | None = None,
    once_key: str | None = None,
) -> Notification | None:
    """Tell a citizen something happened: a notification in their inbox, and an e-mail once the
    caller's transaction commits (inbox.tasks; a mail failure never reaches the caller).

    Must run inside the transaction of the event, so the event and its notification commit
    together. With ``once_key``, at most one notification ever carries the key: a later call
    makes none and returns None. Callers: consent (requests, grants); agencies' legal reads and
    sealed entries opening call it with Kind.LEGAL_READ and Kind.SEALED_OPENED.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A notification is made only inside the transaction of its event.")
    try:
        with transaction.atomic():  # a savepoint: a duplicate once_key leaves the caller's work intact
            notification = Notification.objects.create(
                recipient_id=recipient_id,
                kind=kind,
                actor_label=actor_label,
                request_id=request_id,
                grant_id=grant_id,
                once_key=once_key,
            )
    except IntegrityError:
        if once_key is None or not Notification.objects.filter(once_key=once_key).exists():
            raise
        return None
    enqueue_on_commit(mail_notification, str(notification.pk))
    return notification


def mark_read(*, recipient: Any, notification_id: Any) -> Notification:
    """The citizen has seen one notification. Raises NotificationNotFound (not theirs). Idempotent."""
    notification = Notification.objects.filter(pk=notification_id, recipient=recipient).first()
    if notification is None:
        raise NotificationNotFound("You have no notification with that id.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, recipient: Any) -> int:
    """The citizen has seen them all; returns how many were unread."""
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).update(
        read_at=timezone.now()
    )
