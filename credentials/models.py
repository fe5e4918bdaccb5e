import uuid

from django.db import models
from django.db.models import Q

from accounts.models import Organisation


class IssuerKey(models.Model):
    """An organisation's Ed25519 signing key, identified by its did:key.

    The private key is stored only sealed under the key-encryption key ring; a retired key
    stays here (public part) so credentials it signed keep verifying.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signing_keys")
    did = models.CharField(max_length=255, unique=True)
    public_key_multibase = models.CharField(max_length=128)
    kek_id = models.CharField(max_length=64)
    private_key_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(retired_at__isnull=True),
                name="one_active_signing_key_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.did}"

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.public_key_multibase}"
