import uuid

from django.db import models
from django.db.models import Q

from accounts.models import Organisation, User


class Pod(models.Model):
    """A citizen's pod. Its data key exists here only sealed under the KEK ring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.OneToOneField(User, on_delete=models.PROTECT, related_name="pod")
    kek_id = models.CharField(max_length=64)
    data_key_sealed = models.BinaryField(editable=False)
    # The holder's did:key: the subject id of every credential issued into this pod. Its
    # private key is sealed under the pod's own data key.
    holder_did = models.CharField(max_length=255, unique=True)
    holder_key_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pod {self.id}"


class PodCredential(models.Model):
    """A verifiable credential held in a pod, encrypted under the pod's data key.

    Only what the consent engine needs to match a request is kept in the clear: the type, the
    issuing organisation and the credential's opaque id.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pod = models.ForeignKey(Pod, on_delete=models.CASCADE, related_name="credentials")
    credential_id = models.CharField(max_length=255)
    credential_type = models.CharField(max_length=100)
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="issued_credentials")
    version = models.PositiveIntegerField(default=1)
    ciphertext = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pod", "credential_id"], name="credential_id_unique_in_pod")
        ]
        indexes = [models.Index(fields=["pod", "credential_type"], name="podcredential_pod_type")]

    def __str__(self) -> str:
        return f"{self.credential_type} {self.credential_id}"


class AccessEvent(models.Model):
    """One entry in a pod's access log: a hash chain, appended in the transaction of the act."""

    class Action(models.TextChoices):
        POD_OPENED = "pod.opened", "Pod opened"
        CREDENTIAL_ISSUED = "credential.issued", "Credential issued into the pod"
        CREDENTIAL_READ = "credential.read", "Credential read"
        ACCESS_DENIED = "access.denied", "Access attempt denied"
        REQUEST_FILED = "request.filed", "Access request filed"
        REQUEST_APPROVED = "request.approved", "Access request approved (grant created)"
        REQUEST_DENIED = "request.denied", "Access request denied"
        GRANT_REVOKED = "grant.revoked", "Grant revoked"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    class ActorKind(models.TextChoices):
        CITIZEN = "citizen", "The citizen"
        ORGANISATION = "organisation", "An organisation"
        SYSTEM = "system", "Citizen Vault"

    pod = models.ForeignKey(Pod, on_delete=models.PROTECT, related_name="access_events")
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    action = models.CharField(max_length=32, choices=Action.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    purpose = models.CharField(max_length=100, blank=True)
    legal_basis = models.CharField(max_length=200, blank=True)
    grant_id = models.UUIDField(null=True, blank=True)
    request_id = models.UUIDField(null=True, blank=True)
    resource_id = models.UUIDField(null=True, blank=True)
    credential_id = models.CharField(max_length=255, blank=True)
    credential_type = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["pod", "seq"], name="access_log_seq_unique_per_pod"),
            models.CheckConstraint(
                condition=Q(outcome__in=["allowed", "denied"]), name="access_event_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome} by {self.actor_label}"
