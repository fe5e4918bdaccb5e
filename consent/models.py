import uuid
from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from vault.models import Pod

from .scopes import Scope

# A pending request past its answer-by date, or an active grant past its end, is "expired" at
# once (effective_status, and every read checks the clock); the beat sweep (consent.tasks) then
# stores the state and logs it. Reads never depend on the sweep.
EXPIRED = "expired"


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
    """What a request asks for, or a grant allows, as a consent.scopes.Scope (a mandate names
    credential types only: it has no ``document_types``)."""

    credential_types: list[str]
    claims: dict[str, list[str]]

    @property
    def scope(self) -> Scope:
        return Scope.stored(self.credential_types, self.claims, getattr(self, "document_types", None))


class AccessRequest(Scoped, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
        EXPIRED = "expired", _("Expired unanswered")

    # The state machine, written down once: from each state, where a decision may take it.
    TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING: {Status.APPROVED, Status.DENIED, Status.WITHDRAWN, Status.EXPIRED}
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="access_requests")
    # None while the request is held: filed to a national identifier with no pod here (yet). It
    # is then addressed by the identifier's keyed hash and its lookup-hash version (never the
    # identifier), and attached to the citizen's pod in the transaction that opens it, if still
    # pending and not past its answer-by date (consent.services.attach_held_requests); ended
    # unattached (withdrawn, expired), the hash is erased. The requester sees no difference.
    pod = models.ForeignKey(
        Pod, null=True, blank=True, on_delete=models.CASCADE, related_name="access_requests"
    )
    national_id_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    national_id_hash_version = models.CharField(max_length=16, blank=True, default="", editable=False)
    credential_types = models.JSONField()
    # Field scopes (consent.scopes): per credential type asked for by claim, the sorted JSON
    # pointers of those claims; a type not named here is asked for whole.
    claims = models.JSONField(default=dict, blank=True)
    # Types of personal documents asked for (vault.documents.DOCUMENT_TYPES), sorted; each whole.
    # A request names at least one credential or document type.
    document_types = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=64, choices=Purpose.choices)
    purpose_description = models.CharField(max_length=500)
    requested_until = models.DateTimeField()
    # Unanswered by then, the request expires (default: ANSWER_WINDOW after filing, never after
    # requested_until).
    answer_by = models.DateTimeField()
    # At most this many reads under the grant (null: no limit); an approval may only lower it.
    max_reads = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    denial_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["pod", "status"], name="request_pod_status"),
            # The sweep's question: which pending requests are past their answer-by date?
            models.Index(
                fields=["answer_by"], condition=Q(status="pending"), name="request_pending_answer_by"
            ),
            # A pod opening: which requests are held for its owner's identifier?
            models.Index(
                fields=["national_id_digest"],
                condition=~Q(national_id_digest=""),
                name="request_held_digest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "denied", "withdrawn", "expired"]),
                name="request_status_valid",
            ),
            # decided_at: when the request left "pending", whoever (or the clock) took it out.
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="request_decided_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(answer_by__lte=F("requested_until")), name="request_answer_by_within_period"
            ),
            models.CheckConstraint(
                condition=Q(max_reads__isnull=True) | Q(max_reads__gte=1), name="request_max_reads_positive"
            ),
            # A pending request is addressed: to a pod, or (held) to an identifier's keyed hash;
            # never both, and the hash goes when it ends unattached.
            models.CheckConstraint(
                condition=Q(pod__isnull=True) | Q(national_id_digest=""),
                name="request_pod_or_digest",
            ),
            models.CheckConstraint(
                condition=Q(pod__isnull=False)
                | ~Q(status="pending")
                | (~Q(national_id_digest="") & ~Q(national_id_hash_version="")),
                name="request_pending_is_addressed",
            ),
        ]

    def __str__(self) -> str:
        asked = ", ".join([*self.credential_types, *self.document_types])
        return f"{self.requester} asks for {asked} ({self.status})"

    @property
    def is_held(self) -> bool:
        """Filed to an identifier with no pod (yet): nobody has seen it."""
        return self.pod_id is None

    @property
    def is_expired(self) -> bool:
        """A pending request whose answer-by date has passed can no longer be decided."""
        return self.status == self.Status.PENDING and self.answer_by <= timezone.now()

    @property
    def effective_status(self) -> str:
        return EXPIRED if self.is_expired else self.status


class Grant(Scoped, models.Model):
    """What an approval creates: scoped to credential types, bound to a purpose, expiring, revocable."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")
        WITHDRAWN = "withdrawn", _("Withdrawn by the grantee")
        EXPIRED = "expired", _("Expired")
        EXHAUSTED = "exhausted", _("All its reads used")

    TRANSITIONS: dict[str, set[str]] = {
        Status.ACTIVE: {Status.REVOKED, Status.WITHDRAWN, Status.EXPIRED, Status.EXHAUSTED}
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="grants")
    grantee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grants")
    credential_types = models.JSONField()
    # Per field-scoped credential type, the JSON pointers a read may release (consent.scopes);
    # a type not named here is released whole. Never more than the request's.
    claims = models.JSONField(default=dict, blank=True)
    # Document types a read may download (sorted), never more than the request's.
    document_types = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=64, choices=Purpose.choices)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Reads allowed under the grant (null: no limit) and reads made; the citizen may only lower it.
    max_reads = models.PositiveIntegerField(null=True, blank=True)
    reads_used = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # when it left "active", for any reason
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["pod", "status"], name="grant_pod_status"),
            # The sweep's question: which active grants end before a given time?
            models.Index(fields=["valid_until"], condition=Q(status="active"), name="grant_active_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="grant_period_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_at__isnull=False)
                | (~Q(status="revoked") & Q(revoked_at__isnull=True)),
                name="grant_revoked_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_at__isnull=True)
                | (~Q(status="active") & Q(ended_at__isnull=False)),
                name="grant_ended_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "revoked", "withdrawn", "expired", "exhausted"]),
                name="grant_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_reads__isnull=True)
                | (Q(max_reads__gte=1) & Q(reads_used__lte=F("max_reads"))),
                name="grant_reads_within_limit",
            ),
            # Exhausted means every read was used: a lowered limit never leaves it half-way.
            models.CheckConstraint(
                condition=~Q(status="exhausted") | Q(reads_used=F("max_reads")),
                name="grant_exhausted_means_all_read",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.id} to {self.grantee} ({self.status})"

    @property
    def reads_left(self) -> int | None:
        return None if self.max_reads is None else self.max_reads - self.reads_used

    @property
    def effective_status(self) -> str:
        """'expired' once the period is over: the decision point denies reads from then on."""
        if self.status == self.Status.ACTIVE and self.valid_until <= timezone.now():
            return EXPIRED
        return self.status


class GrantCredential(models.Model):
    """The access-grant credential the service signed for a grant (consent.grantcredentials): what
    the grantee may read, for which purpose, until when, how often, and from whom (a pseudonym).

    Its revocation bit, in one of the service's status lists, is set in the very transaction in
    which the grant ends, however it ends. Grants approved before it existed have none.
    """

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, primary_key=True, related_name="credential")
    credential_id = models.CharField(max_length=100, unique=True)  # urn:uuid:…, its status entry's key
    document = models.JSONField()  # the signed credential, as the grantee receives it
    issued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"access-grant credential {self.credential_id} of grant {self.grant_id}"


class Mandate(Scoped, models.Model):
    """What the law lets an agency read without the citizen's consent: registered by an
    operator (consent.services.register_mandate), never edited, ended by an operator or by
    ``valid_until``. Each read under it states it and a case reference, and is logged in the
    citizen's pod as a legal read (sealed until a date where ``disclosure_delay_days`` is set)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="mandates")
    reference_url = models.URLField(
        max_length=500, help_text="Where the law that gives the mandate is published."
    )
    reference_title = models.CharField(
        max_length=200, help_text="The law's title and article, as people cite it."
    )
    credential_types = models.JSONField()
    # Per field-scoped type, the sorted JSON pointers a read may release (consent.scopes).
    claims = models.JSONField(default=dict, blank=True)
    purpose = models.CharField(max_length=64, choices=Purpose.choices)
    # Days each read's log entry stays sealed (0: none; it is open at once).
    disclosure_delay_days = models.PositiveIntegerField(default=0)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="mandate_period_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(disclosure_delay_days__lte=3650), name="mandate_delay_at_most_ten_years"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.reference_title}"

    def is_in_force(self, at: datetime) -> bool:
        return self.ended_at is None and self.valid_from <= at < self.valid_until


class MandateEvent(models.Model):
    """The audit trail of mandates: who registered or ended one, when, and the mandate as it
    stood. Written in the transaction of the change; never changed."""

    class Action(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        ENDED = "ended", _("Ended")

    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    operator = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operator_label = models.CharField(max_length=200)  # who, as a person reads it (kept if the user goes)
    at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField()  # the mandate after the change, as the admin and API show it

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.mandate_id} {self.action} by {self.operator_label}"
