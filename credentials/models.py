import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from vc.statuslist import MIN_STATUS_LIST_SIZE

# The service's own issuer organisation (credentials.service_identity): its slug, which no name
# slugifies to (a leading "_") and onboarding refuses, and the types only it issues (it issues
# nothing else; the trust registry holds both to this).
SERVICE_SLUG = "_citizen-vault"
SERVICE_CREDENTIAL_TYPES = frozenset({"AccessGrantCredential"})


class IssuerKey(models.Model):
    """One of an organisation's signing keys, identified by its did:key: Ed25519 (eddsa-* proofs,
    status lists) or P-256 (ecdsa-* proofs and the ecdsa-sd-2023 base proof fields are derived
    from). An issuer has at most one active key of each type; they are rotated together
    (credentials.services.create_issuer_key).

    The private key is stored only sealed under the key-encryption key ring; a retired key
    stays here (public part) so credentials it signed keep verifying. A key its issuer reported
    compromised (``compromised_at``, set by credentials.services.mark_key_compromised) is retired and
    no longer trusted for anything, whatever date a proof claims.
    """

    class KeyType(models.TextChoices):
        ED25519 = "Ed25519", "Ed25519"
        P256 = "P-256", "P-256"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signing_keys")
    key_type = models.CharField(
        max_length=8,
        choices=KeyType.choices,
        default=KeyType.ED25519,
        help_text="Ed25519 signs eddsa-* proofs and status lists; P-256 signs ecdsa-* proofs.",
    )
    did = models.CharField(max_length=255, unique=True)
    public_key_multibase = models.CharField(max_length=128)
    kek_id = models.CharField(max_length=64, db_index=True)
    private_key_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    compromised_at = models.DateTimeField(
        null=True, blank=True, help_text="When the issuer reported the private key compromised."
    )
    compromise_note = models.TextField(blank=True, help_text="What was reported, by whom, and why.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key_type"],
                condition=Q(retired_at__isnull=True),
                name="one_active_signing_key_per_organisation_and_type",
            ),
            models.CheckConstraint(
                condition=Q(key_type__in=["Ed25519", "P-256"]), name="signing_key_type_known"
            ),
            models.CheckConstraint(
                condition=Q(compromised_at__isnull=True) | Q(retired_at__isnull=False),
                name="compromised_signing_key_is_retired",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.did}"

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.public_key_multibase}"


class StatusPurpose(models.TextChoices):
    """The Bitstring Status List purposes this service publishes (one list per purpose)."""

    REVOCATION = "revocation", "Revocation (final)"
    SUSPENSION = "suspension", "Suspension (can be lifted)"


class StatusReason(models.TextChoices):
    """Why an issuer changed a credential's status, as it may say (optional). The code is stored
    with the status entry and logged as the reason of the change in each holder's pod, where the
    citizen reads it in words (vault.reasons)."""

    ISSUED_IN_ERROR = "issued-in-error", "Issued in error"
    SUPERSEDED = "superseded", "Replaced by a new credential"
    UNDER_REVIEW = "under-review", "Under review"
    WITHDRAWN = "withdrawn", "Withdrawn by a decision of the issuer"
    HOLDER_REQUEST = "holder-request", "At the holder's request"
    REVIEW_COMPLETED = "review-completed", "Review completed"


MAX_STATUS_NOTE_CHARS = 200


class StatusList(models.Model):
    """One Bitstring Status List of an issuer, for one purpose, published at a stable URL.

    Bit ``i`` (MSB-first: index 0 is the left-most bit of byte 0) is set when the credential
    allocated index ``i`` is revoked or suspended. The list belongs to one issuer identity,
    ``issuer_did``: the issuer of every credential it covers, and of the list credential itself.
    For a did:key that is the DID of ``issuer_key``, which alone can sign it, so after a rotation
    the list stays signed by its retired key and new credentials get new lists. For a hosted
    did:web (HostedIssuerDid) the DID outlives rotations: its lists keep taking entries and are
    signed by the organisation's current key. ``issuer_key`` is the key the list was opened with.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="status_lists")
    issuer_key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="status_lists")
    issuer_did = models.CharField(max_length=255)
    status_purpose = models.CharField(max_length=16, choices=StatusPurpose.choices)
    size = models.PositiveIntegerField(default=MIN_STATUS_LIST_SIZE)
    bitstring = models.BinaryField(editable=False)
    allocated = models.PositiveIntegerField(default=0)
    # Bumped on every change of a bit, so a cached signed copy of an older state is never served.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["issuer_did", "status_purpose"], name="status_list_did_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=Q(issuer_did__startswith="did:key:") | Q(issuer_did__startswith="did:web:"),
                name="status_list_issuer_is_did_key_or_did_web",
            ),
            models.CheckConstraint(
                condition=Q(status_purpose__in=["revocation", "suspension"]),
                name="status_list_purpose_valid",
            ),
            models.CheckConstraint(
                condition=Q(size__gte=MIN_STATUS_LIST_SIZE) & Q(size__lte=2**24),
                name="status_list_size_in_range",
            ),
            models.CheckConstraint(
                condition=Q(size=models.F("size") / 8 * 8), name="status_list_whole_bytes"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=models.F("size")), name="status_list_not_overfull"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.status_purpose} list {self.id}"


class StatusEntry(models.Model):
    """The index a credential holds in one of its issuer's status lists.

    Indexes are drawn at random (credentials.statuslist), so neither the list nor the order of
    issuance says who holds which bit. ``organisation`` and ``status_purpose`` repeat the list's,
    so the database itself can refuse a second entry for the same credential and purpose.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="entries")
    index = models.PositiveIntegerField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status_purpose = models.CharField(max_length=16, choices=StatusPurpose.choices)
    credential_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    # What the issuer said about its last change of this status (both optional): a reason code
    # and a short plain-text note, shown to the issuer and to the citizen holding the credential.
    change_reason = models.CharField(max_length=32, choices=StatusReason.choices, blank=True)
    change_note = models.CharField(max_length=MAX_STATUS_NOTE_CHARS, blank=True)

    class Meta:
        verbose_name_plural = "status entries"
        constraints = [
            models.UniqueConstraint(fields=["status_list", "index"], name="one_credential_per_status_index"),
            models.UniqueConstraint(
                fields=["organisation", "credential_id", "status_purpose"],
                name="one_status_entry_per_credential_and_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential_id} → {self.status_purpose} #{self.index}"


class ExternalIssuerDid(models.Model):
    """A DID an issuer organisation signs with outside this service: the did:web of its own
    site, or a did:key whose private key it holds itself. The trust registry counts it as the
    organisation's, beside the DIDs of the signing keys we keep for it (IssuerKey).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="external_dids")
    did = models.CharField(max_length=255, unique=True)
    notes = models.TextField(blank=True, help_text="How the DID was confirmed to be the organisation's.")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "external issuer DID"
        constraints = [
            models.CheckConstraint(
                condition=Q(did__startswith="did:web:") | Q(did__startswith="did:key:"),
                name="external_issuer_did_is_did_web_or_did_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.did}"


class HostedIssuerDid(models.Model):
    """The did:web DID this service hosts for an issuer whose keys it keeps.

    ``did:web:<ISSUER_DID_WEB_HOST>:issuers:<slug>``, served at ``/issuers/<slug>/did.json``
    (credentials.hosted). Its document lists every IssuerKey of the organisation, retired ones
    included, so the DID stays the same across key rotations; compromised keys are left out.
    Once hosted, the organisation signs as this DID instead of its keys' did:key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="hosted_did")
    did = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "hosted issuer DID"
        constraints = [
            models.CheckConstraint(
                condition=Q(did__startswith="did:web:"), name="hosted_issuer_did_is_did_web"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.did}"


class Accreditation(models.Model):
    """The trust registry: an issuer organisation accredited to issue one credential type.

    Every DID of the organisation (each of its signing keys, retired ones included, so older
    credentials keep their standing, the did:web we host for it, and its registered external
    DIDs; credentials.selectors says which keys no longer count) is trusted for
    ``credential_type`` between ``valid_from`` and ``valid_until`` (open-ended when empty).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="accreditations")
    credential_type = models.CharField(max_length=100, help_text="e.g. DiplomaCredential")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, help_text="The legal basis or register entry, e.g. a decree.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "credential_type", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="accreditation_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=~Q(credential_type=""), name="accreditation_names_a_type"),
            models.UniqueConstraint(
                fields=["organisation", "credential_type", "valid_from"], name="one_accreditation_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.credential_type}"
