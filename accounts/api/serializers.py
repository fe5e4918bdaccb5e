from rest_framework import serializers

from core.serializers import StrictSerializer


class WhoAmISerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["citizen", "organisation", "user"])
    id = serializers.CharField()
    name = serializers.CharField()
    organisationKind = serializers.CharField(required=False)


class TokenRequestSerializer(serializers.Serializer):
    """RFC 6749 §4.4.2, form-encoded. The client authenticates with Basic or the two client_ fields."""

    grant_type = serializers.ChoiceField(choices=["client_credentials"])
    scope = serializers.CharField(
        required=False, help_text="Space-separated scopes, a subset of the client's; all of them if absent."
    )
    client_id = serializers.CharField(required=False, help_text="client_secret_post (or to name the client)")
    client_secret = serializers.CharField(required=False, help_text="client_secret_post")


class RevocationRequestSerializer(serializers.Serializer):
    """RFC 7009 §2.1, form-encoded. The client authenticates as at the token endpoint."""

    token = serializers.CharField(help_text="the access token to revoke")
    token_type_hint = serializers.CharField(
        required=False, help_text="access_token, or absent: only access tokens are revoked"
    )
    client_id = serializers.CharField(required=False, help_text="client_secret_post (or to name the client)")
    client_secret = serializers.CharField(required=False, help_text="client_secret_post")


class IntrospectionRequestSerializer(RevocationRequestSerializer):
    """RFC 7662 §2.1, form-encoded. The client authenticates as at the token endpoint."""

    token = serializers.CharField(help_text="the access token to introspect")


class IntrospectionResponseSerializer(serializers.Serializer):
    """RFC 7662 §2.2: only ``active`` when the token is not a live token of the asking client."""

    active = serializers.BooleanField()
    scope = serializers.CharField(required=False, help_text="the token's scopes, space-separated")
    client_id = serializers.CharField(required=False)
    token_type = serializers.ChoiceField(choices=["Bearer"], required=False)
    exp = serializers.IntegerField(required=False, help_text="expiry, seconds since the epoch")
    iat = serializers.IntegerField(required=False, help_text="issued at, seconds since the epoch")
    iss = serializers.URLField(required=False)


class TokenResponseSerializer(serializers.Serializer):
    """RFC 6749 §5.1."""

    access_token = serializers.CharField()
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(help_text="seconds")
    scope = serializers.CharField(help_text="the scopes granted, space-separated")


class OAuthErrorSerializer(serializers.Serializer):
    """RFC 6749 §5.2: OAuth errors are this JSON, not problem+json."""

    error = serializers.ChoiceField(
        choices=[
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "temporarily_unavailable",
            "unsupported_token_type",
            "invalid_target",
        ]
    )
    error_description = serializers.CharField()


class AuthorizationServerMetadataSerializer(serializers.Serializer):
    """RFC 8414 §2 (the members we publish)."""

    issuer = serializers.URLField()
    token_endpoint = serializers.URLField()
    grant_types_supported = serializers.ListField(child=serializers.CharField())
    token_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    revocation_endpoint = serializers.URLField()
    revocation_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    introspection_endpoint = serializers.URLField()
    introspection_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    scopes_supported = serializers.ListField(child=serializers.CharField())
    response_types_supported = serializers.ListField(child=serializers.CharField())


class RequestKeySerializer(serializers.Serializer):
    """A key your organisation signs access requests with."""

    id = serializers.UUIDField()
    verificationMethod = serializers.CharField(
        source="verification_method", help_text="did:key:z6Mk…#z6Mk…: what a proof names."
    )
    custodial = serializers.BooleanField(
        help_text="Made and held by Citizen Vault for requests filed from the web console."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    retiredAt = serializers.DateTimeField(
        source="retired_at", allow_null=True, help_text="Proofs by a retired key are refused."
    )


class RegisterRequestKeySerializer(StrictSerializer):
    verificationMethod = serializers.CharField(
        max_length=200,
        help_text="The did:key of an Ed25519 key pair you hold (did:key:z6Mk…, with or without #fragment).",
    )
