"""What each kind of notification says: one sentence and where to look, shared by the inbox page
and the e-mail. Nothing of the pod's contents: who acted, and that something happened."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Notification


@dataclass(frozen=True)
class Wording:
    text: Promise  # in the inbox, behind the login; %(org)s: the organisation's name
    mail: Promise  # in the e-mail: that something happened, not who nor what (mail is read by others)
    page: str  # the portal page (URL name) where the citizen acts on it


WORDINGS: dict[str, Wording] = {
    Notification.Kind.REQUEST_NEW: Wording(
        _("%(org)s asks to read some of your data. Approve, narrow or deny it."),
        _("An organisation asks to read some of your data."),
        "portal:requests",
    ),
    Notification.Kind.GRANT_EXPIRING: Wording(
        _("Your consent for %(org)s ends soon. Nothing to do unless you want to end it now."),
        _("A consent you gave ends soon."),
        "portal:grants",
    ),
    Notification.Kind.GRANT_EXHAUSTED: Wording(
        _("%(org)s has used every read you allowed; it can read no more."),
        _("A consent you gave has used all its reads."),
        "portal:grants",
    ),
    Notification.Kind.LEGAL_READ: Wording(
        _("%(org)s read some of your data under a law. See who looked."),
        _("Your data was read under a law."),
        "portal:log",
    ),
    Notification.Kind.SEALED_OPENED: Wording(
        _("A sealed entry in your access log is now open: %(org)s. See who looked."),
        _("A sealed entry in your access log is now open."),
        "portal:log",
    ),
}


def text_of(notification: Notification) -> str:
    return str(WORDINGS[notification.kind].text) % {"org": notification.actor_label or _("An organisation")}


def mail_of(notification: Notification) -> str:
    return str(WORDINGS[notification.kind].mail)


def page_of(notification: Notification) -> str:
    return WORDINGS[notification.kind].page
