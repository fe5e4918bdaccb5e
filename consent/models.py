import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from vault.models import Pod

from .scopes import Scope

EXPIRED = "expired"  # derived from the clock, never stored: see effective_status


class Purpose(models.TextChoices):
    """Purposes from the W3C Data Privacy Vocabulary (https://w3id.org/dpv#)."""

    HUMAN_RESOURCE_MANAGEMENT = (
        "dpv:HumanResourceManagement",
        _("Human resource management (recruitment, employment)"),
    )
    IDENTITY_VERIFICATION = "dpv:IdentityVerification", _("Identity verification")
    LEGAL_COMPLIANCE = "dpv:LegalCompliance", _("Compliance with a legal obligation")
    SERVICE_PROVISION = "dpv:ServiceProvision", _("Providing a service the citizen asked for")
    RESEARCH_AND_DEVELOPMENT = "dpv:ResearchAndDevelopment", _("Research and development")


class Scoped:
    """What a request asks for, or a grant allows, as a consent.scopes.Scope."""

    credential_types: list[str]
    claims: dict[str, list[str]]

    @property
    def scope(self) -> Scope:
        return Scope.stored(self.credential_types, self.claims)


class AccessRequest(Scoped, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    # The state machine, written down once: from each state, where a decision may take it.
    TRANSITIONS: dict[str, set[str]] = {Status.PENDING: {Status.APPROVED, Status.DENIED}}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="access_requests")
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="access_requests")
    credential_types = models.JSONField()
    # Field scopes (consent.scopes): per credential type asked for by claim, the sorted JSON
    # pointers of those claims; a type not named here is asked for whole.
    claims = models.JSONField(default=dict, blank=True)
    purpose = models.CharField(max_length=64, choices=Purpose.choices)
    purpose_description = models.CharField(max_length=500)
    requested_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    denial_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pod", "status"], name="request_pod_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "denied"]),
                name="request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="request_decided_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester} asks for {', '.join(self.credential_types)} ({self.status})"

    @property
    def is_expired(self) -> bool:
        """A pending request whose end date has passed can no longer be approved."""
        return self.status == self.Status.PENDING and self.requested_until <= timezone.now()

    @property
    def effective_status(self) -> str:
        return EXPIRED if self.is_expired else self.status


class Grant(Scoped, models.Model):
    """What an approval creates: scoped to credential types, bound to a purpose, expiring, revocable."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    TRANSITIONS: dict[str, set[str]] = {Status.ACTIVE: {Status.REVOKED}}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="grants")
    grantee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grants")
    credential_types = models.JSONField()
    # Per field-scoped credential type, the JSON pointers a read may release (consent.scopes);
    # a type not named here is released whole. Never more than the request's.
    claims = models.JSONField(default=dict, blank=True)
    purpose = models.CharField(max_length=64, choices=Purpose.choices)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["pod", "status"], name="grant_pod_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="grant_period_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(status="active", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="grant_revoked_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.id} to {self.grantee} ({self.status})"

    @property
    def effective_status(self) -> str:
        """'expired' once the period is over: the decision point denies reads from then on."""
        if self.status == self.Status.ACTIVE and self.valid_until <= timezone.now():
            return EXPIRED
        return self.status
