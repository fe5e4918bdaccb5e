import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from oauth2_provider.models import AbstractApplication

from core.text import validate_plain_text


# django-stubs cannot type the reverse managers of OAuthClient (its base, django-oauth-toolkit's
# AbstractApplication, ships no type information): hence the two ignores below.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person: a citizen (who owns a pod) or a member of an organisation, or an operator."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    # HMAC of the national identifier (see accounts.identity): lets issuers and requesters name
    # a citizen without this database ever holding the identifier itself. Null for non-citizens.
    national_id_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The version of the lookup-hash ring the digest was made under (LOOKUP_HASH_KEYS).
    national_id_hash_version = models.CharField(max_length=16, blank=True, editable=False)
    # The identifier sealed under the KEK ring, kept only to re-hash it when the lookup key
    # changes (accounts.identity); empty for citizens registered before it was kept, until an
    # issuer names them again.
    national_id_kek_id = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    national_id_sealed = models.BinaryField(null=True, blank=True, editable=False)
    # The language of their last portal page (accounts.language): e-mails are written in it.
    # Empty until they use the portal: LANGUAGE_CODE then.
    language = models.CharField(max_length=8, blank=True, editable=False)

    @property
    def is_citizen(self) -> bool:
        return self.national_id_digest is not None


class Organisation(models.Model):  # type: ignore[django-manager-missing]
    class Kind(models.TextChoices):
        ISSUER = "issuer", "Issuer (university, training provider, register)"
        EMPLOYER = "employer", "Employer"
        AGENCY = "agency", "Public agency"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["issuer", "employer", "agency"]),
                name="organisation_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_requester(self) -> bool:
        return self.kind in (self.Kind.EMPLOYER, self.Kind.AGENCY)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the API, held by an organisation or by a citizen.

    Only a SHA-256 digest of the token is stored: tokens carry 256 bits of randomness, so a
    fast hash is enough to make a stolen table useless, and it keeps every request cheap.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(user__isnull=True))
                | (Q(organisation__isnull=True) & Q(user__isnull=False)),
                name="api_token_has_exactly_one_holder",
            )
        ]

    def __str__(self) -> str:
        holder = self.organisation or self.user
        return f"cvt_{self.prefix}_… ({holder})"


class OAuthClient(AbstractApplication):
    """An OAuth 2.0 client of an organisation (RFC 6749 §2): django-oauth-toolkit's application.

    Swapped in for ``oauth2_provider.Application`` (``OAUTH2_PROVIDER_APPLICATION_MODEL``), so
    the database holds what we rely on: every client belongs to an organisation, is confidential
    and uses the client-credentials grant only, and has at least one scope. The secret is
    stored hashed by django-oauth-toolkit (Django's password hasher); access tokens
    (``oauth2_provider.AccessToken``) only as their SHA-256. ``scope`` holds the
    space-separated scopes the client may ask for (``accounts.scopes``).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="oauth_clients")
    scope = models.CharField(max_length=500)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractApplication.Meta):
        verbose_name = "OAuth client"
        constraints = [
            models.CheckConstraint(condition=~Q(scope=""), name="oauth_client_has_a_scope"),
            models.CheckConstraint(
                condition=Q(client_type="confidential", authorization_grant_type="client-credentials"),
                name="oauth_client_is_confidential_client_credentials",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} ({self.organisation})"

    def is_usable(self, request) -> bool:
        """django-oauth-toolkit asks before authenticating the client and before honouring a token."""
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """An organisation's Idempotency-Key for one kind of write, and what that write made.

    Created in the write's own transaction, before the write: a second request with the same
    key waits on the unique constraint until the first commits (or rolls back, freeing the key).
    Holds a digest of the request body, never the body.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)  # which write, e.g. "issuer-credentials"
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)  # SHA-256 of the canonical JSON body
    result_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "key"], name="idempotency_key_unique_per_org_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class RequestSigningKey(models.Model):
    """A public key an organisation signs its access requests with (consent.signing).

    Registered by the organisation (through the API, holding the private key itself) or by an
    operator; or custodial: made and held by us, sealed under the KEK ring, for organisations that
    file requests from the web console and hold no key of their own. A custodial key's signature
    says "the console submitted this as that organisation", not "the organisation signed this",
    and the evidence says which. A key is never deleted, only retired, so old evidence still
    names a known key; a public key belongs to one organisation for ever.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="request_keys")
    # The did:key verification method (did:key:z6Mk…#z6Mk…) a proof names.
    verification_method = models.CharField(max_length=200, unique=True)
    custodial = models.BooleanField(default=False)
    kek_id = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    private_key_sealed = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # Only a custodial key has a private half here, and it always has one.
            models.CheckConstraint(
                condition=Q(custodial=True, private_key_sealed__isnull=False)
                | Q(custodial=False, private_key_sealed__isnull=True),
                name="request_key_sealed_iff_custodial",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(custodial=True, retired_at__isnull=True),
                name="one_active_custodial_request_key",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.verification_method[:40]}… ({self.organisation}{', custodial' if self.custodial else ''})"
        )

    @property
    def did(self) -> str:
        return self.verification_method.partition("#")[0]
