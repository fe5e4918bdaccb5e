import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One thing the citizen is told about: in the portal inbox, and by e-mail (inbox.tasks).

    It holds no pod data: what kind of event, who acted (an organisation's name), and the ids of
    the request or grant it is about, so the page can link to them. The words are the kind's
    (inbox.kinds), translated when shown.
    """

    class Kind(models.TextChoices):
        REQUEST_NEW = "request.new", _("New access request")
        GRANT_EXPIRING = "grant.expiring", _("A grant is about to expire")
        GRANT_EXHAUSTED = "grant.exhausted", _("A grant's reads are all used")
        # For agencies reading under law (not built yet): a legal read, a sealed entry opening.
        LEGAL_READ = "legal.read", _("A legal read")
        SEALED_OPENED = "sealed.opened", _("A sealed entry opened")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor_label = models.CharField(max_length=200, blank=True)  # who acted: an organisation's name
    request_id = models.UUIDField(null=True, blank=True)
    grant_id = models.UUIDField(null=True, blank=True)
    # Events that must be told once (a grant about to expire) carry a key; a second notice with
    # the same key is not made.
    once_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notification_inbox")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "request.new",
                        "grant.expiring",
                        "grant.exhausted",
                        "legal.read",
                        "sealed.opened",
                    ]
                ),
                name="notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"
