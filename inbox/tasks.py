"""The inbox's e-mail: an id in, that something happened and a link out; sent at most once."""

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import timezones
from accounts.language import language_of
from core.tasks import deliver_mail, task_options


@shared_task(**task_options())
def mail_notification(self: Task, notification_id: str) -> bool:
    """E-mail the citizen that their inbox holds something new: when (in the portal's zone,
    named), the kind of event and a link, in the citizen's language (accounts.language).

        No name, type or value from the pod or the event beyond its kind (e-mail is read on the way
        and over shoulders). Safe to run twice: the notification is locked while the mail is sent and
        marked sent in the same transaction, so a retried or redelivered task sends nothing more.
        Returns whether a mail was sent.
    """
    from .kinds import mail_of
    from .models import Notification

    with transaction.atomic():
        notification = (
            # The notification's row alone (OF self): a bare select_for_update() with the join
            # also locked the citizen's row, so a second mail to them meanwhile skipped its own
            # notification for good, and a new notification of theirs waited for this mail.
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, mailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        with translation.override(language_of(notification.recipient)):
            subject = _("Citizen Vault: %(what)s") % {"what": notification.get_kind_display()}
            message = _("%(when)s: %(what)s\nSee your inbox: %(link)s\n") % {
                "when": timezones.in_words(notification.created_at),
                "what": mail_of(notification),
                "link": settings.SITE_URL + reverse("portal:inbox"),
            }
        deliver_mail(self, subject=subject, message=message, to=notification.recipient.email)
        Notification.objects.filter(pk=notification.pk).update(mailed_at=timezone.now())
    return True
